"""Validation at ingest: is this upload a JPEG or PNG the pipeline will process?

:func:`inspect_image` answers with an :class:`ImageInfo` or raises
:class:`~handlers.imaging.rejection.ImageRejected`. It is cheap and never decodes a large file's
full-resolution pixels; the checks run in this order, each before anything costlier:

1. empty file; byte limit (:class:`Limits`.max_bytes), before anything is parsed;
2. identification by content (:mod:`handlers.imaging.formats`), only JPEG and PNG pass;
3. the stored size from the format's own header: zero or implausible sizes are corrupt, and
   the pixel limit (:class:`Limits`.max_pixels) applies here, before any decoder runs;
4. integrity without decoding pixels (:mod:`handlers.imaging.structure`): PNG chunk CRCs up to
   IEND and the image data's zlib stream counted; JPEG markers up to the scan and an EOI after;
5. Pillow's header parse (mode, transparency, and from the EXIF the orientation and the date the
   photo was taken: :mod:`handlers.imaging.metadata`) and, for JPEG, a decode at 1/8 scale
   (``Image.draft``): libjpeg still walks all entropy-coded data, for a fraction of the cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, cast

from PIL import ImageFile, IptcImagePlugin

from . import formats
from ._pillow import decode_failure, open_image, pillow_guard
from .credits import Credits, read_credits
from .metadata import parse_exif, read_orientation, read_taken_at
from .rejection import ImageRejected, too_large_reason, too_many_pixels_reason
from .structure import PngLayout, check_image_data, check_png, corrupt, jpeg_layout, png_header, truncated

__all__ = ["ImageInfo", "Limits", "inspect_image"]

MAX_SIDE: Final = 1_000_000  # px; a side beyond this is a broken header, whatever the pixel limit
_CONTENT_TYPES: Final = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class Limits:
    """What the pipeline accepts at most: the file's size in bytes and the image's pixel count."""

    max_bytes: int = 25 * 1024 * 1024  # 25 MB
    max_pixels: int = 50_000_000  # 50 MP

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, not {value!r}")


@dataclass(frozen=True)
class ImageInfo:
    """What ingest learnt about an accepted image (sizes as stored, before orientation)."""

    format: str  # "JPEG" or "PNG"
    width: int
    height: int
    mode: str  # Pillow's mode as decoded: "RGB", "L", "CMYK", "P", "RGBA", "I;16", …
    orientation: int  # EXIF orientation 1..8 (1 when absent or invalid)
    has_alpha: bool  # an alpha channel or a transparent colour is declared (it may be unused)
    byte_size: int
    taken_at: str | None = None  # when the photo was taken (EXIF), ISO 8601; None when it does not say
    credits: Credits = field(default_factory=Credits)  # its caption, credits and keywords (XMP, IPTC, EXIF)

    @property
    def content_type(self) -> str:
        """The MIME type of the format: "image/jpeg" or "image/png"."""
        return _CONTENT_TYPES[self.format]

    @property
    def upright_size(self) -> tuple[int, int]:
        """(width, height) once the EXIF orientation is applied."""
        return (self.height, self.width) if self.orientation >= 5 else (self.width, self.height)


def inspect_image(data: bytes, limits: Limits = Limits(), filename: str | None = None) -> ImageInfo:
    """Validate an upload and describe it; raise :class:`ImageRejected` when the pipeline refuses it.

    ``filename`` (e.g. the object key) never decides the type; it only makes a rejection say when
    the name claims something the content is not: "a PDF document, not a JPEG or PNG (the name
    ends in .jpg)". A PNG named ``.jpg`` is accepted as the PNG it is.
    """
    return checked_info(data, limits, filename)


def _as_bytes(data: object) -> bytes:
    """The file's bytes, whatever buffer they came in; a TypeError for anything else (a str, a path)."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"data must be bytes, not {type(data).__name__}")


def checked_info(
    data: bytes, limits: Limits = Limits(), filename: str | None = None, *, reduced_decode: bool = True
) -> ImageInfo:
    """:func:`inspect_image`; ``reduced_decode=False`` skips the 1/8-scale JPEG decode (for a caller
    that decodes the same data right after and maps its errors the same way)."""
    return _checked(data, limits, filename, reduced_decode=reduced_decode, defer_png_data=False)[0]


def render_checks(data: bytes, limits: Limits = Limits()) -> tuple[ImageInfo, PngLayout | None]:
    """:func:`checked_info` for render, which decodes the data right after and maps its errors the
    same way: no 1/8-scale JPEG decode, and a PNG's image data is not inflated here but while
    render decodes it (:func:`~handlers.imaging.structure.stored_png`, the same zlib calls and
    errors), once for both; its chunk layout comes back for that. Where Pillow's header parse
    fails, the image data is checked first, so the rejection is the one ingest gives."""
    return _checked(data, limits, None, reduced_decode=False, defer_png_data=True)


def _checked(
    data: bytes, limits: Limits, filename: str | None, *, reduced_decode: bool, defer_png_data: bool
) -> tuple[ImageInfo, PngLayout | None]:
    data = _as_bytes(data)
    size = len(data)
    if size == 0:
        raise ImageRejected("the file is empty", "empty")
    if size > limits.max_bytes:
        raise ImageRejected(too_large_reason(size, limits.max_bytes), "too-large")
    kind = formats.identify(data, filename)
    if kind is formats.JPEG:
        return _inspect_jpeg(data, limits, reduced_decode), None
    if kind is formats.PNG:
        return _inspect_png(data, limits, defer_png_data)
    raise ImageRejected(formats.unsupported_reason(kind, filename), "unsupported-format")


def _check_size(fmt: str, width: int, height: int, limits: Limits) -> None:
    if width == 0 or height == 0 or width > 0x7FFFFFFF or height > 0x7FFFFFFF:
        raise corrupt(fmt, f"the header gives a size of {width}×{height}")
    if width * height > limits.max_pixels:
        raise ImageRejected(too_many_pixels_reason(width, height, limits.max_pixels), "too-many-pixels")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise corrupt(fmt, f"the header gives an implausible size of {width}×{height}")


def _inspect_jpeg(data: bytes, limits: Limits, reduced_decode: bool) -> ImageInfo:
    layout = jpeg_layout(data)
    _check_size("JPEG", layout.width, layout.height, limits)
    if not layout.complete:
        raise truncated("JPEG")
    with pillow_guard(limits.max_pixels):
        im = open_image(data, "JPEG")
        try:
            if im.size != (layout.width, layout.height):
                raise corrupt("JPEG", "inconsistent image size")
            mode = im.mode
            exif = parse_exif(im.info.get("exif"))
            orientation = read_orientation(exif, im.info.get("xmp"))
            taken_at = read_taken_at(exif)
            said = read_credits(im.info.get("xmp"), IptcImagePlugin.getiptcinfo(cast(ImageFile.ImageFile, im)), exif)
            if reduced_decode:
                im.draft(None, (1, 1))  # the smallest DCT scale libjpeg offers (1/8)
                im.load()
        except MemoryError:
            raise
        except Exception as error:
            raise decode_failure("JPEG", error) from error
        finally:
            im.close()
    return ImageInfo("JPEG", layout.width, layout.height, mode, orientation, False, len(data), taken_at, said)


def _inspect_png(data: bytes, limits: Limits, defer_data: bool) -> tuple[ImageInfo, PngLayout]:
    header = png_header(data)
    _check_size("PNG", header.width, header.height, limits)
    layout = check_png(data, header, image_data=not defer_data)
    with pillow_guard(limits.max_pixels):
        try:
            im = open_image(data, "PNG")
            try:
                if im.size != (header.width, header.height):
                    raise corrupt("PNG", "inconsistent image size")
                mode = im.mode
                has_alpha = mode in ("RGBA", "LA", "PA") or "transparency" in im.info
                exif = parse_exif(layout.exif)
                orientation = read_orientation(exif, im.info.get("xmp"))
                taken_at = read_taken_at(exif)
                said = read_credits(im.info.get("xmp"), None, exif)
            except MemoryError:
                raise
            except Exception as error:
                raise decode_failure("PNG", error) from error
            finally:
                im.close()
        except ImageRejected:
            if defer_data:
                check_image_data(data, layout)  # ingest checks the image data before this parse
            raise
    info = ImageInfo("PNG", header.width, header.height, mode, orientation, has_alpha, len(data), taken_at, said)
    return info, layout
