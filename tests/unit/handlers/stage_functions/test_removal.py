"""The removal handler against moto: a deleted upload's variants go and its record says deleted."""

from __future__ import annotations

import pytest
from boto3.dynamodb.types import TypeSerializer

from handlers.contract import PUBLIC_PREFIX
from harness.samples import pdf_document, photo_jpeg
from tests.unit.handlers.conftest import BUCKET, fresh, s3_removed_event, sqs_batch


@pytest.fixture
def stages(aws):
    return (
        fresh("handlers.imaging_functions.ingest"),
        fresh("handlers.imaging_functions.enhance"),
        fresh("handlers.stage_functions.removal"),
    )


def _processed(aws, stages, context, key: str) -> dict:
    ingest, enhance, _ = stages
    ingest.handler(sqs_batch(aws.upload(key, photo_jpeg(320, 240, seed=8))), context)
    (request,) = aws.enhance_requests()
    enhance.handler(sqs_batch(request), context)
    return aws.record(key)


def _public_keys(aws) -> list[str]:
    return [o["Key"] for o in aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=PUBLIC_PREFIX).get("Contents", [])]


def test_deleting_a_processed_upload_removes_its_variants_and_marks_it_deleted(aws, stages, context):
    key = "uploads/alice/gone-soon.jpg"
    before = _processed(aws, stages, context, key)
    assert sorted(_public_keys(aws)) == sorted(v["key"] for v in before["variants"])
    assert len(before["variants"]) == 6  # the optimized image and the thumbnail, each as JPEG, WebP, AVIF
    aws.s3.delete_object(Bucket=BUCKET, Key=key)

    assert stages[2].handler(sqs_batch(s3_removed_event(key)), context) == {"batchItemFailures": []}
    record = aws.record(key)
    assert record["status"] == "deleted" and record["deleted_at"]
    assert record["optimized_key"] == before["optimized_key"]  # what it was, for the history
    assert _public_keys(aws) == []
    assert before["review_status"] == "awaiting" and "review_status" not in record  # no longer to review


def test_a_record_published_before_the_modern_formats_has_its_two_variants_removed(aws, stages, context):
    key = "uploads/alice/older.jpg"
    before = _processed(aws, stages, context, key)
    two = {
        v["name"]: {part: v[part] for part in ("key", "bytes", "width", "height", "content_type")}
        for v in before["variants"]
        if v["format"] == "jpeg"
    }
    aws.dynamodb.update_item(  # as a record of a stack before issue 20 lists its variants
        TableName="images",
        Key={"image_id": {"S": before["image_id"]}},
        UpdateExpression="SET variants = :two",
        ExpressionAttributeValues={":two": TypeSerializer().serialize(two)},
    )
    aws.s3.delete_object(Bucket=BUCKET, Key=key)
    stages[2].handler(sqs_batch(s3_removed_event(key)), context)
    assert sorted(_public_keys(aws)) == sorted(v["key"] for v in before["variants"] if v["format"] != "jpeg")


def test_a_verdict_given_before_the_deletion_stays_on_the_record(aws, stages, context):
    key = "uploads/alice/reviewed.jpg"
    before = _processed(aws, stages, context, key)
    aws.dynamodb.update_item(
        TableName="images",
        Key={"image_id": {"S": before["image_id"]}},
        UpdateExpression="SET review_status = :passed",
        ExpressionAttributeValues={":passed": {"S": "passed"}},
    )
    aws.s3.delete_object(Bucket=BUCKET, Key=key)
    stages[2].handler(sqs_batch(s3_removed_event(key)), context)
    record = aws.record(key)
    assert (record["status"], record["review_status"]) == ("deleted", "passed")


def test_the_removal_of_a_rejected_upload_by_ingest_leaves_the_rejection(aws, stages, context):
    key = "uploads/alice/invoice.jpg"
    stages[0].handler(sqs_batch(aws.upload(key, pdf_document())), context)
    stages[2].handler(sqs_batch(s3_removed_event(key)), context)
    assert aws.record(key)["status"] == "rejected"


def test_a_deletion_older_than_the_recorded_upload_changes_nothing(aws, stages, context):
    key = "uploads/alice/back-again.jpg"
    before = _processed(aws, stages, context, key)  # uploaded at 10:00:00
    stages[2].handler(sqs_batch(s3_removed_event(key, event_time="2026-11-22T09:59:59.000Z")), context)
    assert aws.record(key) == before
    assert len(_public_keys(aws)) == len(before["variants"])


def test_a_deletion_of_what_was_never_recorded_and_a_redelivery_change_nothing(aws, stages, context):
    removal = stages[2]
    event = s3_removed_event("uploads/alice/never-seen.jpg")
    assert removal.handler(sqs_batch(event), context) == {"batchItemFailures": []}
    assert aws.record("uploads/alice/never-seen.jpg") is None

    key = "uploads/alice/twice.jpg"
    _processed(aws, stages, context, key)
    removal.handler(sqs_batch(s3_removed_event(key)), context)
    first = aws.record(key)
    removal.handler(sqs_batch(s3_removed_event(key)), context)
    assert aws.record(key) == first
