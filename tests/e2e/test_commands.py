"""Commands in the deployed stack: published to the events topic as any publisher would, routed by
filter policy to the metadata and review functions, applied to the record, or parked with a reason;
a verdict announced and mailed once; redelivered and out-of-order commands leave the newest."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.contract import AWAITING, PASSED, PROCESSED, REJECTED, Record
from harness import commands
from harness.polling import wait_until
from harness.samples import photo_jpeg
from tests.e2e.uploading import MAIL_ADDRESS, MAIL_OWNER

EVENTS = "events_topic_arn"


@pytest.fixture
def publish(stack):
    """Publish a command to the stack's events topic; its SNS message id."""
    sns, topic = stack.target.client("sns"), stack.outputs[EVENTS]
    return lambda command: command.publish(sns, topic)


@pytest.fixture
def rejections(stack):
    """The parked rejections of the given commands (taken off the queue)."""
    sqs, url = stack.target.client("sqs"), stack.outputs["command_rejections_url"]
    return lambda message_ids: commands.parked(sqs, url, set(message_ids))


def field_becomes(stack, upload, key: str, field: str, value: Any) -> dict[str, Any]:
    return wait_until(
        lambda: (record := upload.record(key)) and record.get(field) == value and record,
        timeout=30,
        what=f"{field} of {key} to become {value!r}",
    )


def test_each_metadata_type_is_applied_by_upload_key_or_image_id(stack, upload, publish):
    record = upload("beach.jpg", photo_jpeg(640, 480, seed=41), "image/jpeg")
    assert (record["status"], record[Record.REVIEW_STATUS]) == (PROCESSED, AWAITING)
    assert record[Record.PHOTOGRAPHER] == upload.owner  # the uploader set no x-amz-meta-photographer
    key = upload.key("beach.jpg")
    publish(commands.metadata(key, "Caption", "Sunset at Inch"))
    publish(commands.metadata(record["image_id"], "Date", "2024-06-01"))
    publish(commands.metadata(key, "Name", "Ann Lee"))
    field_becomes(stack, upload, key, Record.CAPTION, "Sunset at Inch")
    field_becomes(stack, upload, key, Record.DATE, "2024-06-01")
    final = field_becomes(stack, upload, key, Record.PHOTOGRAPHER, "Ann Lee")
    assert final["status"] == PROCESSED


def test_a_malformed_command_is_parked_with_its_reason(upload, publish, rejections):
    record = upload("dunes.jpg", photo_jpeg(320, 240, seed=42), "image/jpeg")
    unknown = publish(commands.metadata(record["image_id"], "Colour", "sepia"))
    no_reason = publish(commands.review(record["image_id"], "Reject"))
    found: list[dict[str, Any]] = []
    wait_until(lambda: found.extend(rejections([unknown, no_reason])) or len(found) >= 2, what="both rejections")
    reasons = {r["kind"]: r["reason"] for r in found}
    assert reasons["metadata"].startswith("unknown metadata type 'Colour'")
    assert reasons["review"].startswith("a rejection needs a reason")
    assert {r["message"]["MessageId"] for r in found} == {unknown, no_reason}


def test_a_verdict_is_recorded_announced_and_mailed_once(stack, upload, publish, tap, mailbox):
    name = f"review-{uuid.uuid4().hex[:8]}.jpg"
    record = upload(name, photo_jpeg(320, 240, seed=43), "image/jpeg", owner=MAIL_OWNER)
    received = tap("notifications_topic_arn", {"owner": [MAIL_OWNER], "kind": ["review"]})
    publish(commands.review(record["image_id"], "Reject", "the horizon is tilted", "2026-11-30"))
    key = upload.key(name, owner=MAIL_OWNER)
    after = field_becomes(stack, upload, key, Record.REVIEW_STATUS, REJECTED)
    assert (after[Record.REVIEW_REASON], after[Record.REVIEWED_AT], after["status"]) == (
        "the horizon is tilted",
        "2026-11-30",
        PROCESSED,
    )

    def verdicts() -> list[tuple[dict[str, Any], dict[str, str]]]:
        return [n for n in received() if n[0]["image_id"] == record["image_id"]]

    (notice,) = wait_until(verdicts, what="the verdict")
    body, attributes = notice
    assert attributes == {"kind": "review", "verdict": REJECTED, "owner": MAIL_OWNER}
    assert body["reason"] == "the horizon is tilted"
    # The verdict's mail, or the owner's digest with the upload's outcome in the same window.
    (mail,) = wait_until(
        lambda: [m for m in mailbox(MAIL_ADDRESS, about=name) if "rejected in review" in m["Subject"]],
        what="the verdict mail",
    )
    assert mail["Subject"] in (
        "imagepipe: your photo was rejected in review",
        "imagepipe: news of 2 of your photos (1 ready, 1 rejected in review)",
    )
    assert f"{name} was rejected in review: the horizon is tilted." in mail["Body"]["text_part"]
    assert len(verdicts()) == 1  # a duplicate would have come by now (each read waits a second more)


def test_the_seed_001_review_applies_as_its_publishers_send_it(stack, upload, publish, rejections):
    """The seed-001 family's review, in its exact shape with its day-first date, by the upload's key;
    and a Date command with a numeric date, by the image id. The local stack reads numeric dates
    day-first (imagepipe:commandDateOrder's default)."""
    record = upload("image1.jpeg", photo_jpeg(320, 240, seed=46), "image/jpeg")
    key = upload.key("image1.jpeg")
    seed_review = {"id": key, "date": "01/05/2025", "update": {"status": "Pass", "reason": "Sharp and well lit"}}
    sent = [
        publish(commands.Command(seed_review, {})),
        publish(commands.metadata(record["image_id"], "Date", "2/5/2025")),
    ]
    after = field_becomes(stack, upload, key, Record.REVIEW_STATUS, PASSED)
    assert (after[Record.REVIEW_REASON], after[Record.REVIEWED_AT]) == ("Sharp and well lit", "2025-05-01")
    field_becomes(stack, upload, key, Record.DATE, "2025-05-02")
    assert rejections(sent) == []


def test_a_redelivered_and_an_out_of_order_pair_leave_the_newest(stack, upload, publish):
    record = upload("pair.jpg", photo_jpeg(320, 240, seed=44), "image/jpeg")
    key = upload.key("pair.jpg")
    sqs = stack.target.client("sqs")
    queue = stack.outputs["metadata_queue_url"]
    # Two commands as SNS would deliver them to the metadata queue, the newer first, then the older,
    # then the newer again (a redelivery): the record ends with the newer one.
    since = int(datetime.now(UTC).timestamp() * 1000)
    older = _envelope(record["image_id"], "first caption", _from_now(1))
    newer = _envelope(record["image_id"], "second caption", _from_now(5))
    for body in (newer, older, newer):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    field_becomes(stack, upload, key, Record.CAPTION, "second caption")
    wait_until(
        lambda: "stale" in _results(stack, record["image_id"], since), timeout=30, what="the older command handled"
    )
    assert upload.record(key)[Record.CAPTION] == "second caption"


def test_a_pass_after_a_rejection_is_the_verdict(stack, upload, publish):
    record = upload("second-look.jpg", photo_jpeg(320, 240, seed=45), "image/jpeg")
    key = upload.key("second-look.jpg")
    publish(commands.review(record["image_id"], "Reject", "too dark"))
    field_becomes(stack, upload, key, Record.REVIEW_STATUS, REJECTED)
    publish(commands.review(record["image_id"], "Pass"))
    after = field_becomes(stack, upload, key, Record.REVIEW_STATUS, PASSED)
    assert Record.REVIEW_REASON not in after


def _envelope(image_id: str, caption: str, published_at: str) -> str:
    """An SNS notification of a Caption command, as SNS writes it into a subscribed queue."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{image_id}|{caption}")),
            "TopicArn": "arn:aws:sns:us-east-1:000000000000:imagepipe-local-events",
            "Message": json.dumps({"id": image_id, "value": caption}),
            "Timestamp": published_at,
            "MessageAttributes": {"metadata_type": {"Type": "String", "Value": "Caption"}},
        }
    )


def _from_now(seconds: int) -> str:
    """A publish time `seconds` from now, as SNS writes it (after the upload, so not stale)."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _results(stack: Any, image_id: str, since_ms: int) -> list[str]:
    """What the metadata function logged it made of commands about `image_id` (applied, stale)."""
    group = f"/aws/lambda/{stack.outputs['metadata_function']}"
    events = stack.target.client("logs").filter_log_events(logGroupName=group, startTime=since_ms)["events"]
    results = []
    for event in events:
        try:
            line = json.loads(event["message"])
        except (json.JSONDecodeError, TypeError):
            continue  # the runtime's own lines (START, END, REPORT)
        if isinstance(line, dict) and line.get("image_id") == image_id and "result" in line:
            results.append(line["result"])
    return results
