"""The deployed pipeline in the emulator: uploads by a plain S3 client reach their terminal state."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from handlers.imaging import ImageRejected, inspect_image, render
from harness.demo import upload_and_wait
from harness.samples import alpha_png, graphic_png, pdf_document, photo_jpeg, text_file, truncated_jpeg
from tests.imagefactory import jpeg, png, quadrants, stored_for, to_mode

DEADLINE = 30.0  # seconds from upload to a terminal state, as the issue requires


def _upload(stack, key: str, data: bytes, content_type: str = "application/octet-stream"):
    record, seconds = upload_and_wait(
        stack.target, stack.bucket, stack.table, key, data, content_type, timeout=DEADLINE
    )
    assert record is not None, f"{key} reached no terminal state within {DEADLINE:.0f} s"
    return record, seconds


def _object(stack, key: str) -> bytes:
    return stack.target.client("s3").get_object(Bucket=stack.bucket, Key=key)["Body"].read()


def _exists(stack, key: str) -> bool:
    listing = stack.target.client("s3").list_objects_v2(Bucket=stack.bucket, Prefix=key)
    return any(o["Key"] == key for o in listing.get("Contents", []))


def test_a_sideways_photo_comes_out_upright_optimized_and_thumbnailed(stack):
    record, _ = _upload(stack, "uploads/e2e/portrait.jpg", photo_jpeg(1800, 2400, orientation=6, seed=11), "image/jpeg")
    assert record["status"] == "processed"
    for name, edge in (("optimized", 1600), ("thumbnail", 256)):
        variant = record["variants"][name]
        image = Image.open(io.BytesIO(_object(stack, variant["key"])))
        assert image.format == "JPEG" and image.size == (variant["width"], variant["height"])
        assert max(image.size) == edge and image.height > image.width  # upright portrait
        assert not image.getexif()
    assert record["optimized_key"].startswith("public/optimized/")
    assert record["thumbnail_key"].startswith("public/thumbnail/")
    assert _exists(stack, "uploads/e2e/portrait.jpg")  # the original stays


def test_transparency_survives_as_png(stack):
    record, _ = _upload(stack, "uploads/e2e/logo.png", alpha_png(500, 400, seed=12), "image/png")
    assert record["status"] == "processed"
    image = Image.open(io.BytesIO(_object(stack, record["thumbnail_key"])))
    assert image.format == "PNG" and image.mode == "RGBA" and image.getextrema()[3][0] < 255


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("invoice.jpg", pdf_document(), "a PDF document, not a JPEG or PNG (the name ends in .jpg)"),
        ("holiday.jpg", truncated_jpeg(seed=5), "JPEG data is truncated"),
        ("notes.png", text_file(), "plain text, not a JPEG or PNG (the name ends in .png)"),
        ("empty.jpg", b"", "the file is empty"),
    ],
)
def test_anything_else_is_rejected_with_its_reason_and_removed(stack, name, data, reason):
    key = f"uploads/e2e/{name}"
    record, _ = _upload(stack, key, data)
    assert (record["status"], record["reason"]) == ("rejected", reason)
    assert not _exists(stack, key)


def test_uploads_at_the_same_time_all_finish_and_keys_survive_encoding(stack):
    keys = ["uploads/zoë/Sommer Ürlaub+1.jpg", "uploads/a b/c+d (2).png", "uploads/用户/照片.jpg", "uploads/x/%41.jpg"]
    files = [
        photo_jpeg(900, 600, seed=20),
        graphic_png(640, 480, seed=21),
        photo_jpeg(500, 700, seed=22),
        photo_jpeg(300, 300, seed=23),
    ]
    with ThreadPoolExecutor(len(keys)) as pool:
        results = list(pool.map(lambda kv: _upload(stack, *kv), zip(keys, files, strict=True)))
    for key, (record, _) in zip(keys, results, strict=True):
        assert record["source_key"] == key
        assert record["status"] == "processed", record


def test_a_redeploy_without_changes_changes_nothing(stack):
    result = stack.deploy()
    assert "0 created, 0 updated" in result and "0 deleted" in result


# -- files nobody has seen: generated, then judged by the image logic the handlers use ------------

MODES = {"JPEG": ["RGB", "L", "CMYK"], "PNG": ["RGB", "L", "RGBA", "P", "LA", "I;16"]}


@st.composite
def uploads(draw) -> bytes:
    """An image of any supported format, mode, size and orientation, possibly cut short."""
    fmt = draw(st.sampled_from(sorted(MODES)))
    mode = draw(st.sampled_from(MODES[fmt]))
    orientation = draw(st.integers(1, 8))
    upright = quadrants(draw(st.integers(1, 1200)), draw(st.integers(1, 1200)))
    stored = to_mode(stored_for(upright, orientation), mode)
    data = (jpeg if fmt == "JPEG" else png)(stored, orientation=orientation)
    cut = draw(st.one_of(st.none(), st.floats(0.05, 0.95)))
    return data if cut is None else data[: max(1, int(len(data) * cut))]


# Each example is a real upload (about a second): a tenth of the profile's examples, at least five.
@settings(
    max_examples=max(5, settings().max_examples // 10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=uploads())
def test_every_upload_ends_processed_or_rejected_as_the_image_logic_says(stack, data):
    try:
        inspect_image(data)
        expected = "processed"
        try:
            render(data)
        except ImageRejected:
            expected = "rejected"
    except ImageRejected:
        expected = "rejected"
    record, _ = _upload(stack, "uploads/e2e-property/generated", data)
    assert record["status"] == expected, record
    if expected == "processed":
        for name, edge in (("optimized", 1600), ("thumbnail", 256)):
            assert 1 <= max(record["variants"][name]["width"], record["variants"][name]["height"]) <= edge
    else:
        assert record["reason"]
