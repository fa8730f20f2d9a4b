"""The photo's date at ingest: EXIF DateTimeOriginal (with its offset) as ISO 8601, read from the
header parse; anything else in the tag gives no date, never an exception."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from handlers.imaging import ImageInfo, inspect_image
from handlers.imaging.metadata import exif_datetime, parse_exif, read_taken_at
from tests import imagefactory as f

ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2})?")
SMALL = Image.new("RGB", (24, 16), (120, 90, 60))


def inspected(fmt: str, exif: Image.Exif | bytes | None) -> ImageInfo:
    options = {} if exif is None else {"exif": exif}
    return inspect_image(f.encode(SMALL, fmt, **options))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_date_time_original_is_the_photos_date(fmt):
    info = inspected(fmt, f.camera_exif("2026:05:01 14:03:22"))
    assert info.taken_at == "2026-05-01T14:03:22"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_the_offset_of_the_original_time_is_appended(fmt):
    info = inspected(fmt, f.camera_exif("2026:05:01 14:03:22", offset="+02:00"))
    assert info.taken_at == "2026-05-01T14:03:22+02:00"
    assert datetime.fromisoformat(info.taken_at).utcoffset().total_seconds() == 7200


def test_orientation_and_date_come_from_the_same_exif():
    info = inspected("JPEG", f.camera_exif("2019:12:31 23:59:59", offset="-05:30", orientation=6))
    assert (info.orientation, info.taken_at) == (6, "2019-12-31T23:59:59-05:30")
    assert info.upright_size == (16, 24)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_no_exif_no_date(fmt):
    assert inspected(fmt, None).taken_at is None


def test_exif_without_date_tags_gives_no_date():
    assert inspected("JPEG", f.exif_with_orientation(3)).taken_at is None


def test_digitized_stands_in_when_the_original_is_missing():
    info = inspected("JPEG", f.camera_exif(digitized="2021:07:04 09:15:00"))
    assert info.taken_at == "2021-07-04T09:15:00"


def test_original_wins_over_digitized():
    info = inspected("JPEG", f.camera_exif("2021:07:04 09:15:00", digitized="2023:01:01 00:00:00"))
    assert info.taken_at == "2021-07-04T09:15:00"


def test_the_files_change_time_is_not_the_photos_date():
    # IFD0 DateTime (306) is rewritten by every editor: not used (see read_taken_at).
    assert inspected("JPEG", f.camera_exif(changed="2024:06:01 12:00:00")).taken_at is None


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"\0",
        b"0000:00:00 00:00:00\0",  # "unknown", as many cameras write it
        b"    :  :     :  :  \0",  # the standard's blank "unknown"
        b"2026:13:01 10:00:00\0",  # month 13
        b"2026:02:30 10:00:00\0",  # 30 February
        b"2026:05:01 24:00:00\0",  # hour 24
        b"2026:05:01 14:03:60\0",  # second 60
        b"2026:05:01\0",  # no time
        b"14:03:22\0",
        b"yesterday\0",
        b"2026:05:01 14:03:22 and more\0",
        b"\xff\xfe2026:05:01 14:03:22",
        b"\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa6:05:01 14:03:22",  # non-ASCII digits
        bytes(range(256)),
    ],
)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_malformed_zero_or_impossible_dates_give_no_date_and_the_image_is_accepted(fmt, value):
    info = inspected(fmt, f.raw_exif({f.DATE_TIME_ORIGINAL: value}))
    assert info.taken_at is None
    assert info.format == fmt


@pytest.mark.parametrize(
    "offset", [b"", b"   :  \0", b"+2:00\0", b"+02:60\0", b"+15:00\0", b"Z\0", b"UTC+2\0", b"\xff\xff\xff"]
)
def test_an_invalid_offset_is_left_out_and_the_date_stays(offset):
    exif = f.raw_exif({f.DATE_TIME_ORIGINAL: b"2026:05:01 14:03:22\0", f.OFFSET_TIME_ORIGINAL: offset})
    assert inspected("JPEG", exif).taken_at == "2026-05-01T14:03:22"


def test_a_date_tag_of_the_wrong_type_gives_no_date():
    exif = f.camera_exif()
    exif.get_ifd(f.EXIF_IFD)[f.DATE_TIME_ORIGINAL] = 20260501  # a number, not text
    assert inspected("JPEG", exif).taken_at is None


@pytest.mark.parametrize("garbage", [b"Exif\0\0", b"Exif\0\0II*\0\xff\xff\xff\xff", b"Exif\0\0MM\0*" + bytes(64)])
def test_unreadable_exif_gives_no_date_and_orientation_1(garbage):
    info = inspect_image(f.encode(SMALL, "JPEG", exif=garbage))
    assert (info.taken_at, info.orientation) == (None, 1)


@pytest.mark.parametrize(
    ("value", "offset", "expected"),
    [
        ("2026:05:01 14:03:22", None, "2026-05-01T14:03:22"),
        ("2026:05:01 14:03:22\0", "+02:00\0", "2026-05-01T14:03:22+02:00"),
        (b"2026:05:01 14:03:22", b"-05:30", "2026-05-01T14:03:22-05:30"),
        ("2026-05-01 14:03:22", None, "2026-05-01T14:03:22"),  # a writer's dashes
        ("2026:05:01T14:03:22", "+00:00", "2026-05-01T14:03:22+00:00"),
        (" 2024:02:29 00:00:00 ", "+14:00", "2024-02-29T00:00:00+14:00"),
        ("2024:02:29 00:00:00", "-12:00", "2024-02-29T00:00:00-12:00"),
        ("2023:02:29 00:00:00", None, None),
        ("0000:00:00 00:00:00", "+02:00", None),
        (None, "+02:00", None),
        (20260501, None, None),
        (("2026:05:01 14:03:22",), None, None),
    ],
)
def test_exif_datetime(value, offset, expected):
    assert exif_datetime(value, offset) == expected


def test_no_exif_bytes_parse_to_nothing():
    assert parse_exif(None) is None
    assert parse_exif(b"") is None
    assert read_taken_at(None) is None


# --------------------------------------------------------------------------------------------
# Properties: the date tags are the uploader's input


def assert_no_date_or_iso(taken_at: str | None) -> None:
    if taken_at is not None:
        assert ISO_8601.fullmatch(taken_at), taken_at
        datetime.fromisoformat(taken_at)


@given(value=st.binary(max_size=40), offset=st.none() | st.binary(max_size=10), fmt=st.sampled_from(["JPEG", "PNG"]))
def test_any_bytes_in_the_date_tags_give_no_date_or_an_iso_datetime(value, offset, fmt):
    tags = {f.DATE_TIME_ORIGINAL: value}
    if offset is not None:
        tags[f.OFFSET_TIME_ORIGINAL] = offset
    info = inspected(fmt, f.raw_exif(tags))
    assert_no_date_or_iso(info.taken_at)


@given(value=st.text(max_size=40) | st.binary(max_size=40), offset=st.none() | st.text(max_size=10))
def test_any_text_gives_no_date_or_an_iso_datetime(value, offset):
    assert_no_date_or_iso(exif_datetime(value, offset))


@given(
    taken=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    offset_minutes=st.none() | st.integers(-14 * 60, 14 * 60),
)
def test_every_real_date_comes_out_as_the_same_moment(taken, offset_minutes):
    taken = taken.replace(microsecond=0)
    t = taken
    tags = {f.DATE_TIME_ORIGINAL: f"{t.year:04d}:{t.month:02d}:{t.day:02d} {t:%H:%M:%S}\0".encode()}
    if offset_minutes is not None:
        sign = "-" if offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(offset_minutes), 60)
        tags[f.OFFSET_TIME_ORIGINAL] = f"{sign}{hours:02d}:{minutes:02d}\0".encode()
    exif = f.raw_exif(tags)
    result = inspected("JPEG", exif).taken_at
    assert result is not None
    parsed = datetime.fromisoformat(result)
    assert parsed.replace(tzinfo=None) == taken
    if offset_minutes is None:
        assert parsed.tzinfo is None
    else:
        assert parsed.utcoffset().total_seconds() == offset_minutes * 60
