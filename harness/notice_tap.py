"""What the stack tells people, seen from outside it: a tap on the notifications topic (a queue of
our own subscribed to it, raw, with a filter policy, removed again when done), and the mail the
emulator's SES kept."""

from __future__ import annotations

import json
import urllib.request
import uuid
from types import TracebackType
from typing import Any

from harness.aws import AwsTarget


class SubscribedQueue:
    """A queue of our own subscribed to a topic with the given subscription `attributes` (filter
    policy, scope, raw delivery), for as long as the `with` block lasts: both go again on leaving."""

    def __init__(self, target: AwsTarget, topic_arn: str, attributes: dict[str, str], name: str = "tap") -> None:
        self.sqs, self.sns = target.client("sqs"), target.client("sns")
        self.topic_arn, self.attributes, self.name = topic_arn, attributes, name
        self.queue_url: str | None = None
        self.subscription: str | None = None

    def __enter__(self) -> SubscribedQueue:
        name = f"imagepipe-{self.name}-{uuid.uuid4().hex[:10]}"
        self.queue_url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]
        self.subscription = self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=arn["QueueArn"],
            Attributes=self.attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.subscription:
            self.sns.unsubscribe(SubscriptionArn=self.subscription)
        if self.queue_url:
            self.sqs.delete_queue(QueueUrl=self.queue_url)


class NoticeTap:
    """`with NoticeTap(target, topic_arn, {"owner": ["alice"]}) as tap: … tap.received()` (without
    a filter policy, it sees every message of the topic)."""

    def __init__(self, target: AwsTarget, topic_arn: str, filter_policy: dict[str, Any] | None = None) -> None:
        attributes = {"RawMessageDelivery": "true"}
        if filter_policy:
            attributes["FilterPolicy"] = json.dumps(filter_policy)
        self._queue = SubscribedQueue(target, topic_arn, attributes)
        self.sqs = self._queue.sqs
        self.notices: list[tuple[dict[str, Any], dict[str, str]]] = []
        self._queue_url: str | None = None

    def __enter__(self) -> NoticeTap:
        self._queue_url = self._queue.__enter__().queue_url
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._queue.__exit__(kind, error, trace)

    def received(self, wait_seconds: int = 1) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Every notice that has arrived so far, as (message, attributes), oldest first; waits up to
        `wait_seconds` for new ones."""
        if self._queue_url is None:
            raise RuntimeError("a NoticeTap reads only inside its `with` block")
        response = self.sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=wait_seconds,
        )
        for message in response.get("Messages", []):
            attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
            self.notices.append((json.loads(message["Body"]), attributes))
            self.sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return list(self.notices)


def sent_mail(endpoint_url: str) -> list[dict[str, Any]] | None:
    """Every mail LocalStack's SES has sent (it delivers none, and keeps them at `/_aws/ses`), oldest
    first; None where the endpoint keeps no such list (AWS, another emulator)."""
    try:
        with urllib.request.urlopen(f"{endpoint_url}/_aws/ses", timeout=10) as response:
            return list(json.load(response)["messages"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
