"""What SQS says of one queue: its counts, its ARN, the dead-letter queue its redrive policy names,
and, where the endpoint can tell without receiving anything, the age of its oldest message.

SQS has no attribute for the age of a queue's oldest message, and receiving one to look at it is
not harmless (it counts towards the message's receives, hides it from the stage's function for the
visibility timeout, and races the function's poller). So on AWS the age is CloudWatch's
`ApproximateAgeOfOldestMessage` (status.py), and in the emulator it is read from the emulator's SQS
itself: LocalStack lists a queue's messages, visible and in flight, without touching them
(`/_aws/sqs/messages`), each with its `SentTimestamp`.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from harness.ops.stack import OpsError, queue_name

COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")


@dataclass(frozen=True)
class Queue:
    """One queue as SQS describes it: URL, ARN, messages visible and in flight, and the ARN of its
    dead-letter queue (None: it has no redrive policy)."""

    url: str
    arn: str
    visible: int
    in_flight: int
    dead_letter_arn: str | None

    @property
    def name(self) -> str:
        return queue_name(self.url)

    @property
    def empty(self) -> bool:
        return self.visible == 0 and self.in_flight == 0


def describe(sqs: Any, url: str) -> Queue:
    """The queue at `url`: its counts, its ARN and its redrive policy's dead-letter queue."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[*COUNTS, "QueueArn", "RedrivePolicy"])[
        "Attributes"
    ]
    return Queue(
        url=url,
        arn=attributes["QueueArn"],
        visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        dead_letter_arn=_dead_letter_target(attributes.get("RedrivePolicy"), url),
    )


def _dead_letter_target(policy: str | None, url: str) -> str | None:
    if not policy:
        return None
    try:
        target = json.loads(policy)["deadLetterTargetArn"]
    except (ValueError, KeyError, TypeError):
        raise OpsError(f"the redrive policy of {queue_name(url)} names no dead-letter queue: {policy}") from None
    return str(target)


def url_of(sqs: Any, arn: str) -> str:
    """The URL of the queue whose ARN is `arn` (`arn:aws:sqs:<region>:<account>:<name>`)."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise OpsError(f"{arn} is not the ARN of a queue")
    return str(sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"])


def dead_letter_of(sqs: Any, queue: Queue) -> Queue:
    """The dead-letter queue of `queue`, described."""
    if queue.dead_letter_arn is None:
        raise OpsError(f"{queue.name} has no dead-letter queue (its redrive policy names none)")
    return describe(sqs, url_of(sqs, queue.dead_letter_arn))


# --- the age of the oldest message, from the emulator's SQS ----------------------------------------


def emulator_ages(emulator_url: str, queues: Iterable[Queue], now: float | None = None) -> dict[str, int | None]:
    """Each queue's oldest message's age in whole seconds (None: empty), by ARN, read from the
    emulator's listing of messages visible and in flight (delayed ones are not yet in the queue). A
    queue the emulator does not list (another kind of endpoint) is left out."""
    ages: dict[str, int | None] = {}
    when = time.time() if now is None else now
    for queue in queues:
        listed = listed_messages(emulator_url, queue.arn)
        if listed is not None:
            ages[queue.arn] = oldest_age(listed, when)
    return ages


def oldest_age(messages: Iterable[Mapping[str, Any]], now: float) -> int | None:
    """The age in whole seconds, at `now` (epoch seconds), of the earliest sent of `messages`
    (SQS messages with their `SentTimestamp` attribute, epoch milliseconds); None when there are none."""
    sent = [int(m["Attributes"]["SentTimestamp"]) for m in messages if "SentTimestamp" in m.get("Attributes", {})]
    return max(0, int(now - min(sent) / 1000)) if sent else None


def listed_messages(emulator_url: str, arn: str) -> list[dict[str, Any]] | None:
    """The messages (visible and in flight) of the queue `arn`, as LocalStack lists them; None when the
    endpoint has no such listing."""
    _, _, _, region, account, name = arn.split(":")
    url = f"{emulator_url.rstrip('/')}/_aws/sqs/messages/{quote(region)}/{quote(account)}/{quote(name)}"
    request = urllib.request.Request(
        f"{url}?ShowInvisible=true", headers={"Content-Type": "application/x-amz-json-1.0"}
    )
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as response:
            listed = json.loads(response.read())
    except (OSError, ValueError):  # urllib's HTTPError and URLError are OSErrors
        return None
    messages = listed.get("Messages") if isinstance(listed, dict) else None
    return messages if isinstance(messages, list) else None
