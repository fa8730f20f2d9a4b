"""Publishing commands to a stack's events topic, as any publisher would (`aws sns publish`), and
reading the ones the stack parked as invalid: for the demo, the benchmark and the tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from handlers.contract import METADATA_TYPE, VERDICTS


@dataclass(frozen=True)
class Command:
    """One SNS message: its body and message attributes, as `sns.publish` takes them."""

    body: dict[str, Any]
    attributes: dict[str, str]

    def publish(self, sns: Any, topic_arn: str) -> str:
        """Publish to `topic_arn`; the SNS message id."""
        attributes = {name: {"DataType": "String", "StringValue": value} for name, value in self.attributes.items()}
        return str(
            sns.publish(TopicArn=topic_arn, Message=json.dumps(self.body), MessageAttributes=attributes)["MessageId"]
        )


def metadata(image: str, metadata_type: str, value: Any) -> Command:
    """Set the caption, date or photographer (`metadata_type` Caption | Date | Photographer) of
    `image`, a record's image id or its upload key."""
    return Command({"id": image, "value": value}, {METADATA_TYPE: metadata_type})


def review(image: str, status: str, reason: str | None = None, date: str | None = None) -> Command:
    """A reviewer's verdict on `image`: `status` Pass | Reject, with a reason (a rejection needs one)."""
    update = {"status": status, **({"reason": reason} if reason is not None else {})}
    return Command({"id": image, **({"date": date} if date else {}), "update": update}, {})


def verdict_status(command: Command) -> str:
    """The review status a review command asks for (passed / rejected)."""
    return VERDICTS[command.body["update"]["status"]]


def parked(sqs: Any, queue_url: str, message_ids: set[str], delete: bool = True) -> list[dict[str, Any]]:
    """The parked rejections (`{"kind", "reason", "message", ...}`) of the commands published as
    `message_ids` that are in the command rejections queue now; taken off the queue with `delete`."""
    found, others = [], []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:  # each stays hidden from the next receive until it is put back below
            rejection = json.loads(message["Body"])
            original = rejection.get("message")
            if isinstance(original, dict) and original.get("MessageId") in message_ids:
                found.append(rejection)
                if delete:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                    continue
            others.append(message["ReceiptHandle"])
    for handle in others:  # someone else's (or kept): back on the queue at once
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return found
