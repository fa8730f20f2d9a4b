"""The enhance handler against moto: pending uploads become published, upright, metadata-free variants."""

from __future__ import annotations

import io

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from PIL import Image

from handlers.contract import PUBLIC_PREFIX
from harness.samples import alpha_png, photo_jpeg
from tests.unit.handlers.conftest import BUCKET, fresh, s3_event, sqs_batch


@pytest.fixture
def stages(aws):
    return fresh("handlers.imaging_functions.ingest"), fresh("handlers.imaging_functions.enhance")


def _ingest(aws, stages, context, key: str, data: bytes) -> dict:
    """Upload and ingest; the enhance request ingest queued."""
    ingest, _ = stages
    ingest.handler(sqs_batch(aws.upload(key, data)), context)
    (request,) = aws.enhance_requests()
    return request


def test_a_pending_photo_is_published_upright_bounded_and_stripped(aws, stages, context):
    key = "uploads/alice/portrait.jpg"
    request = _ingest(aws, stages, context, key, photo_jpeg(1200, 1800, orientation=6, seed=3))
    assert stages[1].handler(sqs_batch(request), context) == {"batchItemFailures": []}

    record = aws.record(key)
    assert record["status"] == "processed"
    optimized, thumbnail = record["variants"]["optimized"], record["variants"]["thumbnail"]
    assert (optimized["width"], optimized["height"]) == (1067, 1600)  # portrait, as the EXIF tag says
    assert max(thumbnail["width"], thumbnail["height"]) == 256
    for variant in (optimized, thumbnail):
        assert variant["key"].startswith((f"{PUBLIC_PREFIX}optimized/", f"{PUBLIC_PREFIX}thumbnail/"))
        obj = aws.s3.get_object(Bucket=BUCKET, Key=variant["key"])
        assert obj["ContentType"] == "image/jpeg"
        assert obj["ContentLength"] == variant["bytes"]
        image = Image.open(io.BytesIO(obj["Body"].read()))
        assert image.size == (variant["width"], variant["height"])
        assert not image.getexif() and "icc_profile" not in image.info
    assert record["optimized_key"] == optimized["key"] and record["thumbnail_key"] == thumbnail["key"]


def test_transparency_is_kept_as_png(aws, stages, context):
    key = "uploads/alice/logo.png"
    request = _ingest(aws, stages, context, key, alpha_png(400, 300, seed=1))
    stages[1].handler(sqs_batch(request), context)
    thumbnail = aws.record(key)["variants"]["thumbnail"]
    image = Image.open(io.BytesIO(aws.s3.get_object(Bucket=BUCKET, Key=thumbnail["key"])["Body"].read()))
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.getextrema()[3][0] < 255


def test_a_redelivered_request_publishes_once(aws, stages, context):
    key = "uploads/alice/again.jpg"
    request = _ingest(aws, stages, context, key, photo_jpeg(640, 480, seed=4))
    stages[1].handler(sqs_batch(request), context)
    first = aws.record(key)
    stages[1].handler(sqs_batch(request), context)
    assert aws.record(key) == first
    assert aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=PUBLIC_PREFIX)["KeyCount"] == 2


def test_a_reupload_replaces_the_published_variants(aws, stages, context):
    ingest, enhance = stages
    key = "uploads/alice/changing.jpg"
    enhance.handler(sqs_batch(_ingest(aws, stages, context, key, photo_jpeg(640, 480, seed=5))), context)
    old = aws.record(key)
    data = photo_jpeg(800, 600, seed=6)
    etag = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=data)["ETag"].strip('"')
    ingest.handler(sqs_batch(s3_event(key, len(data), etag, event_time="2026-11-22T10:00:09.000Z")), context)
    (request,) = aws.enhance_requests()
    enhance.handler(sqs_batch(request), context)
    new = aws.record(key)
    assert new["status"] == "processed" and new["optimized_key"] != old["optimized_key"]
    assert new["variants"]["optimized"]["width"] == 800
    keys = {o["Key"] for o in aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=PUBLIC_PREFIX)["Contents"]}
    assert keys == {new["optimized_key"], new["thumbnail_key"]}


def test_a_request_for_an_upload_that_was_replaced_is_stale(aws, stages, context):
    key = "uploads/alice/replaced.jpg"
    request = _ingest(aws, stages, context, key, photo_jpeg(640, 480, seed=7))
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=photo_jpeg(640, 480, seed=8))  # new content, new ETag
    assert stages[1].handler(sqs_batch(request), context) == {"batchItemFailures": []}
    assert aws.record(key)["status"] == "pending"
    assert aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=PUBLIC_PREFIX)["KeyCount"] == 0


def test_the_last_failed_attempt_records_the_image_failed(aws, stages, context, monkeypatch):
    key = "uploads/alice/unlucky.jpg"
    request = _ingest(aws, stages, context, key, photo_jpeg(640, 480, seed=9))
    enhance = stages[1]

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr("handlers.imaging_functions.publishing.render", broken)
    batch = sqs_batch(request)
    batch["Records"][0]["attributes"]["ApproximateReceiveCount"] = "3"
    with pytest.raises(BatchProcessingError):
        enhance.handler(batch, context)
    record = aws.record(key)
    assert record["status"] == "failed"
    assert record["reason"] == "enhancing the image failed 3 times; last error: MemoryError: out of memory"
