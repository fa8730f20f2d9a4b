"""Captions and credits read from the photo: XMP over IPTC over EXIF, in the forms the tools write;
a value a command could not set is cut or left out, and a photo is never refused for its metadata."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image, PngImagePlugin

from handlers.contract import Record
from handlers.imaging import Limits, inspect_image
from handlers.imaging.credits import Credits, from_exif, from_iptc, from_xmp, read_credits
from handlers.pipeline.metadata_text import MAX_KEYWORD, MAX_LENGTH
from harness.photo_metadata import IPTC_UTF8, with_iptc, xmp_packet


def _jpeg(**options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 200)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def test_xmp_gives_every_field_in_lightrooms_forms():
    packet = xmp_packet(
        "Dunes at low tide",
        ["Ann Lee", "Bo Li"],
        "© 2025 Ann Lee",
        ["beach", "dunes", "Beach"],
        "2025-05-01T09:30:00+02:00",
    )
    assert from_xmp(packet) == Credits(
        "Dunes at low tide", "Ann Lee, Bo Li", "2025-05-01T09:30:00+02:00", "© 2025 Ann Lee", ("beach", "dunes")
    )


def test_xmp_properties_written_as_attributes_and_create_date_are_read():
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="2024-12-24"/>'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Cam Ng</dc:creator></rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    )
    assert from_xmp(packet) == Credits(photographer="Cam Ng", date="2024-12-24")


@pytest.mark.parametrize("packet", [b"", b"<x:xmpmeta", b"not xml at all", "<?xml version='1.0'?><a/>"])
def test_an_unreadable_or_empty_packet_says_nothing(packet):
    assert from_xmp(packet) == Credits()


def test_iptc_in_utf8_or_latin1_and_its_date_and_time():
    utf8 = from_iptc(
        {
            **dict([IPTC_UTF8]),
            (2, 120): "Légende".encode(),
            (2, 80): [b"Bob", b"Eve"],
            (2, 25): [b"sea", b"sky"],
            (2, 55): b"20240102",
            (2, 60): b"101500+0100",
        }
    )
    assert utf8 == Credits("Légende", "Bob, Eve", "2024-01-02T10:15:00+01:00", None, ("sea", "sky"))
    latin1 = from_iptc({(2, 120): "Légende".encode("latin-1"), (2, 116): b"(c) Bob"})
    assert (latin1.caption, latin1.copyright) == ("Légende", "(c) Bob")


def test_xmp_wins_over_iptc_and_iptc_over_exif_field_by_field():
    exif = Image.Exif()
    exif[270], exif[315], exif[33432] = "exif caption", "Exif Artist", "exif rights"
    iptc = {(2, 80): b"Iptc Byline", (2, 116): b"iptc rights"}
    said = read_credits(xmp_packet(caption="xmp caption"), iptc, exif)
    assert (said.caption, said.photographer, said.copyright) == ("xmp caption", "Iptc Byline", "iptc rights")
    assert from_exif(exif) == Credits("exif caption", "Exif Artist", None, "exif rights")


def test_what_a_command_could_not_set_is_cut_or_left_out():
    too_long = "x" * (MAX_LENGTH[Record.CAPTION] + 50)
    tomorrow = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    said = from_xmp(xmp_packet(too_long, ["Ann\tLee"], "ok", ["fine", "y" * (MAX_KEYWORD + 1), "tab\there"], tomorrow))
    assert said.caption == "x" * MAX_LENGTH[Record.CAPTION]  # cut
    assert said.photographer is None and said.date is None  # a tab in a name, a future date: left out
    assert said.keywords == ("fine",)


def test_a_jpeg_with_xmp_and_iptc_is_read_at_inspection_and_a_png_with_xmp_too():
    jpeg = with_iptc(_jpeg(xmp=xmp_packet(caption="From XMP")), [((2, 116), b"(c) Desk"), ((2, 25), b"harbour")])
    info = inspect_image(jpeg, Limits())
    assert info.credits == Credits("From XMP", None, None, "(c) Desk", ("harbour",))
    buffer, chunks = io.BytesIO(), PngImagePlugin.PngInfo()
    chunks.add_itxt("XML:com.adobe.xmp", xmp_packet(rights="© PNG maker").decode())
    Image.new("RGB", (32, 32), (1, 2, 3)).save(buffer, "PNG", pnginfo=chunks)
    assert inspect_image(buffer.getvalue(), Limits()).credits.copyright == "© PNG maker"
