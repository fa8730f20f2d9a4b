"""The operator's commands on the deployed stack: a message parked in a stage's dead-letter queue is seen
by `python -m harness status` and moved back to the stage's queue by `redrive`, with the emulator's
SQS message move task.

The message parked is one the ingest stage takes and ignores (S3's test event, which a bucket sends
when its notifications are configured), so it does no harm once moved back. The commands run through
the command line's entry point with this session's stack outputs (the deploy state under .imagepipe
is the machine's, shared by every emulator on it)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from harness.ops.queues import listed_messages
from harness.ops.redrive import MOVE_TASK
from harness.polling import wait_until


def dead_letter_url(sqs: Any, queue_url: str) -> str:
    policy = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    name = json.loads(policy["RedrivePolicy"])["deadLetterTargetArn"].rsplit(":", 1)[-1]
    return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])


def waiting(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_status_sees_a_parked_message_and_redrive_moves_it_back(stack, harness):
    sqs = stack.target.client("sqs")
    ingest = stack.outputs["ingest_queue_url"]
    parked = dead_letter_url(sqs, ingest)
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Bucket": stack.bucket,
        "RequestId": uuid.uuid4().hex,
    }
    sqs.send_message(
        QueueUrl=parked,
        MessageBody=json.dumps(test_event),
        MessageAttributes={"parked_by": {"DataType": "String", "StringValue": "test_operations"}},
    )

    shown = json.loads(harness("status", "--json"))
    (row,) = [queue for queue in shown["queues"] if queue["stage"] == "ingest"]
    assert row["name"] == ingest.rsplit("/", 1)[-1]
    assert row["dead_letter"]["name"] == parked.rsplit("/", 1)[-1]
    assert row["dead_letter"]["visible"] >= 1
    assert {queue["stage"] for queue in shown["queues"]} >= {"ingest", "enhance", "removal", "notify", "commands"}
    assert any(alarm["name"].endswith("-ingest-dlq-parked") for alarm in shown["alarms"])
    assert stack.outputs["ingest_function"] in [function["name"] for function in shown["functions"]]

    dry = harness("redrive", "ingest", "--dry-run")
    assert "would move to" in dry and "(dry run: nothing moved)" in dry
    assert waiting(sqs, parked) >= 1

    moved = harness("redrive", "ingest")
    assert moved.startswith("ingest: moved ") and f"({MOVE_TASK})" in moved, moved
    assert int(moved.split()[2]) >= 1
    assert waiting(sqs, parked) == 0
    # Back in the stage's queue, ingest takes it and, a test event holding no upload, is done with it.
    arn = sqs.get_queue_attributes(QueueUrl=ingest, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def taken() -> bool:
        listed = listed_messages(stack.outputs["endpoint_url"], arn)
        return listed is not None and all(test_event["RequestId"] not in m["Body"] for m in listed)

    wait_until(taken, timeout=60, what="ingest to take the redriven message")
    shown = json.loads(harness("status", "--json"))
    (row,) = [queue for queue in shown["queues"] if queue["stage"] == "ingest"]
    assert row["dead_letter"]["visible"] == 0
