"""Identification by content: what a file is, judged from its bytes, never from its name.

:func:`identify` looks at magic bytes (and, for text, at the markup it starts with) and returns a
:class:`Kind`; only JPEG and PNG are accepted by the pipeline. For everything else
:func:`unsupported_reason` words the rejection ("a PDF document, not a JPEG or PNG"), and says
when the file's name claims another type ("… (the name ends in .jpg)").

Pillow's header parse comes after this (in :mod:`handlers.imaging.inspect`) and only for the two
accepted formats; this module needs nothing but the stdlib.
"""

from __future__ import annotations

import codecs
import re
from typing import Final, NamedTuple

__all__ = ["JPEG", "PNG", "Kind", "claimed_kind", "identify", "unsupported_reason"]


class Kind(NamedTuple):
    """A type of file: a stable key, and how to name it in a sentence."""

    key: str
    description: str


JPEG: Final = Kind("JPEG", "a JPEG image")
PNG: Final = Kind("PNG", "a PNG image")
PDF: Final = Kind("PDF", "a PDF document")
GIF: Final = Kind("GIF", "a GIF image")
WEBP: Final = Kind("WEBP", "a WebP image")
HEIC: Final = Kind("HEIC", "a HEIC/HEIF image")
AVIF: Final = Kind("AVIF", "an AVIF image")
TIFF: Final = Kind("TIFF", "a TIFF image")
RAW: Final = Kind("RAW", "a camera raw photo")
BMP: Final = Kind("BMP", "a BMP image")
ICO: Final = Kind("ICO", "an icon file (ICO)")
PSD: Final = Kind("PSD", "a Photoshop document (PSD)")
JP2: Final = Kind("JP2", "a JPEG 2000 image")
JXL: Final = Kind("JXL", "a JPEG XL image")
QOI: Final = Kind("QOI", "a QOI image")
ZIP: Final = Kind("ZIP", "a ZIP archive")
GZIP: Final = Kind("GZIP", "a gzip archive")
SEVENZIP: Final = Kind("7Z", "a 7-Zip archive")
RAR: Final = Kind("RAR", "a RAR archive")
OFFICE: Final = Kind("OFFICE", "an Office document")
MP4: Final = Kind("MP4", "an MP4 video")
MOV: Final = Kind("MOV", "a QuickTime video")
WEBM: Final = Kind("WEBM", "a WebM/Matroska video")
AVI: Final = Kind("AVI", "an AVI video")
WAV: Final = Kind("WAV", "a WAV audio file")
MP3: Final = Kind("MP3", "an MP3 audio file")
OGG: Final = Kind("OGG", "an Ogg media file")
FLAC: Final = Kind("FLAC", "a FLAC audio file")
EXE: Final = Kind("EXE", "a program file")
POSTSCRIPT: Final = Kind("PS", "a PostScript document")
RTF: Final = Kind("RTF", "a rich-text document (RTF)")
SVG: Final = Kind("SVG", "an SVG drawing")
HTML: Final = Kind("HTML", "an HTML page")
XML: Final = Kind("XML", "an XML document")
TEXT: Final = Kind("TEXT", "plain text")

# Prefixes that settle the question on their own, checked in order.
_PREFIXES: Final[tuple[tuple[bytes, Kind], ...]] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF),
    (b"MM\x00+", TIFF),
    (b"8BPS", PSD),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", JP2),
    (b"\xff\x4f\xff\x51", JP2),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", JXL),
    (b"\xff\x0a", JXL),
    (b"qoif", QOI),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),
    (b"PK\x07\x08", ZIP),
    (b"\x1f\x8b", GZIP),
    (b"7z\xbc\xaf\x27\x1c", SEVENZIP),
    (b"Rar!\x1a\x07", RAR),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OFFICE),
    (b"\x1a\x45\xdf\xa3", WEBM),
    (b"ID3", MP3),
    (b"OggS", OGG),
    (b"fLaC", FLAC),
    (b"\x7fELF", EXE),
    (b"\xc5\xd0\xd3\xc6", POSTSCRIPT),
    (b"%!PS", POSTSCRIPT),
    (b"{\\rtf", RTF),
)

_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})
_BMP_HEADER_SIZES: Final = frozenset({12, 16, 40, 52, 56, 64, 108, 124})

# What a file name's extension claims the file is (keys of the kinds above).
_EXTENSIONS: Final[dict[str, str]] = {
    **dict.fromkeys(("jpg", "jpeg", "jpe", "jfif", "pjpeg", "pjp"), "JPEG"),
    "png": "PNG",
    "pdf": "PDF",
    "gif": "GIF",
    "webp": "WEBP",
    **dict.fromkeys(("heic", "heif", "hif"), "HEIC"),
    "avif": "AVIF",
    **dict.fromkeys(("tif", "tiff"), "TIFF"),
    **dict.fromkeys(("dng", "nef", "cr2", "arw", "orf", "rw2", "raf", "pef", "srw"), "RAW"),
    **dict.fromkeys(("bmp", "dib"), "BMP"),
    **dict.fromkeys(("ico", "cur"), "ICO"),
    "psd": "PSD",
    **dict.fromkeys(("jp2", "j2k", "jpx", "jpf"), "JP2"),
    "jxl": "JXL",
    "qoi": "QOI",
    "zip": "ZIP",
    **dict.fromkeys(("gz", "tgz"), "GZIP"),
    "7z": "7Z",
    "rar": "RAR",
    **dict.fromkeys(("mp4", "m4v"), "MP4"),
    "mov": "MOV",
    **dict.fromkeys(("webm", "mkv"), "WEBM"),
    "avi": "AVI",
    "wav": "WAV",
    "mp3": "MP3",
    **dict.fromkeys(("ogg", "oga", "ogv"), "OGG"),
    "flac": "FLAC",
    **dict.fromkeys(("exe", "dll"), "EXE"),
    **dict.fromkeys(("ps", "eps"), "PS"),
    "rtf": "RTF",
    "svg": "SVG",
    **dict.fromkeys(("html", "htm"), "HTML"),
    "xml": "XML",
    **dict.fromkeys(("txt", "text", "md", "csv", "log"), "TEXT"),
}

_TEXT_SAMPLE = 4096
_MARKUP_START = re.compile(r"\A(?:\s|<\?xml[^>]*>|<!--.*?-->|<!doctype[^>]*>)*", re.IGNORECASE | re.DOTALL)


def identify(data: bytes, filename: str | None = None) -> Kind | None:
    """The kind of file ``data`` is, from its content; ``None`` when it is not recognised.

    ``filename`` never decides the kind; it only refines the wording for a TIFF container whose
    name says it is a camera raw photo (DNG, NEF, CR2, … are TIFF inside).
    """
    head = data[:64]
    for prefix, kind in _PREFIXES:
        if head.startswith(prefix):
            if kind is TIFF and filename is not None and _extension_claim(filename) == RAW.key:
                return RAW
            return kind
    if b"%PDF-" in data[:1024]:
        return PDF
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": WEBP, b"AVI ": AVI, b"WAVE": WAV}.get(head[8:12])
    if head[4:8] == b"ftyp":
        return _iso_media_kind(data)
    text = _as_text(data)
    if text is not None:
        return _text_kind(text)
    if head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
        return BMP
    if head[:4] in (b"\x00\x00\x01\x00", b"\x00\x00\x02\x00") and len(head) >= 6 and head[4:6] != b"\x00\x00":
        return ICO
    if head[:2] == b"MZ" and len(data) >= 64:
        return EXE
    return None


def _iso_media_kind(data: bytes) -> Kind:
    """HEIC/HEIF, AVIF or video, from the brands of an ISO base media ``ftyp`` box."""
    box_size = int.from_bytes(data[0:4], "big")
    major = data[8:12]
    brands = {major}
    end = min(len(data), box_size if 16 <= box_size <= 4096 else 64)
    brands.update(data[i : i + 4] for i in range(16, end - 3, 4))
    if major in _AVIF_BRANDS or (major in {b"mif1", b"msf1"} and brands & _AVIF_BRANDS):
        return AVIF
    if brands & _HEIF_BRANDS:
        return HEIC
    if brands & _AVIF_BRANDS:
        return AVIF
    if major == b"qt  ":
        return MOV
    if major in {b"M4A ", b"M4B "}:
        return Kind("M4A", "an M4A audio file")
    if major == b"crx ":
        return RAW
    return MP4


def _as_text(data: bytes) -> str | None:
    """The start of ``data`` as text when it reads as text (UTF-8, or UTF-16 with a BOM)."""
    sample = data[:_TEXT_SAMPLE]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\x00" in sample:
            return None
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        # final=False: a multi-byte character cut at the sample's end is not an error.
        text = decoder.decode(sample, final=len(data) <= _TEXT_SAMPLE)
    except UnicodeDecodeError:
        return None
    if not text:
        return None
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\t\n\r\f\v")
    return text if printable >= 0.95 * len(text) else None


def _text_kind(text: str) -> Kind:
    start = _MARKUP_START.match(text)
    rest = text[start.end() if start else 0 :].lower()
    head = text[:_TEXT_SAMPLE].lower()
    if rest.startswith("<svg") or ("<svg" in head and rest.startswith("<")):
        return SVG
    if rest.startswith(("<html", "<head", "<body")) or "<!doctype html" in head[:200]:
        return HTML
    if text.lstrip("\ufeff \t\r\n").startswith("<?xml"):
        return XML
    return TEXT


def _extension(filename: str) -> str | None:
    """The extension as written (without the dot), from the last path component; None if there is none."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not ext or len(ext) > 10:
        return None
    return ext


def _extension_claim(filename: str) -> str | None:
    ext = _extension(filename)
    return _EXTENSIONS.get(ext.lower()) if ext else None


def claimed_kind(filename: str | None) -> tuple[str, str] | None:
    """``(extension as written, kind key)`` for a name whose extension claims a known type, else None."""
    if not filename:
        return None
    ext = _extension(filename)
    if ext is None:
        return None
    key = _EXTENSIONS.get(ext.lower())
    return (ext, key) if key else None


def unsupported_reason(kind: Kind | None, filename: str | None = None) -> str:
    """The rejection reason for content that is not JPEG or PNG.

    "a PDF document, not a JPEG or PNG"; with a name whose extension claims something else,
    "a PDF document, not a JPEG or PNG (the name ends in .jpg)"; for unknown content,
    "not a JPEG or PNG image (unrecognised content)".
    """
    claim = claimed_kind(filename)
    if kind is None:
        if claim is not None:
            return f"not a JPEG or PNG image (unrecognised content; the name ends in .{claim[0]})"
        return "not a JPEG or PNG image (unrecognised content)"
    reason = f"{kind.description}, not a JPEG or PNG"
    if claim is not None and claim[1] != kind.key:
        reason += f" (the name ends in .{claim[0]})"
    return reason
