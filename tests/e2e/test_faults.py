"""Fault injection on the deployed stack (`python -m harness faults`, harness/faults.py): the
emulator's Lambda executor fails enhance's invocations as a function error, the enhance queue retries
the upload's message until its maxReceiveCount, the stage records the upload `failed` with the fault
as the reason on the last attempt, and the message is parked in enhance's dead-letter queue; once the
fault is cleared, the next upload goes through.

The enhance queue hides a message 6× the function's timeout (360 s): the test lowers it to a few
seconds while it runs, and puts it back after, so the retries take seconds, not eighteen minutes."""

from __future__ import annotations

import contextlib
import json
from urllib.parse import urlparse

import pytest

from handlers.contract import FAILED, PROCESSED
from harness import cli
from harness.emulator import layout
from harness.polling import wait_until
from harness.samples import photo_jpeg

RETRY_VISIBILITY_SECONDS = 4  # long enough for a warm enhance to answer, short enough to retry soon


def faults_command(port: int, *argv: str) -> None:
    assert cli.main(["faults", *argv, "--port", str(port)]) == 0


def test_enhance_failing_every_invocation_fails_the_upload_with_a_reason_parks_it_and_clear_lets_the_next_through(
    stack, upload
):
    if not stack.emulator.embedded:
        pytest.skip("faults are injected by the embedded emulator's Lambda executor")
    sqs = stack.target.client("sqs")
    queue_url, function = stack.outputs["enhance_queue_url"], stack.outputs["enhance_function"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"])
    visibility, redrive = (
        attributes["Attributes"]["VisibilityTimeout"],
        json.loads(attributes["Attributes"]["RedrivePolicy"]),
    )
    receives = int(redrive["maxReceiveCount"])
    dead_letters = sqs.get_queue_url(QueueName=redrive["deadLetterTargetArn"].rsplit(":", 1)[-1])["QueueUrl"]
    port = urlparse(stack.outputs["endpoint_url"]).port
    parked: list[dict] = []
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": str(RETRY_VISIBILITY_SECONDS)})
    try:
        faults_command(port, "set", function, "--error-rate", "1")
        put = upload.put("doomed.jpg", photo_jpeg(800, 600, seed=21), "image/jpeg")
        record = upload.outcome(put, timeout=30 + receives * (RETRY_VISIBILITY_SECONDS + 10))
        assert record["status"] == FAILED
        assert record["reason"] == (
            f"enhancing the image failed {receives} times; last error: InjectedFault: "
            "fault injected by `python -m harness faults` (error rate 1)"
        )

        def parked_message() -> list[dict]:
            messages = sqs.receive_message(
                QueueUrl=dead_letters, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
            ).get("Messages", [])
            parked.extend(messages)
            return [m for m in parked if put.key in m["Body"]]

        wait_until(parked_message, timeout=60, interval=0.5, what=f"{put.key}'s message in {dead_letters}")
        log = layout().lambda_log(function).read_text()
        assert "[FAULT] aws:lambda:invocation-error: this invocation fails with InjectedFault" in log

        faults_command(port, "clear", function)
        assert upload("fine.jpg", photo_jpeg(800, 600, seed=22), "image/jpeg")["status"] == PROCESSED
    finally:
        with contextlib.suppress(Exception):
            faults_command(port, "clear", function)
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": visibility})
        for message in parked:  # nothing of this test's stays parked
            sqs.delete_message(QueueUrl=dead_letters, ReceiptHandle=message["ReceiptHandle"])
