"""The routes of the deployed events topic: published to, each message reaches exactly the routes the
model of SNS matching (components/routes.py) says, as it does in moto (tests/unit/components/
test_routes.py), with the messages generated for both (tests/messages.py).

One tap queue per route is subscribed to the deployed topic exactly as the stage's queue is (the
route's filter policy, scope and raw delivery), and hypothesis publishes lists of messages of every
kind. The stage functions receive them too, so every message is made harmless first, without changing
where it goes (routing depends on `eventName`, a `metadata_type` attribute and `update.status` only):

- S3 events name the stack's bucket and keys `uploads/<the test's owner>/<random>` that do not exist,
  with a small size: ingest finds the object gone and writes nothing, removal finds no record;
- commands name upload keys under the test's owner that do not exist (or image ids that cannot), so
  the command functions park each in the command rejections queue; the test takes exactly its own
  off again (by SNS message id, as many as its command taps received);
- a message the model sends to ingest or removal that those functions could not even read (S3 never
  sends one) is left out, not to crash a stage into its dead-letter queue; a record whose `eventName`
  is not text (a list that the body policy still matches) is read as no event, and stays in.

Afterwards no record, object or parked rejection of the test remains; the test checks that.

LocalStack (4.9.2) answers otherwise than AWS's documented matching in two cases, tagged where the
messages are generated (`localstack_unlike`, `localstack_cannot_publish`) and checked to still differ
by `test_the_localstack_differences_are_real`:

- its `exists` holds for a key whose leaf is null (its flattened body has the key): a review whose
  `update.status` is null (or `[null]`) reaches the review route, where AWS drops it;
- its `prefix` raises on a value that is neither text nor null (an `eventName` that is a number), and
  the exception fails the whole publish (an InternalError), where AWS just does not match.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from components.routes import REVIEW_COMMANDS, ROUTES, UPLOADS_CREATED, UPLOADS_REMOVED, Route, matches
from handlers.contract import METADATA_TYPE, UPLOAD_PREFIX
from handlers.pipeline.uploads import image_id_for, removals_in, uploads_in
from handlers.stores.image_store import ImageStore
from harness import commands
from harness.aws import TEST_CREDENTIALS, AwsTarget
from harness.notice_tap import SubscribedQueue
from harness.polling import wait_until
from tests.messages import Message, messages

EVENTS = "events_topic_arn"
SMALL = 1024  # the size S3 events say their object has: under every limit, so ingest goes to read it
DELIVERY = 15.0  # seconds for the taps to receive an example's messages
PARKING = 60.0  # seconds for the command functions to park every command the test published

Received = tuple[str, str | None]  # a message as a route's queue holds it: (body, metadata_type)


class RouteTap:
    """A queue of the test's own subscribed to the events topic as `route`'s stage queue is (its
    policy, scope and raw flag); removed again on leaving. `read()` takes what has arrived."""

    def __init__(self, target: AwsTarget, topic_arn: str, route: Route) -> None:
        attributes = {
            "FilterPolicyScope": route.scope,
            "FilterPolicy": route.policy_json(),
            "RawMessageDelivery": str(route.raw_message_delivery).lower(),
        }
        self._queue = SubscribedQueue(target, topic_arn, attributes, name=f"route-tap-{route.name}")
        self.sqs, self.topic_arn, self.route = self._queue.sqs, topic_arn, route
        self.queue_url = ""

    def __enter__(self) -> RouteTap:
        self.queue_url = self._queue.__enter__().queue_url or ""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._queue.__exit__(kind, error, trace)

    def read(self, wait_seconds: int = 0) -> list[tuple[Received, str | None]]:
        """Every message in the queue now (waiting up to `wait_seconds` for a first one), taken off
        it: (body, metadata_type) out of any SNS envelope, with the SNS message id where the envelope
        says it (raw delivery does not)."""
        got: list[tuple[Received, str | None]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=wait_seconds
        ).get("Messages", []):
            for message in batch:
                if self.route.raw_message_delivery:
                    attribute = message.get("MessageAttributes", {}).get(METADATA_TYPE)
                    got.append(((message["Body"], attribute and attribute["StringValue"]), None))
                else:
                    envelope = json.loads(message["Body"])
                    assert (envelope["Type"], envelope["TopicArn"]) == ("Notification", self.topic_arn)
                    attribute = envelope.get("MessageAttributes", {}).get(METADATA_TYPE)
                    got.append(((envelope["Message"], attribute and attribute["Value"]), envelope["MessageId"]))
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
            wait_seconds = 0
        return got


@pytest.fixture
def route_taps(stack) -> Iterator[dict[str, RouteTap]]:
    """One tap per route of the events topic, for the test."""
    with ExitStack() as taps:
        yield {route.name: taps.enter_context(RouteTap(stack.target, stack.outputs[EVENTS], route)) for route in ROUTES}


@dataclass
class Ledger:
    """What the test published, and what it must leave nothing of."""

    message_ids: set[str] = field(default_factory=set)
    bodies: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)  # upload keys named by S3 events and commands
    image_ids: set[str] = field(default_factory=set)  # image ids named by commands
    rejections: Counter[tuple[str, str]] = field(default_factory=Counter)  # (message id, route) a command tap saw
    foreign: list[tuple[str, Received]] = field(default_factory=list)  # what the taps saw of no message of ours


def harmless(message: Message, bucket: str, owner: str, ledger: Ledger) -> Message | None:
    """The message with every S3 record and command naming an upload of `owner` that does not exist;
    None for one that ingest or removal could not read (the model routes it there, S3 never sends it)."""
    try:
        document = json.loads(message.body)
    except ValueError:
        return message
    if isinstance(document, dict):
        records = document.get("Records")
        for record in records if isinstance(records, list) else []:
            if isinstance(record, dict) and isinstance(record.get("s3"), dict):
                key = f"{UPLOAD_PREFIX}{owner}/{uuid.uuid4().hex[:12]} s3 é.jpg"  # S3 encodes space and é
                record["s3"]["bucket"] = {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}
                record["s3"]["object"] |= {"key": quote_plus(key, safe="/"), "size": SMALL}
                ledger.keys.add(key)
        command_id = document.get("id")
        if isinstance(command_id, str) and command_id.strip().startswith(UPLOAD_PREFIX):
            document["id"] = f"{UPLOAD_PREFIX}{owner}/{uuid.uuid4().hex[:12]}.jpg"
            ledger.keys.add(document["id"])
        elif isinstance(command_id, str) and command_id.strip():
            ledger.image_ids.add(command_id.strip())
    body = json.dumps(document) if document != json.loads(message.body) else message.body
    if {UPLOADS_CREATED.name, UPLOADS_REMOVED.name} & routes(message):
        try:
            announced = [event.key for event in [*uploads_in(body), *removals_in(body)]]
        except (AttributeError, KeyError, TypeError, ValueError):
            return None
        assert all(key in ledger.keys for key in announced), announced
    return replace(message, body=body)


def routes(message: Message) -> set[str]:
    """The routes a message reaches on AWS (the model), or on LocalStack where it is known to differ."""
    return {route.name for route in ROUTES if matches(route, message.body, message.attributes)} ^ set(
        message.localstack_unlike
    )


def expected_on(route: Route, sent: list[Message]) -> Counter[Received]:
    """What the route's queue must hold of the messages `sent`, as the model says (a difference of
    LocalStack's is not ours to check: its copies are discounted from what arrived)."""
    expected: Counter[Received] = Counter()
    for message in sent:
        if route.name not in message.localstack_unlike and matches(route, message.body, message.attributes):
            attribute = message.attributes.get(METADATA_TYPE)
            expected[(message.body, attribute and attribute["StringValue"])] += 1
    return expected


def test_the_deployed_topic_delivers_each_message_to_exactly_the_routes_the_model_says(stack, upload, route_taps):
    sns, sqs = stack.target.client("sns"), stack.target.client("sqs")
    topic, rejections_url = stack.outputs[EVENTS], stack.outputs["command_rejections_url"]
    ledger = Ledger()

    def take(tap: RouteTap, into: Counter[Received], wait_seconds: int = 0) -> None:
        for received, message_id in tap.read(wait_seconds):
            ours = message_id in ledger.message_ids if message_id else received[0] in ledger.bodies
            if not ours:
                ledger.foreign.append((tap.route.name, received))
                continue
            into[received] += 1
            if message_id:
                ledger.rejections[(message_id, tap.route.name)] += 1

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(messages, min_size=1, max_size=6))
    def deliver(batch: list[Message]) -> None:
        made = [harmless(m, stack.bucket, upload.owner, ledger) for m in batch if not m.localstack_cannot_publish]
        sent = [m for m in made if m is not None]
        for message in sent:
            ledger.bodies.add(message.body)
            answer = sns.publish(TopicArn=topic, Message=message.body, MessageAttributes=message.attributes)
            ledger.message_ids.add(answer["MessageId"])
            note(f"published {answer['MessageId']}: {message}")
        expected = {route.name: expected_on(route, sent) for route in ROUTES}
        received: dict[str, Counter[Received]] = {route.name: Counter() for route in ROUTES}
        unlike = {route.name: Counter[Received]() for route in ROUTES}
        for message in sent:
            for name in message.localstack_unlike:
                attribute = message.attributes.get(METADATA_TYPE)
                unlike[name][(message.body, attribute and attribute["StringValue"])] += 1

        def arrived() -> bool:
            for name, tap in route_taps.items():
                take(tap, received[name])
            return all(received[name] - unlike[name] >= expected[name] for name in received)

        wait_until(arrived, timeout=DELIVERY, what="every tap to receive what the model says")
        with ThreadPoolExecutor(len(route_taps)) as pool:  # one more (short) read: anything beyond arrives too
            list(pool.map(lambda name: take(route_taps[name], received[name], wait_seconds=1), route_taps))
        for name in received:
            assert received[name] - unlike[name] == expected[name], (name, ledger.foreign)

    try:
        deliver()
    finally:
        try:
            parked = take_back_rejections(sqs, rejections_url, ledger)
        finally:
            left = leftovers(stack, upload.owner, ledger)
    assert parked == +ledger.rejections, "each command a command route received is parked once"
    assert left == {}, f"the test left {left}"


def take_back_rejections(sqs: Any, queue_url: str, ledger: Ledger) -> Counter[tuple[str, str]]:
    """Take the parked rejections of the test's commands off the queue, waiting for as many as the
    command taps received (their routes' functions received the same); what was taken."""
    taken: Counter[tuple[str, str]] = Counter()
    if not ledger.message_ids:
        return taken

    def all_taken() -> bool:
        for rejection in commands.parked(sqs, queue_url, ledger.message_ids):
            taken[(rejection["message"]["MessageId"], rejection["kind"])] += 1
        return taken >= ledger.rejections

    wait_until(all_taken, timeout=PARKING, interval=0.5, what="the test's commands to be parked")
    return taken


def leftovers(stack: Any, owner: str, ledger: Ledger) -> dict[str, Any]:
    """What the test left in the stack (removed, so the next test starts clean): records of the keys
    and image ids it named, objects under its owner, parked rejections of its commands."""
    dynamodb, s3 = stack.target.client("dynamodb"), stack.target.client("s3")
    records = ImageStore(stack.table, dynamodb)
    left: dict[str, Any] = {}
    image_ids = {image_id_for(key) for key in ledger.keys} | {i for i in ledger.image_ids if len(i.encode()) <= 1024}
    if found := sorted(image_id for image_id in image_ids if records.get(image_id)):
        left["records"] = found
        for image_id in found:
            dynamodb.delete_item(TableName=stack.table, Key={"image_id": {"S": image_id}})
    listing = s3.list_objects_v2(Bucket=stack.bucket, Prefix=f"{UPLOAD_PREFIX}{owner}/").get("Contents", [])
    if listing:
        left["objects"] = sorted(item["Key"] for item in listing)
        for item in listing:
            s3.delete_object(Bucket=stack.bucket, Key=item["Key"])
    sqs, rejections_url = stack.target.client("sqs"), stack.outputs["command_rejections_url"]
    if ledger.message_ids and (parked := commands.parked(sqs, rejections_url, ledger.message_ids)):
        left["rejections"] = parked
    return left


def test_the_localstack_differences_are_real(stack, route_taps):
    """The cases tagged as LocalStack's differences still differ: once it matches like AWS, untag them."""
    sns, sqs = stack.target.client("sns"), stack.target.client("sqs")
    topic, rejections_url = stack.outputs[EVENTS], stack.outputs["command_rejections_url"]
    review = route_taps[REVIEW_COMMANDS.name]
    null_status = json.dumps({"update": {"status": None}})  # no id: the review function parks it
    message_id = sns.publish(TopicArn=topic, Message=null_status)["MessageId"]
    assert not matches(REVIEW_COMMANDS, null_status, {})  # AWS drops it
    arrived = wait_until(review.read, timeout=DELIVERY, what="the null status on the review route")
    assert [received for received, _ in arrived] == [(null_status, None)]
    found = wait_until(
        lambda: commands.parked(sqs, rejections_url, {message_id}),
        timeout=PARKING,
        what="the null status to be parked",
    )
    assert [r["kind"] for r in found] == ["review"]

    once = boto3.client(  # no retries: LocalStack answers the failed publish with a server error
        "sns",
        endpoint_url=stack.target.endpoint_url,
        region_name=stack.target.region,
        config=Config(retries={"total_max_attempts": 1}),
        **TEST_CREDENTIALS,
    )
    number = json.dumps({"Records": [{"eventName": 5}]})
    assert not any(matches(route, number, {}) for route in ROUTES)  # AWS: no route, no error
    with pytest.raises(ClientError) as failed:
        once.publish(TopicArn=topic, Message=number)
    assert failed.value.response["Error"]["Code"] == "InternalError", failed.value
    with ThreadPoolExecutor(len(route_taps)) as pool:
        assert list(pool.map(lambda tap: tap.read(1), route_taps.values())) == [[]] * len(route_taps)
