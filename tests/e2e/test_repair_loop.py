"""The repair loop (issue 19) on the deployed stack: enhance fails every invocation (`python -m harness
faults`), so five uploads of one owner end `failed` with the fault as the reason, their messages are
parked in enhance's dead-letter queue, and its `parked` alarm mails the alert address; the fault is
cleared, `python -m harness redrive enhance` moves them back, and all five end `processed`. The owner
is mailed once per outcome of each photo (one row for its failure, one for its processing: the
stack's digest windows may gather several photos in one mail), and nothing is left parked.

The enhance queue hides a message 6× the function's timeout (360 s): the test lowers it to a few
seconds while the failures are retried, and puts it back before the redrive (the redriven work runs
once, with the queue as deployed) and in any case at the end. The commands run through the command
line's entry point with this session's stack outputs (the deploy state under .imagepipe is the
machine's, shared by every emulator on it).

In the emulator a message moved by the message move task keeps counting its receives
(docs/emulator.md), so enhance takes its first new attempt for its last: with the fault cleared it
succeeds all the same."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.contract import FAILED, PROCESSED
from harness.deploy import Project
from harness.emulator import layout
from harness.notice_tap import alarm_mail
from harness.ops.queues import listed_messages
from harness.ops.redrive import MOVE_TASK
from harness.polling import wait_until
from harness.samples import photo_jpeg
from tests.stack_fixtures import ROOT

PHOTOS = 5
RETRY_VISIBILITY_SECONDS = 4  # long enough for a warm enhance to answer, short enough to retry soon


def _when(value: str) -> datetime:
    """An alarm message's time (ISO 8601, with or without its zone; UTC when without)."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _parked_alarm(stack, queue_name: str) -> str:
    """The name of the alarm on `queue_name`'s parked messages that tells the stack's alerts topic."""
    cloudwatch, topic = stack.target.client("cloudwatch"), stack.outputs["alerts_topic_arn"]
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    (name,) = [
        alarm["AlarmName"]
        for page in pages
        for alarm in page["MetricAlarms"]
        if topic in alarm.get("AlarmActions", [])
        and alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm.get("Dimensions") == [{"Name": "QueueName", "Value": queue_name}]
    ]
    assert name.endswith("-enhance-dlq-parked"), name
    return name


def _enhance_row(shown: dict[str, Any]) -> dict[str, Any]:
    (row,) = [queue for queue in shown["queues"] if queue["stage"] == "enhance"]
    return row


@dataclass(frozen=True)
class Enhance:
    """The enhance stage's queue as deployed: its URL, visibility timeout and receives, and its
    dead-letter queue with the alarm on what is parked there."""

    queue_url: str
    visibility: str
    receives: int
    parked_arn: str
    parked_url: str
    alarm: str

    @classmethod
    def of(cls, stack) -> Enhance:
        sqs, queue_url = stack.target.client("sqs"), stack.outputs["enhance_queue_url"]
        names = ["VisibilityTimeout", "RedrivePolicy"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        policy = json.loads(attributes["RedrivePolicy"])
        parked_name = policy["deadLetterTargetArn"].rsplit(":", 1)[-1]
        return cls(
            queue_url,
            attributes["VisibilityTimeout"],
            int(policy["maxReceiveCount"]),
            policy["deadLetterTargetArn"],
            sqs.get_queue_url(QueueName=parked_name)["QueueUrl"],
            _parked_alarm(stack, parked_name),
        )

    def parked(self, endpoint: str, owner: str) -> list[dict[str, Any]]:
        """The messages of `owner`'s uploads in the dead-letter queue, as the emulator lists them
        (without receiving them, which would count as a receive)."""
        return [m for m in listed_messages(endpoint, self.parked_arn) or [] if owner in m["Body"]]

    def wait_quiet(self, cloudwatch: Any) -> None:
        """Wait until the parked alarm is not in ALARM (else parking more would mail nothing)."""

        def state() -> str:
            return str(cloudwatch.describe_alarms(AlarmNames=[self.alarm])["MetricAlarms"][0]["StateValue"])

        wait_until(lambda: state() != "ALARM", timeout=90, interval=1, what=f"{self.alarm} to be quiet first")

    def remove_parked(self, sqs: Any, owner: str) -> None:
        """Delete what of `owner`'s is parked (a test that stopped early), leaving the rest parked."""
        for message in sqs.receive_message(QueueUrl=self.parked_url, MaxNumberOfMessages=10).get("Messages", []):
            if owner in message["Body"]:
                sqs.delete_message(QueueUrl=self.parked_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                handle = message["ReceiptHandle"]
                sqs.change_message_visibility(QueueUrl=self.parked_url, ReceiptHandle=handle, VisibilityTimeout=0)


def _alarm_mailed(stack, alarm: str, since: datetime) -> dict[str, Any]:
    """The alarm's ALARM notification mailed to the stack's alert address since `since` (waits for it)."""
    endpoint = stack.outputs["endpoint_url"]
    address = json.loads(Project(ROOT).stack_config(stack.name)["imagepipe:alertEmails"])[0]
    sandbox = stack.target if stack.outputs.get("ses_sandbox") else None

    def alarmed() -> list[dict]:
        mailed = alarm_mail(endpoint, address, sandbox)
        assert mailed is not None, f"the endpoint {endpoint} keeps no mail (GET /_aws/ses)"
        return [
            m
            for m in mailed
            if m["AlarmName"] == alarm and m["NewStateValue"] == "ALARM" and _when(m["StateChangeTime"]) >= since
        ]

    (message,) = wait_until(alarmed, timeout=90, interval=1, what=f"{alarm}'s ALARM mail to {address}")
    return message


def _outcome_rows(mails: list[dict[str, Any]], names: list[str], reason: str) -> dict[str, tuple[int, int]]:
    """Per photo, in how many rows of `mails` it failed with `reason`, and in how many it is processed."""
    texts = [mail["Body"]["text_part"] for mail in mails]
    return {
        name: (
            sum(text.count(f"{name} could not be processed: {reason}.") for text in texts),
            sum(text.count(f"{name} is processed.") for text in texts),
        )
        for name in names
    }


def _each_outcome_mailed_once(mailbox, address: str, owner: str, names: list[str], reason: str) -> None:
    """The owner heard of each outcome once: each photo is a row of exactly one mail saying it failed
    and of exactly one saying it is processed (a mail of its own, or a row of a digest); a processed
    row does not give the failure it got over as its reason."""

    def every_row() -> dict[str, tuple[int, int]] | None:
        counted = _outcome_rows(mailbox(address, about=owner), names, reason)
        return counted if all(failures and ready for failures, ready in counted.values()) else None

    counted = wait_until(every_row, timeout=60, interval=0.5, what="the failed and the processed mail of each photo")
    assert counted == dict.fromkeys(names, (1, 1)), counted
    for mail in mailbox(address, about=owner):  # a processed row says "Ready.", not why it once failed
        assert "Ready: " not in mail["Body"]["html_part"], mail["Body"]["html_part"]


def _drained(harness: Callable[..., str]) -> dict[str, Any] | None:
    """Enhance's row of `status --json` once nothing is parked, waiting or in flight there."""
    row = _enhance_row(json.loads(harness("status", "--json")))
    empty = row["dead_letter"]["visible"] == 0 and row["visible"] == 0 and row["in_flight"] == 0
    return row if empty else None


def test_a_fault_fixed_and_redriven_ends_every_failed_upload_processed_each_outcome_mailed_once(
    stack, upload, web_user, mailbox, harness
):
    if not stack.emulator.embedded:
        pytest.skip("faults are injected by the embedded emulator's Lambda executor")
    sqs, cloudwatch = stack.target.client("sqs"), stack.target.client("cloudwatch")
    endpoint, function = stack.outputs["endpoint_url"], stack.outputs["enhance_function"]
    port = str(stack.emulator.port)
    enhance = Enhance.of(stack)
    address = f"{upload.owner}@repair.example"
    web_user(upload.owner, email=address)
    names = [f"repair-{n}-{uuid.uuid4().hex[:6]}.jpg" for n in range(PHOTOS)]
    enhance.wait_quiet(cloudwatch)
    since = datetime.now(UTC) - timedelta(seconds=1)  # the alarm's clock keeps whole seconds at worst

    sqs.set_queue_attributes(
        QueueUrl=enhance.queue_url, Attributes={"VisibilityTimeout": str(RETRY_VISIBILITY_SECONDS)}
    )
    try:
        # The emulator's SQS reads a queue's visibility timeout when a receive begins: the poller's
        # long poll already waiting hands its first message the deployed 360 s. A photo processed now
        # takes that poll, so each of the five is hidden for the lowered timeout only.
        assert upload("warm-up.jpg", photo_jpeg(320, 240, seed=69), "image/jpeg")["status"] == PROCESSED
        harness("faults", "set", function, "--error-rate", "1", "--port", port)
        puts = [upload.put(name, photo_jpeg(640, 480, seed=70 + n), "image/jpeg") for n, name in enumerate(names)]

        # Failed, each with the fault as its reason, on its last receive.
        failed = [upload.outcome(put, timeout=60 + enhance.receives * (RETRY_VISIBILITY_SECONDS + 15)) for put in puts]
        reason = (
            f"enhancing the image failed {enhance.receives} times; last error: InjectedFault: "
            "fault injected by `python -m harness faults` (error rate 1)"
        )
        assert [(record["status"], record["reason"]) for record in failed] == [(FAILED, reason)] * PHOTOS
        fault_said = "[FAULT] aws:lambda:invocation-error: this invocation fails with InjectedFault"
        assert fault_said in layout().lambda_log(function).read_text()  # the function's log says so

        # Parked, every one of the five, and status sees them; the alert address is mailed the alarm.
        def all_parked() -> list[dict] | None:
            ours = enhance.parked(endpoint, upload.owner)
            return ours if all(any(put.key in m["Body"] for m in ours) for put in puts) else None

        parked = wait_until(all_parked, timeout=60, interval=0.5, what=f"the five messages in {enhance.parked_arn}")
        assert len(parked) == PHOTOS, [m["Body"] for m in parked]
        assert _enhance_row(json.loads(harness("status", "--json")))["dead_letter"]["visible"] >= PHOTOS
        alarm_message = _alarm_mailed(stack, enhance.alarm, since)
        parked_name = enhance.parked_arn.rsplit(":", 1)[-1]
        assert alarm_message["Trigger"]["Dimensions"] == [{"name": "QueueName", "value": parked_name}]

        # Fixed, and redriven: the work runs again, with the queue as deployed.
        harness("faults", "clear", function, "--port", port)
        sqs.set_queue_attributes(QueueUrl=enhance.queue_url, Attributes={"VisibilityTimeout": enhance.visibility})
        moved = harness("redrive", "enhance")
        assert moved.startswith("enhance: moved ") and f"({MOVE_TASK})" in moved, moved
        assert int(moved.split()[2]) >= PHOTOS, moved

        processed = [upload.wait_for(put.key, PROCESSED, timeout=120) for put in puts]
        for before, record in zip(failed, processed, strict=True):
            assert record["upload_version"] == before["upload_version"]
            assert record["optimized_key"] and record["thumbnail_key"], record
            assert stack.exists(record["optimized_key"]) and stack.exists(record["thumbnail_key"])
            assert record.get("reason") is None, record  # the failure it got over is no longer its reason

        _each_outcome_mailed_once(mailbox, address, upload.owner, names, reason)

        # Nothing left parked for enhance, nothing waiting in its queue.
        wait_until(lambda: _drained(harness), timeout=30, interval=0.5, what="enhance's queues to be empty")
        assert enhance.parked(endpoint, upload.owner) == []
    finally:
        with contextlib.suppress(Exception):
            harness("faults", "clear", function, "--port", port)
        sqs.set_queue_attributes(QueueUrl=enhance.queue_url, Attributes={"VisibilityTimeout": enhance.visibility})
        enhance.remove_parked(sqs, upload.owner)
