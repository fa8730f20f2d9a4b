"""Encoding the rendered pixels: which files an image is published as, and how each is written.

Every variant (the optimized image, its narrower widths for ``srcset``, the thumbnail) is encoded
as JPEG, or PNG when it is transparent, and in each of the stack's modern formats (:class:`Outputs`):
WebP and AVIF, transparency kept. Nothing of the source's metadata is carried over (no EXIF, GPS,
comments, text chunks or ICC profile: the pixels are sRGB and upright), except, when given, the
copyright notice (:func:`notice_metadata`), as XMP ``dc:rights`` and, when it is ASCII, as EXIF's
Copyright tag: what photographers' tools read back.

The settings (``JPEG_QUALITY`` and the rest) and why: docs/benchmarks.md, "Design figures".
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Final, cast
from xml.sax.saxutils import escape

from PIL import Image

from handlers.contract import (
    DEFAULT_FORMATS,
    DEFAULT_SRCSET_WIDTHS,
    EXTENSIONS,
    MAX_SRCSET_WIDTHS,
    MODERN_FORMATS,
    ImageFormat,
)

from .credits import EXIF_COPYRIGHT
from .png_writer import encode_png

__all__ = ["Outputs", "Variant", "encode", "notice_metadata"]

JPEG_QUALITY: Final = 82
PNG_COMPRESS_LEVEL: Final = 6
WEBP_QUALITY: Final = 79  # (imgproxy's default)
WEBP_METHOD: Final = 4  # libwebp's default effort (0 fastest … 6 smallest)
AVIF_QUALITY: Final = 63  # (imgproxy's default)
AVIF_SPEED: Final = 8  # libaom's speed (0 slowest, smallest … 10 fastest)
_MAX_SIDE: Final = 16_383  # WebP's limit; JPEG's is 65 500 and AVIF's larger

_PILLOW_FORMATS: Final[dict[ImageFormat, str]] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}
_XMP_COPYRIGHT: Final = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{notice}</rdf:li></rdf:Alt></dc:rights>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="r"?>'
)


@dataclass(frozen=True)
class Outputs:
    """What an image is published as besides the JPEG/PNG optimized image and thumbnail: the modern
    `formats` (each variant in each), and the narrower `widths` of the optimized image (each below
    the optimized image's own width is made, never one above: nothing is upscaled)."""

    formats: tuple[ImageFormat, ...] = DEFAULT_FORMATS
    widths: tuple[int, ...] = DEFAULT_SRCSET_WIDTHS

    def __post_init__(self) -> None:
        for name in self.formats:
            if name not in MODERN_FORMATS:
                raise ValueError(f"Outputs.formats: {name!r} is not one of {', '.join(MODERN_FORMATS)}")
        if len(set(self.formats)) != len(self.formats):
            raise ValueError(f"Outputs.formats names a format twice: {', '.join(self.formats)}")
        for width in self.widths:
            if not isinstance(width, int) or isinstance(width, bool) or not 16 <= width <= _MAX_SIDE:
                raise ValueError(f"Outputs.widths: each must be an int in 16..{_MAX_SIDE}, not {width!r}")
        if len(set(self.widths)) != len(self.widths) or len(self.widths) > MAX_SRCSET_WIDTHS:
            raise ValueError(f"Outputs.widths: at most {MAX_SRCSET_WIDTHS} different widths, not {list(self.widths)}")


@dataclass(frozen=True)
class Variant:
    """One encoded output image, ready to store."""

    data: bytes
    format: str  # Pillow's name: "JPEG", "PNG", "WEBP" or "AVIF"
    content_type: str  # "image/jpeg", …
    extension: str  # "jpg", "png", "webp" or "avif"
    width: int
    height: int
    name: str = "optimized"  # which variant it is (handlers.contract.VARIANTS)
    narrower: bool = False  # one of the optimized image's narrower widths (for srcset)

    @property
    def image_format(self) -> ImageFormat:
        return cast("ImageFormat", self.format.lower())


def notice_metadata(notice: str | None) -> dict[str, Any]:
    """The save options that write the copyright `notice` (None: nothing) into a JPEG, WebP or
    AVIF file: XMP ``dc:rights``, and EXIF Copyright when the notice is ASCII (EXIF's type)."""
    if not notice:
        return {}
    options: dict[str, Any] = {"xmp": _XMP_COPYRIGHT.format(notice=escape(notice)).encode()}
    if notice.isascii():
        exif = Image.Exif()
        exif[EXIF_COPYRIGHT] = notice
        options["exif"] = exif.tobytes()
    return options


def encode(im: Image.Image, image_format: ImageFormat, notice: str | None = None, **variant: Any) -> Variant:
    """``im`` (L, LA, RGB, RGBA, or the YCbCr :func:`~.enhancement.sharpen_for_jpeg` makes) as
    ``image_format``, with the copyright `notice` if given and no other metadata; ``variant`` are
    the :class:`Variant`'s name and narrower flag."""
    im.info = {}  # Pillow falls back to im.info for some metadata (PNG ICC, JPEG comment)
    pillow_format = _PILLOW_FORMATS[image_format]
    metadata = notice_metadata(notice)
    if image_format == "png":
        if "xmp" in metadata:  # PNG carries XMP in an iTXt chunk (EXIF in eXIf, as Pillow writes it)
            metadata["pnginfo"] = _xmp_chunk(metadata.pop("xmp"))
        data = encode_png(im, PNG_COMPRESS_LEVEL, **metadata)
    else:
        out = io.BytesIO()
        if image_format == "jpeg":
            # Colour: 4:2:0 chroma, libjpeg's default, named since sharpen_for_jpeg relies on it.
            chroma = {} if im.mode == "L" else {"subsampling": "4:2:0"}
            im.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True, **chroma, **metadata)
        else:
            colour = im.convert("RGBA" if im.mode in ("LA", "RGBA") else "RGB") if im.mode != "RGBA" else im
            if image_format == "webp":
                colour.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD, **metadata)
            else:
                colour.save(out, "AVIF", quality=AVIF_QUALITY, speed=AVIF_SPEED, **metadata)
        data = out.getvalue()
    return Variant(
        data, pillow_format, f"image/{image_format}", EXTENSIONS[image_format], im.width, im.height, **variant
    )


def _xmp_chunk(xmp: bytes) -> Any:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode())
    return info
