"""A stack's operator-facing resources in moto: each stage's queue with its dead-letter queue (named by
its redrive policy, as components/stage_queue.py declares them), the notify failures queue, the
command-rejections queue and the alerts topic, and the outputs that name them (those of
`__main__.py`). Functions are names only: status reads their metrics, nothing invokes them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from harness.ops import redrive
from harness.ops.stack import Deployed

REGION = "us-east-1"
QUEUE_STAGES = ("ingest", "enhance", "removal", "mail", "metadata", "review")
MAIL_QUEUE = "notify-mail"  # the mail stage's queue and function: `<prefix>-notify-mail`


def make_stack(client: Callable[[str], Any], prefix: str, *, visibility_timeout: int = 30) -> dict[str, Any]:
    """Create the stack's queues and alerts topic with `client`; its outputs."""
    sqs = client("sqs")
    outputs: dict[str, Any] = {"region": REGION, "images_table": f"{prefix}-images"}
    for stage in QUEUE_STAGES:
        name = f"{prefix}-{MAIL_QUEUE if stage == 'mail' else stage}"
        dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
        attributes = {"RedrivePolicy": policy, "VisibilityTimeout": str(visibility_timeout)}
        outputs[f"{stage}_queue_url"] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        outputs[f"{stage}_function"] = name
    outputs["notify_function"] = f"{prefix}-notify"
    outputs["notify_failures_url"] = sqs.create_queue(QueueName=f"{prefix}-notify-failures")["QueueUrl"]
    outputs["command_rejections_url"] = sqs.create_queue(QueueName=f"{prefix}-command-rejections")["QueueUrl"]
    outputs["web_function"] = f"{prefix}-web"
    outputs["alerts_topic_arn"] = client("sns").create_topic(Name=f"{prefix}-alerts")["TopicArn"]
    return outputs


def dead_letter_url(sqs: Any, queue_url: str) -> str:
    policy = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    arn = json.loads(policy["RedrivePolicy"])["deadLetterTargetArn"]
    return str(sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"])


def counts(sqs: Any, url: str) -> tuple[int, int]:
    """Messages visible and in flight."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message of `url`, received and deleted, with its message attributes."""
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=30
    ).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        found += batch
    return found


def client_in_moto(service: str) -> Any:
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


@pytest.fixture(autouse=True)
def short_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's SQS answers a short poll with every message: no need to wait a second at each end."""
    monkeypatch.setattr(redrive, "WAIT_SECONDS", 0)


@pytest.fixture
def prefix() -> str:
    return f"imagepipe-t{uuid.uuid4().hex[:6]}"


@pytest.fixture
def deployed(mocked_aws: None, prefix: str) -> Deployed:
    """The stack in in-process moto, as the operator's commands see an AWS stack (no emulator)."""
    return Deployed(make_stack(client_in_moto, prefix), client_in_moto, None, "the test stack")
