"""The routes of the events topic: the model of SNS matching says what the routes intend, and moto,
given the same routes as subscriptions, delivers each message to exactly the queues the model says.

Hypothesis generates messages of every kind the topic may carry: S3 events of every event name (and
S3's test event), metadata commands valid and malformed, review commands valid and malformed, and
unrelated messages with and without attributes. Each generated message knows the routes it is meant
to reach; the model must agree, and so must moto, but for the few cases below where moto is known to
differ from AWS's documented matching (those are tagged where they are generated):

- moto's `exists` holds for any key present, whatever its value; AWS's only for a non-null leaf, so a
  review whose `update.status` is null, an object or an empty list reaches no queue on AWS (SNS
  drops it before any function can reject it) while moto delivers it;
- moto applies a body policy to each element of a body that is a JSON array; AWS matches body
  policies against a JSON object only;
- moto fails the publish (AttributeError, TypeError) when `prefix` meets a value that is not a string
  (an `eventName` that is a number, null, a boolean or a list) or when `update` is a list holding
  numbers: those messages are checked against the model only, never published to moto.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from components.routes import (
    METADATA_COMMANDS,
    REVIEW_COMMANDS,
    ROUTES,
    UPLOADS_CREATED,
    UPLOADS_REMOVED,
    Route,
    matches,
    routes_for,
)
from handlers.contract import METADATA_FIELDS, METADATA_TYPE, VERDICTS

INGEST, REMOVAL, METADATA, REVIEW = (route.name for route in ROUTES)
NOTHING: frozenset[str] = frozenset()

CREATED = ("ObjectCreated:Put", "ObjectCreated:Post", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload")
REMOVED = ("ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated")
OTHER_S3 = (
    "ObjectRestore:Post",
    "ObjectRestore:Completed",
    "ObjectRestore:Delete",
    "ReducedRedundancyLostObject",
    "Replication:OperationFailedReplication",
    "Replication:OperationMissedThreshold",
    "Replication:OperationReplicatedAfterThreshold",
    "Replication:OperationNotTracked",
    "LifecycleExpiration:Delete",
    "LifecycleExpiration:DeleteMarkerCreated",
    "LifecycleTransition",
    "IntelligentTiering",
    "ObjectTagging:Put",
    "ObjectTagging:Delete",
    "ObjectAcl:Put",
)
S3_EVENT_NAMES = CREATED + REMOVED + OTHER_S3


@dataclass(frozen=True)
class Message:
    """A message as `Publish` takes it, the routes it is meant to reach, and what moto makes of it."""

    kind: str
    body: str
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    intended: frozenset[str] = NOTHING
    moto_unlike: frozenset[str] = NOTHING  # routes where moto is known to answer otherwise than AWS
    moto_cannot_publish: bool = False


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


# --- strategies --------------------------------------------------------------------------------------

# SNS refuses empty attribute values and empty messages; surrogates are not UTF-8.
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
_any_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
_upload_keys = st.builds(lambda owner, name: f"uploads/{owner}/{name}", _text, _text)
_ids = st.one_of(_upload_keys, st.uuids().map(str))
_unrelated_attribute_names = st.sampled_from(["owner", "status", "source", "trace_id", "Metadata_Type", "type"])
_unrelated_attributes = st.dictionaries(_unrelated_attribute_names, _text.map(_string), max_size=3)
_metadata_type_values = st.one_of(
    st.sampled_from(sorted(METADATA_FIELDS)),  # every accepted type
    st.sampled_from(["caption", "date", "photographer", "Title", "Tags", " ", "Caption ", "null", "{}"]),
    _text,
)

_json_keys = _text.filter(lambda key: key not in ("Records", "update"))
_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _any_text)
_json_values = st.recursive(
    _json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(_json_keys, children, max_size=3)),
    max_leaves=8,
)
_json_objects = st.dictionaries(
    st.one_of(st.sampled_from(["id", "value", "status", "eventName", "date", "reason", "Event"]), _json_keys),
    _json_values,
    max_size=4,
)
# Text that is not JSON: SNS matches no body policy against it.
_not_json = st.one_of(
    st.sampled_from(["Sunset at Inch", "{not json", "{'id': 'x'}", "Records", "update.status", "[1,", "NaN!"]),
    _text.filter(lambda text: not _is_json(text)),
)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@st.composite
def _s3_record(draw: st.DrawFn, event_name: str) -> dict:
    key = draw(_upload_keys)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2024-05-01T12:00:00.000Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "uploads",
            "bucket": {"name": "imagepipe-local-images", "arn": "arn:aws:s3:::imagepipe-local-images"},
            "object": {"key": quote_plus(key, safe="/"), "size": draw(st.integers(0, 10**8)), "sequencer": "0A1B"},
        },
    }


@st.composite
def s3_events(draw: st.DrawFn) -> Message:
    """An S3 notification: one record (as S3 sends) or a few, of any event names, or S3's test event;
    usually without attributes (S3 sets none), sometimes with some, `metadata_type` among them."""
    if draw(st.integers(0, 9)) == 0:
        body = {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": "2024-05-01T12:00:00.000Z",
            "Bucket": "imagepipe-local-images",
            "RequestId": "5582815E1AEA5ADF",
            "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
        }
        names: list[str] = []
    else:
        names = draw(st.lists(st.sampled_from(S3_EVENT_NAMES), min_size=1, max_size=3))
        body = {"Records": [draw(_s3_record(name)) for name in names]}
    intended = {INGEST} if any(name in CREATED for name in names) else set()
    intended |= {REMOVAL} if any(name in REMOVED for name in names) else set()
    attributes: dict[str, dict[str, str]] = {}
    if draw(st.integers(0, 3)) == 0:
        attributes = draw(_unrelated_attributes)
        if draw(st.booleans()):
            attributes[METADATA_TYPE] = _string(draw(_metadata_type_values))
            intended.add(METADATA)
    return Message("s3 event", json.dumps(body), attributes, frozenset(intended))


_metadata_bodies = st.one_of(
    st.fixed_dictionaries({"id": _ids, "value": _text}).map(json.dumps),  # valid
    st.fixed_dictionaries({"id": _ids, "value": st.sampled_from(["", " ", "x" * 5000])}).map(json.dumps),
    st.fixed_dictionaries({"id": _ids, "value": _json_values}).map(json.dumps),  # any value, any type
    st.fixed_dictionaries({"id": _json_values, "value": _text}).map(json.dumps),  # an id that is no id
    st.fixed_dictionaries({"value": _text}).map(json.dumps),  # no id
    st.fixed_dictionaries({"id": _ids}).map(json.dumps),  # no value
    _json_objects.map(json.dumps),
    _json_values.filter(lambda value: not isinstance(value, dict)).map(json.dumps),  # JSON, not an object
    _not_json,
)


@st.composite
def metadata_commands(draw: st.DrawFn) -> Message:
    """A metadata command: the attribute (an accepted type, an unknown one, odd values) and a body valid
    or not (even no JSON at all); it reaches the metadata route whatever its body, which the function
    judges. Now and then the body is also a review, so it reaches both."""
    attributes = {**draw(_unrelated_attributes), METADATA_TYPE: _string(draw(_metadata_type_values))}
    intended = {METADATA}
    if draw(st.integers(0, 9)) == 0:
        body = json.dumps({"id": draw(_ids), "value": draw(_text), "update": {"status": "Pass"}})
        intended.add(REVIEW)
    else:
        body = draw(_metadata_bodies)
    return Message("metadata command", body, attributes, frozenset(intended))


# Status values a review may carry, and whether AWS routes them (a non-null leaf: `exists` is true).
_routed_statuses = st.one_of(
    st.sampled_from(sorted(VERDICTS)),
    st.sampled_from(["pass", "REJECT", "Approve", "", " Pass"]),
    _any_text,
    st.integers(),
    st.booleans(),
    st.lists(st.sampled_from(sorted(VERDICTS)), min_size=1, max_size=2),  # arrays are transparent
)
_unrouted_statuses = st.sampled_from([None, {}, {"value": "Pass"}, [], [None]])


@st.composite
def review_commands(draw: st.DrawFn) -> Message:
    """A review command, valid or malformed: any verdict, no reason, a status that is no string, an
    `update` that is no object, no id or date; without attributes, with unrelated ones, now and then
    with `metadata_type` too."""
    update: object
    moto_unlike: set[str] = set()
    moto_cannot_publish = False
    shape = draw(st.sampled_from(["status", "unrouted status", "no status", "update not an object", "array"]))
    if shape == "status":
        update = {"status": draw(_routed_statuses)}
        routed = True
    elif shape == "unrouted status":
        update = {"status": draw(_unrouted_statuses)}
        routed = False
        moto_unlike.add(REVIEW)  # moto: the key is there, so it exists
    elif shape == "no status":
        update = draw(st.dictionaries(st.sampled_from(["reason", "Status", "verdict"]), _json_values, max_size=2))
        routed = False
    elif shape == "update not an object":
        update = draw(st.one_of(_json_scalars, st.lists(_json_scalars, max_size=3)))
        routed = False
        if isinstance(update, list) and update:
            moto_cannot_publish = True  # moto fails on scalars in a list where it looks for objects
    else:  # a list of updates: matched through the array, as Records[*].eventName is
        update = [{"status": draw(_routed_statuses)}, *draw(st.lists(st.fixed_dictionaries({"reason": _text})))]
        routed = True
    if isinstance(update, dict) and draw(st.booleans()):
        update["reason"] = draw(st.one_of(_text, _json_scalars))
    body: object = {"update": update}
    for key, values in {"id": _ids, "date": st.sampled_from(["2024-05-01", "yesterday", "2999-01-01"])}.items():
        if draw(st.integers(0, 4)):
            body = {key: draw(values), **body}
    if draw(st.integers(0, 14)) == 0:
        body = [body]  # a JSON array, not an object: no body policy matches it on AWS
        if routed:
            moto_unlike.add(REVIEW)  # moto applies the policy to the array's elements
        routed = False
    intended = {REVIEW} if routed else set()
    attributes = draw(_unrelated_attributes) if draw(st.booleans()) else {}
    if draw(st.integers(0, 9)) == 0:
        attributes[METADATA_TYPE] = _string(draw(_metadata_type_values))
        intended.add(METADATA)
    return Message(
        "review command", json.dumps(body), attributes, frozenset(intended), frozenset(moto_unlike), moto_cannot_publish
    )


# Bodies that come close to a route, the routes they reach all the same, and whether moto can take them.
_near_misses = st.sampled_from(
    [
        ({"eventName": "ObjectCreated:Put"}, NOTHING, False),  # no Records
        ({"Records": []}, NOTHING, False),
        ({"Records": "ObjectCreated:Put"}, NOTHING, False),
        ({"Records": {"eventName": "objectcreated:put"}}, NOTHING, False),  # case matters
        ({"Records": [{"eventName": "ObjectCreated"}]}, NOTHING, False),  # no colon: not the prefix
        ({"Records": [{"eventName": "s3:ObjectCreated:Put"}]}, NOTHING, False),  # the notification's name
        ({"Records": [{"eventSource": "aws:s3"}]}, NOTHING, False),
        ({"Records": [{"eventName": 5}]}, NOTHING, True),
        ({"Records": [{"eventName": None}]}, NOTHING, True),
        ({"Records": [{"eventName": ["ObjectRemoved:Delete"]}]}, frozenset({REMOVAL}), True),  # arrays are transparent
        ({"status": "Pass"}, NOTHING, False),  # a status, but not in an update
        ({"Update": {"status": "Pass"}}, NOTHING, False),
        ({"update": {"Status": "Pass"}}, NOTHING, False),
        ({"update": None}, NOTHING, False),
        ({"metadata_type": "Caption", "id": "x", "value": "y"}, NOTHING, False),  # the attribute's name in the body
    ]
)


@st.composite
def unrelated_messages(draw: st.DrawFn) -> Message:
    """A message of no route: any JSON (no `Records` or `update`), JSON that comes close to a route
    (one of them on it after all), or plain text; with or without attributes (never `metadata_type`)."""
    moto_cannot_publish = False
    intended = NOTHING
    choice = draw(st.integers(0, 3))
    if choice == 0:
        body, intended, moto_cannot_publish = draw(_near_misses)
        text = json.dumps(body)
    elif choice == 1:
        text = draw(_not_json)
    else:
        text = json.dumps(draw(st.one_of(_json_objects, _json_values)))
    attributes = draw(_unrelated_attributes) if draw(st.booleans()) else {}
    return Message("unrelated", text, attributes, intended, moto_cannot_publish=moto_cannot_publish)


messages = st.one_of(s3_events(), metadata_commands(), review_commands(), unrelated_messages())


# --- (a) the model says what the routes intend ------------------------------------------------------------


@given(messages)
def test_the_model_routes_every_kind_of_message_as_intended(message):
    assert routes_for(message.body, message.attributes) == message.intended, message


def _s3_event(*names: str) -> str:
    return json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": name} for name in names]})


def test_every_created_upload_reaches_ingest_only_and_every_removed_one_removal_only():
    for name in CREATED:
        assert routes_for(_s3_event(name), {}) == {INGEST}
        assert routes_for(_s3_event(name), {METADATA_TYPE: _string("Caption")}) == {INGEST, METADATA}
    for name in REMOVED:
        assert routes_for(_s3_event(name), {}) == {REMOVAL}
    for name in OTHER_S3:
        assert routes_for(_s3_event(name), {}) == NOTHING
    assert routes_for(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}), {}) == NOTHING
    assert routes_for(_s3_event("ObjectRemoved:Delete", "ObjectCreated:Put"), {}) == {INGEST, REMOVAL}


def test_metadata_commands_reach_the_metadata_route_whatever_their_type_or_body():
    for metadata_type in [*METADATA_FIELDS, "Title", "caption"]:
        attributes = {METADATA_TYPE: _string(metadata_type)}
        assert routes_for(json.dumps({"id": "uploads/alice/beach.jpg", "value": "Sunset"}), attributes) == {METADATA}
        assert routes_for("Sunset at Inch", attributes) == {METADATA}
    assert routes_for(json.dumps({"id": "x", "value": "y"}), {"owner": _string("alice")}) == NOTHING
    assert routes_for(json.dumps({METADATA_TYPE: "Caption"}), {}) == NOTHING  # an attribute, not a body key


def test_review_commands_reach_the_review_route_whatever_their_status_but_a_null_or_object_one():
    def review(status: object) -> str:
        return json.dumps({"id": "x", "date": "2024-05-01", "update": {"status": status, "reason": "blurred"}})

    for status in ["Pass", "Reject", "Maybe", "", 5, False, ["Pass"]]:
        assert routes_for(review(status), {}) == {REVIEW}
    assert routes_for(json.dumps({"update": [{"status": "Pass"}]}), {}) == {REVIEW}
    # AWS's `exists` holds for a non-null leaf only: these commands never reach the function, so SNS
    # drops them instead of the function rejecting them with a reason.
    for status in [None, {}, {"value": "Pass"}, []]:
        assert routes_for(review(status), {}) == NOTHING
    assert routes_for(json.dumps({"update": "Pass"}), {}) == NOTHING
    assert routes_for(json.dumps({"update": {"reason": "no status"}}), {}) == NOTHING
    assert routes_for(json.dumps([{"update": {"status": "Pass"}}]), {}) == NOTHING  # not an object


def test_a_body_that_is_no_json_matches_no_body_route():
    for route in (UPLOADS_CREATED, UPLOADS_REMOVED, REVIEW_COMMANDS):
        assert not matches(route, "ObjectCreated:Put update status", {})
        assert not matches(route, '{"Records": [{"eventName": "ObjectCreated:Put"}]', {})


def test_exists_false_and_exact_values_follow_aws():
    absent = Route("absent", {"flag": [{"exists": False}]}, "MessageAttributes", raw_message_delivery=True)
    assert matches(absent, "x", {"other": _string("1")})
    assert not matches(absent, "x", {})  # an empty set of attributes matches no policy
    assert not matches(absent, "x", {"flag": _string("1")})
    exact = Route("exact", {"a": {"b": ["one", "two"]}}, "MessageBody", raw_message_delivery=True)
    assert matches(exact, json.dumps({"a": [{"b": "zero"}, {"b": "two"}]}), {})
    assert not matches(exact, json.dumps({"a": {"b": "three"}}), {})
    assert not matches(exact, json.dumps({"a": {"b": 1}}), {})
    body_absent = Route("body-absent", {"a": [{"exists": False}]}, "MessageBody", raw_message_delivery=True)
    assert matches(body_absent, json.dumps({"b": 1}), {})
    assert not matches(body_absent, json.dumps({"a": 1}), {})


def test_the_model_refuses_what_it_does_not_model():
    with pytest.raises(ValueError, match="outside the model"):
        matches(Route("n", {"a": [{"anything-but": "x"}]}, "MessageBody", True), '{"a": "y"}', {})
    with pytest.raises(ValueError, match="outside the model"):
        matches(METADATA_COMMANDS, "x", {METADATA_TYPE: {"DataType": "Number", "StringValue": "1"}})


# --- (b) moto, subscribed by the same routes, delivers as the model says ------------------------------------

CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class Topic:
    sns: Any
    sqs: Any
    arn: str
    queues: dict[str, str]  # route name → queue URL


@pytest.fixture(scope="module")
def events_topic():
    """One topic, and one queue per route subscribed as StageQueue subscribes it (the Route's data)."""
    with mock_aws():
        sns, sqs = boto3.client("sns", **CREDENTIALS), boto3.client("sqs", **CREDENTIALS)
        arn = sns.create_topic(Name="events")["TopicArn"]
        queues = {}
        for route in ROUTES:
            url = sqs.create_queue(QueueName=f"imagepipe-test-{route.name}")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(
                TopicArn=arn,
                Protocol="sqs",
                Endpoint=queue_arn,
                Attributes={
                    "FilterPolicyScope": route.scope,
                    "FilterPolicy": route.policy_json(),
                    "RawMessageDelivery": str(route.raw_message_delivery).lower(),
                },
            )
            queues[route.name] = url
        yield Topic(sns, sqs, arn, queues)


def _drain(topic: Topic, route: Route) -> list[tuple[str, str | None]]:
    """Every message in the route's queue, as (body, metadata_type) once out of any SNS envelope; the
    queue is left empty. A receive of fewer than ten is the last (moto holds no message back)."""
    received: list[tuple[str, str | None]] = []
    url = topic.queues[route.name]
    batch = [None] * 10
    while len(batch) == 10:
        batch = topic.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in batch:
            if route.raw_message_delivery:
                received.append((message["Body"], None))
            else:
                envelope = json.loads(message["Body"])
                assert envelope["Type"] == "Notification"
                assert envelope["TopicArn"] == topic.arn
                assert envelope["MessageId"] and envelope["Timestamp"]  # what the command functions order by
                attribute = envelope.get("MessageAttributes", {}).get(METADATA_TYPE)
                received.append((envelope["Message"], attribute and attribute["Value"]))
        if batch:
            topic.sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
            )
    return received


@given(st.lists(messages, min_size=1, max_size=8))
def test_moto_delivers_each_message_to_exactly_the_queues_the_model_says(events_topic, batch):
    published = [message for message in batch if not message.moto_cannot_publish]
    if published:
        answer = events_topic.sns.publish_batch(
            TopicArn=events_topic.arn,
            PublishBatchRequestEntries=[
                {"Id": str(i), "Message": message.body, "MessageAttributes": message.attributes}
                for i, message in enumerate(published)
            ],
        )
        assert answer["Failed"] == []
    for route in ROUTES:
        received = Counter(_drain(events_topic, route))
        expected: Counter[tuple[str, str | None]] = Counter()
        for message in published:
            seen = (message.body, _metadata_type(message) if not route.raw_message_delivery else None)
            if route.name in message.moto_unlike:
                received[seen] = max(0, received[seen] - 1)  # moto's known difference, not ours to check
            elif matches(route, message.body, message.attributes):
                expected[seen] += 1
        assert +received == expected, route.name


def _metadata_type(message: Message) -> str | None:
    attribute = message.attributes.get(METADATA_TYPE)
    return attribute["StringValue"] if attribute else None


def test_the_moto_differences_are_real(events_topic):
    """The cases tagged as moto's differences still differ: once moto matches like AWS, untag them."""
    unrouted = Message("review", json.dumps({"update": {"status": None}}))
    events_topic.sns.publish(TopicArn=events_topic.arn, Message=unrouted.body)
    assert [body for body, _ in _drain(events_topic, REVIEW_COMMANDS)] == [unrouted.body]
    assert routes_for(unrouted.body, {}) == NOTHING
    for route in ROUTES:
        _drain(events_topic, route)
