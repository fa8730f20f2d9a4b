"""Messages of the events topic, generated: for the routing tests against the model
(tests/unit/components/test_routes.py), moto (the same) and the deployed stack
(tests/e2e/test_routing.py).

Hypothesis strategies for every kind of message the topic may carry: S3 events of every event name
(and S3's test event), metadata commands valid and malformed, review commands valid and malformed,
and unrelated messages with and without attributes. Each generated `Message` knows the routes it is
meant to reach (`intended`), and is tagged where a known emulator answers otherwise than AWS's
documented matching: `moto_unlike` / `moto_cannot_publish` (test_routes.py says what differs) and
`localstack_unlike` / `localstack_cannot_publish` (tests/e2e/test_routing.py says what differs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from hypothesis import strategies as st

from components.routes import ROUTES
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
    localstack_unlike: frozenset[str] = NOTHING  # routes where LocalStack is known to answer otherwise than AWS
    localstack_cannot_publish: bool = False


def string_attribute(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


# --- strategies --------------------------------------------------------------------------------------

# SNS refuses empty attribute values and empty messages; surrogates are not UTF-8.
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
_any_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
_upload_keys = st.builds(lambda owner, name: f"uploads/{owner}/{name}", _text, _text)
_ids = st.one_of(_upload_keys, st.uuids().map(str))
_unrelated_attribute_names = st.sampled_from(["owner", "status", "source", "trace_id", "Metadata_Type", "type"])
_unrelated_attributes = st.dictionaries(_unrelated_attribute_names, _text.map(string_attribute), max_size=3)
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
            attributes[METADATA_TYPE] = string_attribute(draw(_metadata_type_values))
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
    attributes = {**draw(_unrelated_attributes), METADATA_TYPE: string_attribute(draw(_metadata_type_values))}
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
    localstack_unlike: set[str] = set()
    shape = draw(st.sampled_from(["status", "unrouted status", "no status", "update not an object", "array"]))
    if shape == "status":
        update = {"status": draw(_routed_statuses)}
        routed = True
    elif shape == "unrouted status":
        update = {"status": draw(_unrouted_statuses)}
        routed = False
        moto_unlike.add(REVIEW)  # moto: the key is there, so it exists
        if update["status"] in (None, [None]):
            localstack_unlike.add(REVIEW)  # LocalStack: a null leaf exists
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
        attributes[METADATA_TYPE] = string_attribute(draw(_metadata_type_values))
        intended.add(METADATA)
    return Message(
        "review command",
        json.dumps(body),
        attributes,
        frozenset(intended),
        frozenset(moto_unlike),
        moto_cannot_publish,
        frozenset(localstack_unlike),
    )


# Bodies that come close to a route, the routes they reach all the same, and whether moto, and LocalStack, cannot
# publish them.
_near_misses = st.sampled_from(
    [
        ({"eventName": "ObjectCreated:Put"}, NOTHING, False, False),  # no Records
        ({"Records": []}, NOTHING, False, False),
        ({"Records": "ObjectCreated:Put"}, NOTHING, False, False),
        ({"Records": {"eventName": "objectcreated:put"}}, NOTHING, False, False),  # case matters
        ({"Records": [{"eventName": "ObjectCreated"}]}, NOTHING, False, False),  # no colon: not the prefix
        ({"Records": [{"eventName": "s3:ObjectCreated:Put"}]}, NOTHING, False, False),  # the notification's name
        ({"Records": [{"eventSource": "aws:s3"}]}, NOTHING, False, False),
        ({"Records": [{"eventName": 5}]}, NOTHING, True, True),  # LocalStack: the publish fails
        ({"Records": [{"eventName": None}]}, NOTHING, True, False),
        # arrays are transparent
        ({"Records": [{"eventName": ["ObjectRemoved:Delete"]}]}, frozenset({REMOVAL}), True, False),
        ({"status": "Pass"}, NOTHING, False, False),  # a status, but not in an update
        ({"Update": {"status": "Pass"}}, NOTHING, False, False),
        ({"update": {"Status": "Pass"}}, NOTHING, False, False),
        ({"update": None}, NOTHING, False, False),
        # the attribute's name in the body
        ({"metadata_type": "Caption", "id": "x", "value": "y"}, NOTHING, False, False),
    ]
)


@st.composite
def unrelated_messages(draw: st.DrawFn) -> Message:
    """A message of no route: any JSON (no `Records` or `update`), JSON that comes close to a route
    (one of them on it after all), or plain text; with or without attributes (never `metadata_type`)."""
    moto_cannot_publish = localstack_cannot_publish = False
    intended = NOTHING
    choice = draw(st.integers(0, 3))
    if choice == 0:
        body, intended, moto_cannot_publish, localstack_cannot_publish = draw(_near_misses)
        text = json.dumps(body)
    elif choice == 1:
        text = draw(_not_json)
    else:
        text = json.dumps(draw(st.one_of(_json_objects, _json_values)))
    attributes = draw(_unrelated_attributes) if draw(st.booleans()) else {}
    return Message(
        "unrelated",
        text,
        attributes,
        intended,
        moto_cannot_publish=moto_cannot_publish,
        localstack_cannot_publish=localstack_cannot_publish,
    )


messages = st.one_of(s3_events(), metadata_commands(), review_commands(), unrelated_messages())
