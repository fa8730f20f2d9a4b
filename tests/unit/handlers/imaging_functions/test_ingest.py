"""The ingest handler against moto: accepted uploads go on to enhance, others are rejected and removed."""

from __future__ import annotations

import threading

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from handlers.contract import Env
from harness.polling import wait_until
from harness.samples import pdf_document, photo_jpeg
from tests.unit.handlers.conftest import BUCKET, fresh, s3_event, sqs_batch


@pytest.fixture
def ingest(aws):
    return fresh("handlers.imaging_functions.ingest")


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return photo_jpeg(320, 240, orientation=6, seed=7)


def test_a_real_jpeg_is_recorded_pending_and_sent_to_enhance(aws, ingest, context, jpeg):
    event = aws.upload("uploads/alice/beach.jpg", jpeg)
    assert ingest.handler(sqs_batch(event), context) == {"batchItemFailures": []}

    record = aws.record("uploads/alice/beach.jpg")
    assert record["status"] == "pending"
    assert (record["owner"], record["file_name"], record["format"]) == ("alice", "beach.jpg", "JPEG")
    assert (record["source_width"], record["source_height"]) == (240, 320)  # stored sideways, EXIF 6
    (request,) = aws.enhance_requests()
    assert request["upload"]["key"] == "uploads/alice/beach.jpg"


def test_a_pdf_named_jpg_is_rejected_with_its_reason_and_removed(aws, ingest, context):
    event = aws.upload("uploads/alice/invoice.jpg", pdf_document())
    ingest.handler(sqs_batch(event), context)

    record = aws.record("uploads/alice/invoice.jpg")
    assert record["status"] == "rejected"
    assert record["reason"] == "a PDF document, not a JPEG or PNG (the name ends in .jpg)"
    assert record["rejection_code"] == "unsupported-format"
    assert aws.s3.list_objects_v2(Bucket=BUCKET, Prefix="uploads/").get("KeyCount") == 0
    assert aws.enhance_requests() == []


def test_an_upload_over_the_byte_limit_is_rejected_without_being_read(aws, context, monkeypatch, jpeg):
    monkeypatch.setenv(Env.MAX_UPLOAD_BYTES, "1000")
    ingest = fresh("handlers.imaging_functions.ingest")
    ingest.handler(sqs_batch(aws.upload("uploads/bob/big.jpg", jpeg)), context)
    record = aws.record("uploads/bob/big.jpg")
    assert record["status"] == "rejected"
    assert record["rejection_code"] == "too-large"
    assert record["reason"] == f"{len(jpeg):,} bytes is over the 1,000-byte limit"
    assert aws.s3.list_objects_v2(Bucket=BUCKET, Prefix="uploads/").get("KeyCount") == 0


def test_a_key_outside_uploads_owner_file_is_rejected_with_the_expected_form(aws, ingest, context, jpeg):
    ingest.handler(sqs_batch(aws.upload("uploads/no-owner.jpg", jpeg)), context)
    record = aws.record("uploads/no-owner.jpg")
    assert record["status"] == "rejected"
    assert record["reason"] == "uploads go to uploads/<owner>/<file name>, not 'uploads/no-owner.jpg'"
    assert "owner" not in record


@pytest.mark.parametrize("key", ["uploads/zoë/Sommer Ürlaub+1.jpg", "uploads/a b/c+d (2).jpg", "uploads/用户/照片.jpg"])
def test_keys_with_spaces_plus_and_non_ascii_arrive_intact(aws, ingest, context, jpeg, key):
    ingest.handler(sqs_batch(aws.upload(key, jpeg)), context)
    record = aws.record(key)
    assert record["source_key"] == key
    assert record["status"] == "pending"


def test_a_redelivered_message_changes_nothing_twice(aws, ingest, context, jpeg):
    event = aws.upload("uploads/alice/once.jpg", jpeg)
    ingest.handler(sqs_batch(event), context)
    first = aws.record("uploads/alice/once.jpg")
    ingest.handler(sqs_batch(event), context)
    assert aws.record("uploads/alice/once.jpg") == first
    assert len(aws.enhance_requests()) == 1


def test_an_older_event_after_a_newer_upload_is_ignored(aws, ingest, context, jpeg):
    key = "uploads/alice/twice.jpg"
    newer = aws.upload(key, jpeg)
    newer["Records"][0]["eventTime"] = "2026-11-22T10:00:05.000Z"
    ingest.handler(sqs_batch(newer), context)
    recorded = aws.record(key)
    older = s3_event(key, len(jpeg), "0" * 32, event_time="2026-11-22T10:00:01.000Z")
    ingest.handler(sqs_batch(older), context)
    assert aws.record(key) == recorded


def test_one_bad_message_fails_alone_in_its_batch(aws, ingest, context, jpeg):
    good = aws.upload("uploads/alice/good.jpg", jpeg)
    batch = sqs_batch(good, "this is not an S3 event")
    response = ingest.handler(batch, context)
    assert response == {"batchItemFailures": [{"itemIdentifier": batch["Records"][1]["messageId"]}]}
    assert aws.record("uploads/alice/good.jpg")["status"] == "pending"


def test_the_s3_test_event_is_ignored(aws, ingest, context):
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET}
    assert ingest.handler(sqs_batch(test_event), context) == {"batchItemFailures": []}
    assert aws.enhance_requests() == []


def test_an_upload_removed_before_ingest_leaves_no_record(aws, ingest, context, jpeg):
    event = aws.upload("uploads/alice/gone.jpg", jpeg)
    aws.s3.delete_object(Bucket=BUCKET, Key="uploads/alice/gone.jpg")
    assert ingest.handler(sqs_batch(event), context) == {"batchItemFailures": []}
    assert aws.record("uploads/alice/gone.jpg") is None


def test_the_last_failed_attempt_records_the_upload_failed(aws, context, monkeypatch, jpeg):
    ingest = fresh("handlers.imaging_functions.ingest")
    event = aws.upload("uploads/alice/unlucky.jpg", jpeg)

    def broken(upload):
        raise ConnectionError("the enhance queue is unreachable")

    monkeypatch.setattr(ingest.stage.worker, "ingest", broken)
    batch = sqs_batch(event)
    batch["Records"][0]["attributes"]["ApproximateReceiveCount"] = "4"
    with pytest.raises(BatchProcessingError):  # the whole batch failed: Lambda reports an error
        ingest.handler(batch, context)
    assert aws.record("uploads/alice/unlucky.jpg") is None  # a retry is still to come

    batch["Records"][0]["attributes"]["ApproximateReceiveCount"] = "5"
    with pytest.raises(BatchProcessingError):  # and the message goes on to the dead-letter queue
        ingest.handler(batch, context)
    record = aws.record("uploads/alice/unlucky.jpg")
    assert record["status"] == "failed"
    assert record["reason"] == (
        "checking the image failed 5 times; last error: ConnectionError: the enhance queue is unreachable"
    )


def test_a_failed_uploads_message_redriven_once_the_fault_is_fixed_is_checked_again(aws, context, jpeg):
    ingest = fresh("handlers.imaging_functions.ingest")
    event = aws.upload("uploads/alice/second-chance.jpg", jpeg)
    with pytest.MonkeyPatch.context() as broken:
        broken.setattr(ingest.stage.worker, "ingest", lambda upload: 1 / 0)
        batch = sqs_batch(event)
        batch["Records"][0]["attributes"]["ApproximateReceiveCount"] = "5"
        with pytest.raises(BatchProcessingError):
            ingest.handler(batch, context)
    assert aws.record("uploads/alice/second-chance.jpg")["status"] == "failed"
    assert ingest.handler(sqs_batch(event), context) == {"batchItemFailures": []}  # redriven: as if new
    assert aws.record("uploads/alice/second-chance.jpg")["status"] == "pending"
    assert len(aws.enhance_requests()) == 1


def _ingest_hanging(aws, context, monkeypatch, key: str, attempt: int, hang) -> None:
    """Ingest an upload of `key` on receive `attempt` (of 5, the default maxReceiveCount), with
    `hang(upload)` standing in for the intake and 200 ms left before the function's deadline margin."""
    from handlers.runtime.stage import DEADLINE_MARGIN_MS

    ingest = fresh("handlers.imaging_functions.ingest")
    batch = sqs_batch(aws.upload(key, photo_jpeg(64, 48, seed=1)))
    batch["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(attempt)
    monkeypatch.setattr(ingest.stage.worker, "ingest", hang)
    monkeypatch.setattr(context, "get_remaining_time_in_millis", lambda: DEADLINE_MARGIN_MS + 200)
    with pytest.raises(BatchProcessingError):
        ingest.handler(batch, context)


def test_a_last_attempt_about_to_time_out_records_the_upload_failed_first(aws, context, monkeypatch):
    recorded = []

    def hangs(upload):  # as if S3 stopped answering: Lambda would end the process at its timeout
        recorded.append(wait_until(lambda: aws.record("uploads/alice/slow.jpg"), timeout=10, what="the record"))
        raise TimeoutError("killed")

    _ingest_hanging(aws, context, monkeypatch, "uploads/alice/slow.jpg", 5, hangs)
    (record,) = recorded  # written while the invocation still ran
    assert record["status"] == "failed"
    assert record["reason"] == (
        "checking the image failed 5 times; last error: it did not finish within the function's time limit"
    )


def test_an_earlier_attempt_running_out_of_time_leaves_the_record_to_its_retry(aws, context, monkeypatch):
    timers = []

    def hangs(upload):
        timers.extend(t for t in threading.enumerate() if isinstance(t, threading.Timer))
        raise TimeoutError("killed")

    _ingest_hanging(aws, context, monkeypatch, "uploads/alice/slow-once.jpg", 1, hangs)
    assert timers == []  # nothing watched the clock
    assert aws.record("uploads/alice/slow-once.jpg") is None
