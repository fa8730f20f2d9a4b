"""The deployed pipeline in the emulator: uploads by a plain S3 client reach their terminal state."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image

from handlers.contract import PROCESSED, PUBLIC_PREFIX, REJECTED
from handlers.imaging import ImageRejected, inspect_image, render
from handlers.imaging.credits import Credits, from_xmp
from handlers.stores.image_record import listed_variants
from harness.samples import (
    alpha_png,
    credited_jpeg,
    graphic_png,
    pdf_document,
    photo_jpeg,
    smaller_copy,
    text_file,
    truncated_jpeg,
)
from tests.imagefactory import jpeg, png, quadrants, stored_for, to_mode


def test_a_sideways_photo_comes_out_upright_in_every_format_and_width(stack, upload):
    record = upload("portrait.jpg", photo_jpeg(1800, 2400, orientation=6, seed=11), "image/jpeg")
    assert record["status"] == PROCESSED
    s3 = stack.target.client("s3")
    published = set()
    for variant in listed_variants(record):
        stored = s3.get_object(Bucket=stack.bucket, Key=variant["key"])
        image = Image.open(io.BytesIO(stored["Body"].read()))
        assert (image.format.lower(), stored["ContentType"]) == (variant["format"], f"image/{variant['format']}")
        assert image.size == (variant["width"], variant["height"]) and image.height > image.width  # upright
        assert stored["CacheControl"].endswith("immutable") and not image.getexif() and "xmp" not in image.info
        published.add((variant["name"], variant["format"], image.width if variant["name"] == "optimized" else 0))
    assert published == {  # 1600 px high is 1200 px wide: the 480 and 960 px wide copies for srcset
        (name, image_format, width)
        for name, widths in (("optimized", (1200, 960, 480)), ("thumbnail", (0,)))
        for width in widths
        for image_format in ("jpeg", "webp", "avif")
    }
    assert record["optimized_key"] == f"{PUBLIC_PREFIX}optimized/{record['image_id']}-{record['upload_version']}.jpg"
    assert record["thumbnail_key"].startswith(f"{PUBLIC_PREFIX}thumbnail/")
    assert stack.exists(upload.key("portrait.jpg"))  # the original stays


def test_a_credited_photo_keeps_its_copyright_notice_and_nothing_else_in_every_variant(stack, upload):
    record = upload("credited.jpg", credited_jpeg(photo_jpeg(1200, 800, seed=12)), "image/jpeg")
    assert record["status"] == PROCESSED and record["copyright"].startswith("© 2025 Mara Quinn")
    for variant in listed_variants(record):
        image = Image.open(io.BytesIO(stack.read(variant["key"])))
        assert from_xmp(image.info["xmp"]) == Credits(copyright=record["copyright"]), variant["key"]
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_a_smaller_recompressed_copy_is_flagged_as_a_duplicate_of_the_original(stack, upload):
    original = upload("dunes.jpg", photo_jpeg(1600, 1000, seed=41), "image/jpeg")
    copy = upload("dunes-small.jpg", smaller_copy(photo_jpeg(1600, 1000, seed=41)), "image/jpeg")
    other = upload("forest.jpg", photo_jpeg(1600, 1000, seed=42), "image/jpeg")
    assert (original["duplicate_of"], other["duplicate_of"]) == (None, None)
    assert copy["duplicate_of"] == original["image_id"]


def test_transparency_survives_as_png(stack, upload):
    record = upload("logo.png", alpha_png(500, 400, seed=12), "image/png")
    assert record["status"] == PROCESSED
    image = Image.open(io.BytesIO(stack.read(record["thumbnail_key"])))
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
def test_anything_else_is_rejected_with_its_reason_and_removed(stack, upload, name, data, reason):
    record = upload(name, data)
    assert (record["status"], record["reason"]) == (REJECTED, reason)
    assert not stack.exists(upload.key(name))


def test_uploads_at_the_same_time_all_finish_and_keys_survive_encoding(upload):
    # Owners and file names with spaces, "+", non-ASCII and "%": S3 URL-encodes them in its events.
    me = upload.owner
    uploads = [
        (f"zoë {me}", "Sommer Ürlaub+1.jpg", photo_jpeg(900, 600, seed=20)),
        (f"a b+{me}", "c+d (2).png", graphic_png(640, 480, seed=21)),
        (f"用户-{me}", "照片.jpg", photo_jpeg(500, 700, seed=22)),
        (me, "%41.jpg", photo_jpeg(300, 300, seed=23)),
    ]
    with ThreadPoolExecutor(len(uploads)) as pool:
        records = list(pool.map(lambda u: upload(u[1], u[2], owner=u[0]), uploads))
    for (owner, file_name, _), record in zip(uploads, records, strict=True):
        assert record["source_key"] == upload.key(file_name, owner)
        assert (record["owner"], record["file_name"]) == (owner, file_name)
        assert record["status"] == PROCESSED, record


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
def test_every_upload_ends_processed_or_rejected_as_the_image_logic_says(upload, data):
    try:
        inspect_image(data)
        expected = PROCESSED
        try:
            render(data)
        except ImageRejected:
            expected = REJECTED
    except ImageRejected:
        expected = REJECTED
    record = upload(f"generated-{uuid.uuid4().hex[:8]}", data)  # each example a key of its own
    assert record["status"] == expected, record
    if expected == PROCESSED:
        for variant in listed_variants(record):
            assert 1 <= max(variant["width"], variant["height"]) <= (1600 if variant["name"] == "optimized" else 256)
    else:
        assert record["reason"]
