"""The routes of the events topic: the model of SNS matching says what the routes intend, and moto,
given the same routes as subscriptions, delivers each message to exactly the queues the model says.

Hypothesis generates messages of every kind the topic may carry: S3 events of every event name (and
S3's test event), metadata commands valid and malformed, review commands valid and malformed, and
unrelated messages with and without attributes. Each generated message knows the routes it is meant
to reach; the model must agree, and so must moto, but for the few cases below where moto is known to
differ from AWS's documented matching (those are tagged where they are generated, in
tests/messages.py):

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
from dataclasses import dataclass
from typing import Any

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
from handlers.contract import METADATA_FIELDS, METADATA_TYPE
from tests.messages import (
    CREATED,
    INGEST,
    METADATA,
    NOTHING,
    OTHER_S3,
    REMOVAL,
    REMOVED,
    REVIEW,
    Message,
    messages,
)
from tests.messages import string_attribute as _string

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
