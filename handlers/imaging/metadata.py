"""What a photo says about itself in its EXIF (and XMP): its orientation and the date it was taken.

Both are read from the metadata the header parse already holds (a JPEG's APP1 segment, a PNG's
eXIf chunk), never from pixels. The metadata is the uploader's input: malformed, missing or
implausible values give the default (orientation 1, no date), never an exception.

- :func:`parse_exif`: raw EXIF bytes (with or without the ``Exif\\0\\0`` header) → Pillow's
  :class:`~PIL.Image.Exif`, or None when there is none or it cannot be read.
- :func:`read_orientation`: the EXIF orientation 1..8, else XMP's ``tiff:Orientation``, else 1.
- :func:`read_taken_at`: the date the photo was taken, ISO 8601 (see its docstring for the tags).
- :func:`exif_datetime`: one EXIF date/time value (and its offset) → ISO 8601, or None.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Final

from PIL import Image

__all__ = ["exif_datetime", "parse_exif", "read_orientation", "read_taken_at"]

ORIENTATION_TAG: Final = 0x0112
EXIF_IFD: Final = 0x8769
DATE_TIME_ORIGINAL: Final = 36867  # 0x9003: when the picture was taken
DATE_TIME_DIGITIZED: Final = 36868  # 0x9004: when it was stored as digital data
OFFSET_TIME_ORIGINAL: Final = 36881  # 0x9011: "+02:00", the UTC offset of DateTimeOriginal
OFFSET_TIME_DIGITIZED: Final = 36882  # 0x9012: the same for DateTimeDigitized
# Tried in this order: (date/time tag, its offset tag).
DATE_TAGS: Final = ((DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL), (DATE_TIME_DIGITIZED, OFFSET_TIME_DIGITIZED))

_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(?:="|>)([1-8])\b')
# EXIF writes "YYYY:MM:DD HH:MM:SS"; some software writes "-" in the date or a "T" between.
_EXIF_DATETIME = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})", re.ASCII)
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})", re.ASCII)
_MAX_OFFSET: Final = timedelta(hours=14)  # the widest UTC offset in use (UTC+14, UTC−12)


def parse_exif(raw: bytes | None) -> Image.Exif | None:
    """Pillow's reading of raw EXIF bytes; None when there are none or they cannot be read."""
    if not raw:
        return None
    try:
        exif = Image.Exif()
        exif.load(raw)
    except MemoryError:
        raise
    except Exception:
        return None
    return exif


def read_orientation(exif: Image.Exif | None, xmp: str | bytes | None = None) -> int:
    """The EXIF orientation (1..8), else XMP's tiff:Orientation; 1 otherwise.

    Malformed or out-of-range values count as 1 (as browsers treat them): broken metadata is no
    reason to refuse a picture.
    """
    value: object = None
    if exif is not None:
        try:
            value = exif.get(ORIENTATION_TAG)
        except MemoryError:
            raise
        except Exception:
            value = None
    if value is None and xmp:
        raw = xmp.encode("utf-8", "replace") if isinstance(xmp, str) else xmp
        match = _XMP_ORIENTATION.search(raw)
        value = int(match[1]) if match else None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 8:
        return value
    return 1


def read_taken_at(exif: Image.Exif | None) -> str | None:
    """When the photo was taken, as ISO 8601 (``2026-05-01T14:03:22``, ``…+02:00`` with an offset).

    From the Exif IFD's ``DateTimeOriginal`` (36867) with ``OffsetTimeOriginal`` (36881), else
    ``DateTimeDigitized`` (36868) with ``OffsetTimeDigitized`` (36882): a camera writes both at
    the shutter, so the second is the same moment when a writer dropped the first. IFD0's
    ``DateTime`` (306) is *not* used: it is the time the file was last changed, which any editor
    rewrites, and a wrong date shown as the photo's is worse than none (the owner can set one).
    None when neither tag holds a valid date.
    """
    if exif is None:
        return None
    try:
        ifd = exif.get_ifd(EXIF_IFD)
        for date_tag, offset_tag in DATE_TAGS:
            taken = exif_datetime(ifd.get(date_tag), ifd.get(offset_tag))
            if taken is not None:
                return taken
    except MemoryError:
        raise
    except Exception:
        return None
    return None


def exif_datetime(value: object, offset: object = None) -> str | None:
    """An EXIF date/time (``2026:05:01 14:03:22``) as ISO 8601 (``2026-05-01T14:03:22``), with the
    EXIF offset (``+02:00``) appended when it is a valid one; None for anything that is not a real
    date and time: empty, blank ("    :  :     :  :  "), all zeros, month 13, 30 February, 24:00…"""
    text = _text(value)
    match = _EXIF_DATETIME.fullmatch(text) if text is not None else None
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        taken = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    zone = _offset(offset)
    return (taken.replace(tzinfo=zone) if zone else taken).isoformat()


def _text(value: object) -> str | None:
    """A tag's value as text without the NUL terminator and padding; None when it is not text."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 \t\r\n")


def _offset(value: object) -> timezone | None:
    """An EXIF offset ("+02:00", "-05:30") as a timezone; None when absent, blank or invalid."""
    text = _text(value)
    match = _EXIF_OFFSET.fullmatch(text) if text is not None else None
    if match is None:
        return None
    sign, hours, minutes = match[1], int(match[2]), int(match[3])
    delta = timedelta(hours=hours, minutes=minutes)
    if minutes >= 60 or delta > _MAX_OFFSET:
        return None
    return timezone(-delta if sign == "-" else delta)
