"""The fields people edit later start at ingest with defaults from the upload itself: the photo's
caption, credits, date and keywords from its XMP, IPTC and EXIF, else the photographer from the
object's user metadata, else the owner."""

from __future__ import annotations

import base64

import pytest
from PIL import Image

from handlers.contract import PHOTOGRAPHER_METADATA, Record
from handlers.imaging_functions.intake import MAX_PHOTOGRAPHER, photographer_from
from harness.photo_metadata import with_iptc, xmp_packet
from harness.samples import graphic_png, photo_jpeg
from tests import imagefactory as f
from tests.unit.handlers.conftest import fresh, sqs_batch


@pytest.fixture
def ingest(aws):
    return fresh("handlers.imaging_functions.ingest")


@pytest.fixture(scope="module")
def camera_jpeg() -> bytes:
    exif = f.camera_exif("2025:08:14 18:42:07", offset="+01:00", orientation=6, changed="2026:01:02 03:04:05")
    return f.jpeg(Image.new("RGB", (64, 48), (90, 120, 200)), exif=exif)


def test_an_upload_naming_its_photographer_records_that_name(aws, ingest, context):
    event = aws.upload("uploads/alice/beach.jpg", photo_jpeg(96, 64), metadata={PHOTOGRAPHER_METADATA: "Ann Lee"})
    ingest.handler(sqs_batch(event), context)
    record = aws.record("uploads/alice/beach.jpg")
    assert (record["status"], record[Record.PHOTOGRAPHER]) == ("pending", "Ann Lee")


def test_without_the_metadata_the_owner_is_the_photographer(aws, ingest, context):
    ingest.handler(sqs_batch(aws.upload("uploads/alice/beach.jpg", photo_jpeg(96, 64))), context)
    assert aws.record("uploads/alice/beach.jpg")[Record.PHOTOGRAPHER] == "alice"


@pytest.mark.parametrize("value", ["", "   ", "x" * (MAX_PHOTOGRAPHER + 1), "Ann\tLee", "Ann\x07Lee", "Ann\x7fLee"])
def test_an_unusable_photographer_gives_way_to_the_owner(aws, ingest, context, value):
    event = aws.upload("uploads/bob/pier.jpg", photo_jpeg(96, 64), metadata={PHOTOGRAPHER_METADATA: value})
    ingest.handler(sqs_batch(event), context)
    assert aws.record("uploads/bob/pier.jpg")[Record.PHOTOGRAPHER] == "bob"


def test_a_camera_jpeg_is_dated_by_its_exif(aws, ingest, context, camera_jpeg):
    ingest.handler(sqs_batch(aws.upload("uploads/alice/sunset.jpg", camera_jpeg)), context)
    record = aws.record("uploads/alice/sunset.jpg")
    assert record["status"] == "pending"
    assert record[Record.DATE] == "2025-08-14T18:42:07+01:00"  # DateTimeOriginal, not the file's DateTime


def test_an_image_that_does_not_say_when_it_was_taken_has_no_date(aws, ingest, context):
    ingest.handler(sqs_batch(aws.upload("uploads/alice/chart.png", graphic_png(64, 48))), context)
    record = aws.record("uploads/alice/chart.png")
    assert record["status"] == "pending"
    assert Record.DATE not in record


def test_a_rejected_upload_gets_no_defaults(aws, ingest, context):
    event = aws.upload("uploads/alice/notes.jpg", b"just text", metadata={PHOTOGRAPHER_METADATA: "Ann Lee"})
    ingest.handler(sqs_batch(event), context)
    record = aws.record("uploads/alice/notes.jpg")
    assert record["status"] == "rejected"
    assert Record.PHOTOGRAPHER not in record and Record.DATE not in record


def test_the_enhanced_record_keeps_the_defaults(aws, ingest, context, camera_jpeg):
    event = aws.upload("uploads/alice/sunset.jpg", camera_jpeg, metadata={PHOTOGRAPHER_METADATA: "Ann Lee"})
    ingest.handler(sqs_batch(event), context)
    enhance = fresh("handlers.imaging_functions.enhance")
    (request,) = aws.enhance_requests()
    enhance.handler(sqs_batch(request), context)
    record = aws.record("uploads/alice/sunset.jpg")
    assert record["status"] == "processed"
    assert (record[Record.PHOTOGRAPHER], record[Record.DATE]) == ("Ann Lee", "2025-08-14T18:42:07+01:00")


# --------------------------------------------------------------------------------------------
# photographer_from, the rule itself


def encoded_word(text: str) -> str:
    """`text` as S3 returns non-ASCII user metadata: an RFC 2047 encoded word."""
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({PHOTOGRAPHER_METADATA: "Ann Lee"}, "Ann Lee"),
        ({PHOTOGRAPHER_METADATA: "  Ann Lee \n"}, "Ann Lee"),  # stripped first
        ({PHOTOGRAPHER_METADATA: "x" * MAX_PHOTOGRAPHER}, "x" * MAX_PHOTOGRAPHER),
        ({PHOTOGRAPHER_METADATA: "Zoë Ångström"}, "Zoë Ångström"),
        ({PHOTOGRAPHER_METADATA: encoded_word("Zoë Ångström")}, "Zoë Ångström"),
        ({PHOTOGRAPHER_METADATA: "=?UTF-8?Q?Zo=C3=AB?="}, "Zoë"),
        ({PHOTOGRAPHER_METADATA: "=?no-such-charset?B?QW5u?="}, "alice"),
        ({PHOTOGRAPHER_METADATA: encoded_word("Ann\nLee")}, "alice"),
        ({PHOTOGRAPHER_METADATA: encoded_word("Ann\u2028Lee")}, "alice"),  # a line separator
        ({PHOTOGRAPHER_METADATA: encoded_word("Zoë") + " " + encoded_word(" Lee")}, "Zoë Lee"),
        ({"author": "Ann Lee"}, "alice"),
        ({}, "alice"),
    ],
)
def test_photographer_from(metadata, expected):
    assert photographer_from(metadata, "alice") == expected


def test_the_photos_own_caption_credits_and_keywords_start_its_record(aws, ingest, context):
    packet = xmp_packet("Dunes at low tide", ["Ann Lee"], "© 2025 Ann Lee", ["beach", "dunes"], "2025-05-01")
    data = with_iptc(f.jpeg(Image.new("RGB", (64, 48), (90, 120, 200)), xmp=packet), [((2, 120), b"IPTC caption")])
    event = aws.upload("uploads/alice/dunes.jpg", data, metadata={PHOTOGRAPHER_METADATA: "Uploader Name"})
    ingest.handler(sqs_batch(event), context)
    record = aws.record("uploads/alice/dunes.jpg")
    assert record[Record.CAPTION] == "Dunes at low tide"  # XMP over IPTC
    assert (record[Record.PHOTOGRAPHER], record[Record.DATE]) == ("Ann Lee", "2025-05-01")  # over the upload's
    assert (record[Record.COPYRIGHT], record[Record.KEYWORDS]) == ("© 2025 Ann Lee", ["beach", "dunes"])


def test_a_photo_without_credits_keeps_the_uploads_and_the_exif_date(aws, ingest, context, camera_jpeg):
    event = aws.upload("uploads/alice/plain.jpg", camera_jpeg, metadata={PHOTOGRAPHER_METADATA: "Uploader Name"})
    ingest.handler(sqs_batch(event), context)
    record = aws.record("uploads/alice/plain.jpg")
    assert record[Record.PHOTOGRAPHER] == "Uploader Name" and record[Record.DATE].startswith("2025-08-14T18:42:07")
    assert Record.COPYRIGHT not in record and Record.KEYWORDS not in record
