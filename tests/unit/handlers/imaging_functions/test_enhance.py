"""The enhance handler against moto: pending uploads become published, upright, metadata-free variants."""

from __future__ import annotations

import io

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from PIL import Image

from handlers.contract import EXTENSIONS, PUBLIC_PREFIX, Env
from handlers.imaging.credits import Credits, from_xmp
from harness.samples import alpha_png, credited_jpeg, photo_jpeg
from tests.unit.handlers.conftest import BUCKET, fresh, s3_event, s3_removed_event, sqs_batch


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
    stem = f"{record['image_id']}-{record['upload_version']}"
    # Portrait, as the EXIF tag says: 1067 px wide, so the 960 px width would save nothing (> 80 %).
    assert [(v["name"], v["format"], v["width"], v["height"], v["key"]) for v in record["variants"]] == [
        (name, image_format, width, height, f"{PUBLIC_PREFIX}{name}/{stem}{suffix}.{EXTENSIONS[image_format]}")
        for name, width, height, suffix in (
            ("optimized", 1067, 1600, ""),
            ("optimized", 480, 720, "-w480"),
            ("thumbnail", 171, 256, ""),
        )
        for image_format in ("jpeg", "webp", "avif")
    ]
    for variant in record["variants"]:
        obj = aws.s3.get_object(Bucket=BUCKET, Key=variant["key"])
        assert (obj["ContentType"], obj["ContentLength"]) == (f"image/{variant['format']}", variant["bytes"])
        assert obj["CacheControl"] == "public, max-age=31536000, immutable"
        image = Image.open(io.BytesIO(obj["Body"].read()))
        assert image.size == (variant["width"], variant["height"])
        assert not image.getexif() and "icc_profile" not in image.info and "xmp" not in image.info
    assert len(record["fingerprint"]) == 32  # for the duplicates' lookup
    assert (record["optimized_key"], record["thumbnail_key"]) == (
        f"{PUBLIC_PREFIX}optimized/{stem}.jpg",
        f"{PUBLIC_PREFIX}thumbnail/{stem}.jpg",
    )


@pytest.mark.parametrize("keep", ["true", "false"])
def test_the_photos_copyright_notice_is_kept_in_every_variant_unless_the_stack_says_not(
    aws, context, monkeypatch, keep
):
    monkeypatch.setenv(Env.KEEP_COPYRIGHT, keep)
    stages = fresh("handlers.imaging_functions.ingest"), fresh("handlers.imaging_functions.enhance")
    key = "uploads/alice/credited.jpg"
    stages[1].handler(
        sqs_batch(_ingest(aws, stages, context, key, credited_jpeg(photo_jpeg(900, 600, seed=2)))), context
    )
    record = aws.record(key)
    kept = Credits(copyright=record["copyright"]) if keep == "true" else Credits()
    assert record["copyright"] == "© 2025 Mara Quinn / North Desk. All rights reserved."
    for variant in record["variants"]:
        image = Image.open(io.BytesIO(aws.s3.get_object(Bucket=BUCKET, Key=variant["key"])["Body"].read()))
        assert from_xmp(image.info.get("xmp")) == kept
        assert not image.getexif()  # the notice is not ASCII: XMP alone carries it


def test_transparency_is_kept_as_png(aws, stages, context):
    key = "uploads/alice/logo.png"
    request = _ingest(aws, stages, context, key, alpha_png(400, 300, seed=1))
    stages[1].handler(sqs_batch(request), context)
    thumbnails = [v for v in aws.record(key)["variants"] if v["name"] == "thumbnail"]
    assert [v["format"] for v in thumbnails] == ["png", "webp", "avif"]
    for thumbnail in thumbnails:
        image = Image.open(io.BytesIO(aws.s3.get_object(Bucket=BUCKET, Key=thumbnail["key"])["Body"].read()))
        assert image.format == thumbnail["format"].upper() and image.mode == "RGBA"
        assert image.getextrema()[3][0] < 255


def test_a_redelivered_request_publishes_once(aws, stages, context):
    key = "uploads/alice/again.jpg"
    request = _ingest(aws, stages, context, key, photo_jpeg(640, 480, seed=4))
    stages[1].handler(sqs_batch(request), context)
    first = aws.record(key)
    stages[1].handler(sqs_batch(request), context)
    assert aws.record(key) == first
    published = aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=PUBLIC_PREFIX)["KeyCount"]
    assert published == len(first["variants"]) == 9  # 640 px wide: a 480 px width besides


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
    assert new["variants"][0]["width"] == 800
    keys = {o["Key"] for o in aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=PUBLIC_PREFIX)["Contents"]}
    assert keys == {v["key"] for v in new["variants"]} and not keys & {v["key"] for v in old["variants"]}


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
    batch["Records"][0]["attributes"]["ApproximateReceiveCount"] = "5"
    with pytest.raises(BatchProcessingError):
        enhance.handler(batch, context)
    record = aws.record(key)
    assert record["status"] == "failed"
    assert record["reason"] == "enhancing the image failed 5 times; last error: MemoryError: out of memory"


def test_a_failed_images_message_redriven_once_the_fault_is_fixed_publishes_it(aws, stages, context, monkeypatch):
    key = "uploads/alice/second-chance.jpg"
    request = _ingest(aws, stages, context, key, photo_jpeg(640, 480, seed=10))
    enhance = stages[1]
    with monkeypatch.context() as broken:
        broken.setattr("handlers.imaging_functions.publishing.render", lambda *args, **kwargs: 1 / 0)
        batch = sqs_batch(request)
        batch["Records"][0]["attributes"]["ApproximateReceiveCount"] = "5"
        with pytest.raises(BatchProcessingError):
            enhance.handler(batch, context)
    assert aws.record(key)["status"] == "failed"
    assert enhance.handler(sqs_batch(request), context) == {"batchItemFailures": []}  # redriven: as if new
    record = aws.record(key)
    assert record["status"] == "processed" and record["optimized_key"]
    assert "reason" not in record  # the failure's reason went with it


def _processed(aws, stages, context, key: str, data: bytes) -> dict:
    stages[1].handler(sqs_batch(_ingest(aws, stages, context, key, data)), context)
    record = aws.record(key)
    assert record["status"] == "processed"
    return record


def test_a_copy_of_an_earlier_image_names_it_and_others_name_none(aws, stages, context):
    original = _processed(aws, stages, context, "uploads/alice/boat.jpg", photo_jpeg(1200, 800, seed=21))
    smaller = Image.open(io.BytesIO(photo_jpeg(1200, 800, seed=21))).resize((600, 400))
    out = io.BytesIO()
    smaller.save(out, "JPEG", quality=60)
    copy = _processed(aws, stages, context, "uploads/alice/boat-small.jpg", out.getvalue())
    other = _processed(aws, stages, context, "uploads/alice/hills.jpg", photo_jpeg(1200, 800, seed=22))
    theirs = _processed(aws, stages, context, "uploads/bob/boat.jpg", photo_jpeg(1200, 800, seed=21))
    assert original["duplicate_of"] is None and other["duplicate_of"] is None
    assert copy["duplicate_of"] == original["image_id"]
    assert theirs["duplicate_of"] is None  # another owner's: the stack compares each owner's own


def test_a_deleted_or_replaced_image_is_no_longer_what_a_copy_looks_like(aws, stages, context):
    removal = fresh("handlers.stage_functions.removal")
    first = _processed(aws, stages, context, "uploads/alice/a.jpg", photo_jpeg(900, 600, seed=31))
    second = _processed(aws, stages, context, "uploads/alice/b.jpg", photo_jpeg(900, 600, seed=32))
    aws.s3.delete_object(Bucket=BUCKET, Key="uploads/alice/a.jpg")
    removal.handler(sqs_batch(s3_removed_event("uploads/alice/a.jpg")), context)
    assert (
        _processed(aws, stages, context, "uploads/alice/a-again.jpg", photo_jpeg(900, 600, seed=31))["duplicate_of"]
        is None
    )
    # b.jpg uploaded again with another picture: its old fingerprint no longer counts.
    ingest, enhance = stages
    data = photo_jpeg(900, 600, seed=33)
    etag = aws.s3.put_object(Bucket=BUCKET, Key="uploads/alice/b.jpg", Body=data)["ETag"].strip('"')
    ingest.handler(
        sqs_batch(s3_event("uploads/alice/b.jpg", len(data), etag, event_time="2026-11-22T10:00:09.000Z")), context
    )
    (request,) = aws.enhance_requests()
    enhance.handler(sqs_batch(request), context)
    assert aws.record("uploads/alice/b.jpg")["fingerprint"] != second["fingerprint"]
    copy = _processed(aws, stages, context, "uploads/alice/b-again.jpg", photo_jpeg(900, 600, seed=32))
    assert copy["duplicate_of"] is None and first["duplicate_of"] is None
