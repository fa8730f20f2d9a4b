"""The command handlers against moto: edits and verdicts applied with conditional writes, invalid
commands parked with their reason, redeliveries and out-of-order commands changing nothing twice."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.contract import METADATA_TYPE, PASSED, PENDING, PROCESSED, REJECTED, Env, Record
from handlers.pipeline.uploads import image_id_for
from tests.unit.handlers.conftest import IMAGES_TABLE, fresh, sqs_batch

UPLOADED_AT = "2026-11-22T10:00:00.000Z"


def at(seconds: int) -> str:
    """A publish time `seconds` after the upload, as SNS writes it."""
    moment = datetime(2026, 11, 22, 10, 0, tzinfo=UTC) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def notification(body: Any, *, metadata_type: str | None = None, published_at: str = at(60)) -> str:
    """An SQS message body as SNS delivers a notification to a (non-raw) subscription."""
    attributes = {METADATA_TYPE: {"Type": "String", "Value": metadata_type}} if metadata_type else {}
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:events",
            "Message": body if isinstance(body, str) else json.dumps(body),
            "Timestamp": published_at,
            "MessageAttributes": attributes,
        }
    )


@pytest.fixture
def commands(aws, monkeypatch):
    queue_url = aws.sqs.create_queue(QueueName="command-rejections")["QueueUrl"]
    monkeypatch.setenv(Env.COMMAND_REJECTIONS_URL, queue_url)
    module = fresh("handlers.stage_functions.commands")
    module.rejections_url = queue_url
    return module


def put_record(aws, key: str, status: str = PROCESSED, **fields: Any) -> str:
    item = {
        "image_id": image_id_for(key),
        "source_key": key,
        "owner": key.split("/")[1],
        "uploaded_at": UPLOADED_AT,
        "status": status,
        **fields,
    }
    serialize = TypeSerializer().serialize
    aws.dynamodb.put_item(TableName=IMAGES_TABLE, Item={k: serialize(v) for k, v in item.items()})
    return image_id_for(key)


def parked(aws, commands) -> list[dict[str, Any]]:
    messages = aws.sqs.receive_message(QueueUrl=commands.rejections_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def run(commands, context, handler: str, *bodies: str) -> dict[str, Any]:
    return getattr(commands, handler)(sqs_batch(*bodies), context)


def test_each_metadata_type_sets_its_field(aws, commands, context):
    image = put_record(aws, "uploads/alice/beach.jpg")
    sent = [
        notification({"id": "uploads/alice/beach.jpg", "value": "Sunset at Inch"}, metadata_type="Caption"),
        notification({"id": image, "value": "2026-05-01"}, metadata_type="Date"),
        notification({"id": image, "value": "Ann Lee"}, metadata_type="Photographer"),
    ]
    assert run(commands, context, "metadata_handler", *sent) == {"batchItemFailures": []}
    record = aws.record("uploads/alice/beach.jpg")
    assert (record[Record.CAPTION], record[Record.DATE], record[Record.PHOTOGRAPHER]) == (
        "Sunset at Inch",
        "2026-05-01",
        "Ann Lee",
    )
    assert parked(aws, commands) == []


def test_a_verdict_is_recorded_on_a_processed_image(aws, commands, context):
    put_record(aws, "uploads/alice/beach.jpg")
    review = {"id": "uploads/alice/beach.jpg", "date": "2026-12-01", "update": {"status": "Reject", "reason": "blur"}}
    run(commands, context, "review_handler", notification(review))
    record = aws.record("uploads/alice/beach.jpg")
    assert (record[Record.REVIEW_STATUS], record[Record.REVIEW_REASON], record[Record.REVIEWED_AT]) == (
        REJECTED,
        "blur",
        "2026-12-01",
    )
    assert record["status"] == PROCESSED  # the review is its own field

    run(
        commands, context, "review_handler", notification({**review, "update": {"status": "Pass"}}, published_at=at(90))
    )
    record = aws.record("uploads/alice/beach.jpg")
    assert record[Record.REVIEW_STATUS] == PASSED and Record.REVIEW_REASON not in record


def test_an_invalid_command_is_parked_once_with_its_reason_and_not_retried(aws, commands, context):
    put_record(aws, "uploads/alice/beach.jpg")
    bad = notification({"id": "uploads/alice/beach.jpg", "value": "x"}, metadata_type="Colour")
    assert run(commands, context, "metadata_handler", bad) == {"batchItemFailures": []}
    assert run(commands, context, "metadata_handler", bad) == {"batchItemFailures": []}  # redelivered
    (rejection,) = parked(aws, commands)
    assert rejection["kind"] == "metadata"
    assert rejection["reason"].startswith("unknown metadata type 'Colour'")
    assert rejection["message"] == json.loads(bad)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (PENDING, "cannot review image {image}: it is still being processed, not processed"),
        (REJECTED, "cannot review image {image}: it is an upload that was rejected, not processed"),
    ],
)
def test_only_a_processed_image_can_be_reviewed(aws, commands, context, status, reason):
    image = put_record(aws, "uploads/alice/beach.jpg", status=status)
    run(commands, context, "review_handler", notification({"id": image, "update": {"status": "Pass"}}))
    (rejection,) = parked(aws, commands)
    assert rejection["reason"] == reason.format(image=image)


def test_a_command_about_an_unknown_image_is_parked(aws, commands, context):
    run(commands, context, "metadata_handler", notification({"id": "nope", "value": "x"}, metadata_type="Caption"))
    assert [r["reason"] for r in parked(aws, commands)] == ["there is no image nope"]


def test_an_older_command_never_overwrites_a_newer_one(aws, commands, context):
    put_record(aws, "uploads/alice/beach.jpg")
    newer = notification(
        {"id": "uploads/alice/beach.jpg", "value": "newer"}, metadata_type="Caption", published_at=at(90)
    )
    older = notification(
        {"id": "uploads/alice/beach.jpg", "value": "older"}, metadata_type="Caption", published_at=at(60)
    )
    run(commands, context, "metadata_handler", newer, older)
    assert aws.record("uploads/alice/beach.jpg")[Record.CAPTION] == "newer"
    assert parked(aws, commands) == []  # stale, not invalid


def test_a_command_published_before_the_upload_it_would_change_is_stale(aws, commands, context):
    put_record(aws, "uploads/alice/beach.jpg")
    early = notification({"id": "uploads/alice/beach.jpg", "update": {"status": "Pass"}}, published_at=at(-5))
    run(commands, context, "review_handler", early)
    assert Record.REVIEW_STATUS not in aws.record("uploads/alice/beach.jpg")
    assert parked(aws, commands) == []


def test_a_message_that_is_not_an_sns_notification_is_parked(aws, commands, context):
    run(commands, context, "review_handler", '{"id": "x", "update": {"status": "Pass"}}')
    (rejection,) = parked(aws, commands)
    assert rejection["kind"] == "review" and "not an SNS notification" in rejection["reason"]


def test_the_function_needs_its_rejections_queue(aws, monkeypatch):
    from handlers.runtime.settings import SettingMissing

    monkeypatch.delenv(Env.COMMAND_REJECTIONS_URL, raising=False)
    with pytest.raises(SettingMissing, match=Env.COMMAND_REJECTIONS_URL):
        fresh("handlers.stage_functions.commands")


@pytest.mark.parametrize(
    ("order", "reviewed_at"), [(None, "2025-05-01"), ("day-first", "2025-05-01"), ("month-first", "2025-01-05")]
)
def test_the_seed_001_review_applies_with_its_date_read_in_the_stacks_order(
    aws, monkeypatch, context, order, reviewed_at
):
    if order is None:
        monkeypatch.delenv(Env.COMMAND_DATE_ORDER, raising=False)
    else:
        monkeypatch.setenv(Env.COMMAND_DATE_ORDER, order)
    queue_url = aws.sqs.create_queue(QueueName="command-rejections")["QueueUrl"]
    monkeypatch.setenv(Env.COMMAND_REJECTIONS_URL, queue_url)
    commands = fresh("handlers.stage_functions.commands")
    put_record(aws, "uploads/alice/image1.jpeg")
    review = {"id": "uploads/alice/image1.jpeg", "date": "01/05/2025", "update": {"status": "Pass", "reason": "Fine"}}
    assert run(commands, context, "review_handler", notification(review)) == {"batchItemFailures": []}
    record = aws.record("uploads/alice/image1.jpeg")
    assert (record[Record.REVIEW_STATUS], record[Record.REVIEWED_AT]) == (PASSED, reviewed_at)
    assert aws.sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []


def test_a_date_order_that_is_not_one_stops_the_function_naming_the_variable(aws, monkeypatch):
    from handlers.runtime.settings import SettingMissing

    monkeypatch.setenv(Env.COMMAND_DATE_ORDER, "Day-First")
    with pytest.raises(
        SettingMissing,
        match="environment variable COMMAND_DATE_ORDER should be day-first or month-first, not 'Day-First'",
    ):
        fresh("handlers.stage_functions.commands")


bodies = st.one_of(
    st.text(max_size=20),
    st.fixed_dictionaries(
        {"id": st.sampled_from(["uploads/alice/beach.jpg", "nope", ""]) | st.integers()},
        optional={
            "value": st.text(max_size=12) | st.integers() | st.none(),
            "date": st.sampled_from(["2026-05-01", "2099-01-01", "soon"]) | st.integers(),
            "update": st.fixed_dictionaries(
                {}, optional={"status": st.sampled_from(["Pass", "Reject", "maybe"]), "reason": st.text(max_size=8)}
            )
            | st.text(max_size=5),
        },
    ).map(json.dumps),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)  # moto per example
@given(body=bodies, metadata_type=st.none() | st.sampled_from(["Caption", "Date", "Name", "Colour"]))
def test_every_command_ends_applied_stale_or_parked_with_a_reason(aws, commands, context, body, metadata_type):
    put_record(aws, "uploads/alice/beach.jpg")
    for handler in ("metadata_handler", "review_handler"):
        response = run(commands, context, handler, notification(body, metadata_type=metadata_type, published_at=at(60)))
        assert response == {"batchItemFailures": []}
    for rejection in parked(aws, commands):
        assert rejection["reason"].strip() and rejection["kind"] in ("metadata", "review")


def test_a_processed_upload_awaits_review_and_a_reupload_starts_a_new_one(aws, commands, context):
    from harness.samples import photo_jpeg

    ingest, enhance = fresh("handlers.imaging_functions.ingest"), fresh("handlers.imaging_functions.enhance")

    def process(event_time: str) -> dict[str, Any]:
        event = aws.upload("uploads/alice/beach.jpg", photo_jpeg(64, 48))
        event["Records"][0]["eventTime"] = event_time
        ingest.handler(sqs_batch(event), context)
        enhance.handler(sqs_batch(*aws.enhance_requests()), context)
        record = aws.record("uploads/alice/beach.jpg")
        assert record is not None
        return record

    assert process(at(0))[Record.REVIEW_STATUS] == "awaiting"
    review = {"id": "uploads/alice/beach.jpg", "update": {"status": "Pass"}}
    run(commands, context, "review_handler", notification(review, published_at=at(30)))
    assert aws.record("uploads/alice/beach.jpg")[Record.REVIEW_STATUS] == PASSED
    assert process(at(60))[Record.REVIEW_STATUS] == "awaiting"
