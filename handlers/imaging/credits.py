"""Captions and credits from the photo itself, read at ingest: XMP (in JPEG's APP1 and PNG's iTXt),
IPTC IIM (in JPEG's APP13, Photoshop's resource 0x0404) and EXIF's own text tags, as a picture desk's
tools write them.

| record field  | XMP                                          | IPTC IIM          | EXIF              |
| ------------- | -------------------------------------------- | ----------------- | ----------------- |
| caption       | dc:description                               | 2:120             | ImageDescription  |
| photographer  | dc:creator (a list, joined with ", ")        | 2:80 (each)       | Artist            |
| date          | photoshop:DateCreated, else xmp:CreateDate   | 2:55 with 2:60    | (DateTimeOriginal, read apart) |
| copyright     | dc:rights                                    | 2:116             | Copyright         |
| keywords      | dc:subject                                   | 2:25 (each)       |                   |

XMP wins over IPTC, IPTC over EXIF (`Credits.over`). Every value is held to what a command may set
(handlers/pipeline/metadata_text.py), but cut to length or left out instead of refused: a photo is
never refused for its metadata. XMP is parsed with the standard library's expat, whose limits
(expat 2.4.1 and later) stop the entity expansions that made XML bombs; its packet is at most one
JPEG segment (64 KB).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from typing import Final

from PIL import Image

from handlers.contract import Record
from handlers.pipeline.command_dates import DateRefused, command_date
from handlers.pipeline.metadata_text import usable_keywords, usable_text

_NS: Final = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
_DATE_PROPERTIES: Final = ("photoshop:DateCreated", "xmp:CreateDate")
# IPTC IIM datasets (record 2, application) and the character set's (record 1).
IPTC_CAPTION, IPTC_BYLINE, IPTC_DATE, IPTC_TIME = (2, 120), (2, 80), (2, 55), (2, 60)
IPTC_COPYRIGHT, IPTC_KEYWORDS, IPTC_CHARSET = (2, 116), (2, 25), (1, 90)
UTF8_CHARSET: Final = b"\x1b%G"
# EXIF's text tags in IFD0.
EXIF_DESCRIPTION, EXIF_ARTIST, EXIF_COPYRIGHT = 270, 315, 33432
IptcData = dict[tuple[int, int], bytes | list[bytes]]  # as Pillow's IptcImagePlugin.getiptcinfo gives it


@dataclass(frozen=True)
class Credits:
    """What the photo says of itself; None (or no keywords) where it says nothing usable."""

    caption: str | None = None
    photographer: str | None = None
    date: str | None = None
    copyright: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)

    def over(self, other: Credits) -> Credits:
        """These credits, with `other`'s where these say nothing."""
        return Credits(
            self.caption or other.caption,
            self.photographer or other.photographer,
            self.date or other.date,
            self.copyright or other.copyright,
            self.keywords or other.keywords,
        )


def read_credits(
    xmp: str | bytes | None, iptc: dict[tuple[int, int], bytes | list[bytes]] | None, exif: Image.Exif | None
) -> Credits:
    """The photo's credits: XMP over IPTC over EXIF."""
    return from_xmp(xmp).over(from_iptc(iptc)).over(from_exif(exif))


def from_xmp(packet: str | bytes | None) -> Credits:
    """The credits an XMP packet holds (an unreadable packet holds none)."""
    if not packet:
        return Credits()
    try:
        root = ElementTree.fromstring(packet.encode() if isinstance(packet, str) else packet.strip(b"\x00"))
    except (ElementTree.ParseError, ValueError):
        return Credits()
    descriptions = root.iter(_tag("rdf:Description"))
    found = Credits()
    for description in descriptions:
        found = found.over(_description_credits(description))
    return found


def _description_credits(description: ElementTree.Element) -> Credits:
    creators = _items(description, "dc:creator")
    dates = [_property(description, name) for name in _DATE_PROPERTIES]
    return Credits(
        caption=usable_text(Record.CAPTION, _alternative(description, "dc:description")),
        photographer=usable_text(Record.PHOTOGRAPHER, ", ".join(creators) if creators else None),
        date=next((found for text in dates if (found := _date(text)) is not None), None),
        copyright=usable_text(Record.COPYRIGHT, _alternative(description, "dc:rights")),
        keywords=tuple(usable_keywords(_items(description, "dc:subject"))),
    )


def _tag(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


def _property(description: ElementTree.Element, name: str) -> str | None:
    """A simple property: an attribute of the description, or an element's text."""
    attribute = description.get(_tag(name))
    if attribute is not None:
        return attribute
    element = description.find(_tag(name))
    return element.text if element is not None else None


def _items(description: ElementTree.Element, name: str) -> list[str]:
    """An array property's items (rdf:Seq, rdf:Bag or rdf:Alt), or its one simple value."""
    element = description.find(_tag(name))
    if element is None:
        simple = description.get(_tag(name))
        return [simple] if simple else []
    items = [item.text for item in element.iter(_tag("rdf:li")) if item.text]
    return items or ([element.text] if element.text and element.text.strip() else [])


def _alternative(description: ElementTree.Element, name: str) -> str | None:
    """A language alternative's x-default (else its first) value."""
    element = description.find(_tag(name))
    if element is None:
        return description.get(_tag(name))
    items = list(element.iter(_tag("rdf:li")))
    preferred = [item for item in items if item.get(_tag("xml:lang")) == "x-default"]
    chosen = (preferred or items)[:1]
    return chosen[0].text if chosen else element.text


def from_iptc(datasets: IptcData | None) -> Credits:
    """The credits IPTC IIM datasets hold, in their character set (UTF-8 when record 1 says so,
    else UTF-8 when it decodes, else Latin-1)."""
    if not datasets:
        return Credits()
    utf8 = _values(datasets, IPTC_CHARSET)[:1] == [UTF8_CHARSET]

    def texts(key: tuple[int, int]) -> list[str]:
        return [_decoded(value, utf8) for value in _values(datasets, key)]

    day, time = texts(IPTC_DATE)[:1], texts(IPTC_TIME)[:1]
    return Credits(
        caption=usable_text(Record.CAPTION, next(iter(texts(IPTC_CAPTION)), None)),
        photographer=usable_text(Record.PHOTOGRAPHER, ", ".join(texts(IPTC_BYLINE)) or None),
        date=_date(_iptc_date(day[0], time[0] if time else None)) if day else None,
        copyright=usable_text(Record.COPYRIGHT, next(iter(texts(IPTC_COPYRIGHT)), None)),
        keywords=tuple(usable_keywords(texts(IPTC_KEYWORDS))),
    )


def _values(datasets: IptcData, key: tuple[int, int]) -> list[bytes]:
    value = datasets.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _decoded(value: bytes, utf8: bool) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("utf-8" if utf8 else "latin-1", errors="replace")


def _iptc_date(day: str, time: str | None) -> str:
    """IPTC's CCYYMMDD (and HHMMSS±HHMM) as ISO 8601."""
    day = day.strip()
    iso = f"{day[:4]}-{day[4:6]}-{day[6:8]}" if len(day) == 8 and day.isdigit() else day
    if time and len(time.strip()) == 11 and time[:6].isdigit():
        clock = time.strip()
        iso += f"T{clock[:2]}:{clock[2:4]}:{clock[4:6]}{clock[6:9]}:{clock[9:11]}"
    return iso


def from_exif(exif: Image.Exif | None) -> Credits:
    """The credits EXIF's own text tags hold (its date is read apart: `read_taken_at`)."""
    if exif is None:
        return Credits()

    def text(tag: int) -> str | None:
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        return value.strip("\x00 ") if isinstance(value, str) else None

    return Credits(
        caption=usable_text(Record.CAPTION, text(EXIF_DESCRIPTION)),
        photographer=usable_text(Record.PHOTOGRAPHER, text(EXIF_ARTIST)),
        copyright=usable_text(Record.COPYRIGHT, text(EXIF_COPYRIGHT)),
    )


def _date(text: str | None) -> str | None:
    """A date the photo gives, as a command's date (ISO 8601, not in the future), else None."""
    if not text:
        return None
    try:
        return command_date(text.strip())
    except DateRefused:
        return None
