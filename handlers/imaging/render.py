"""The enhance stage's pixels: decode once, orient, clean up, and publish two variants.

:func:`render` runs the same checks as :func:`~handlers.imaging.inspect.inspect_image` first
(so it rejects the same files the same way), then:

1. decodes once; a JPEG with shrink-on-load (``Image.draft``): libjpeg scales by 1/2, 1/4 or
   1/8 while decoding, to the smallest scale still at least the optimized size;
2. brings every mode to L, LA, RGB or RGBA (palette, 1-bit, 16-bit scaled to 8 bits, CMYK);
   an alpha channel counts only when some pixel is not fully opaque;
3. downscales to the optimized size (``reduce`` by a whole factor while over 2× too large,
   then BICUBIC; alpha premultiplied);
4. converts from an embedded ICC profile to sRGB (then the profile is dropped);
5. applies the EXIF orientation to the pixels (the outputs carry no tag: they are upright);
6. enhances mildly (:mod:`handlers.imaging.enhance`): JPEG sources (photographs) get
   :func:`auto_level`, and a light :func:`sharpen` (on luminance) of each variant that was
   downscaled. PNG sources (screenshots, diagrams, logos, cut-outs) are only resampled: they
   keep their exact colours, and their hard edges get no sharpening halos;
7. makes the thumbnail from the optimized-size pixels, and encodes both without any metadata:
   transparent → PNG with alpha; everything else → progressive JPEG, quality 82, optimized
   Huffman tables, 4:2:0 chroma.

What it costs, and why it is done this way (``python -m harness bench --only kernel`` measures
it against libvips and naive Pillow):

- shrink-on-load makes a 12 MP JPEG a 3 MP decode; decoding once serves both variants, and the
  thumbnail is made from the optimized pixels (``reduce`` then a short filter);
- BICUBIC, not LANCZOS, for the final resampling: Pillow's LANCZOS costs about 1.4× as much,
  and the two differ by far less than JPEG's own error (PSNR > 50 dB between them on photos and
  diagrams, where quality 82 is ~42 dB); BICUBIC is also what Pillow's ``thumbnail`` uses;
- alpha is premultiplied here (:func:`_resize`), because Pillow, when it does so itself, skips
  the ``reduce`` step: a 1600 px RGBA image went to 256 px through a LANCZOS filter ~38 source
  pixels wide, 3 to 4 times the cost;
- the enhancement is a few lookups and one 3×3 filter of one channel: the tone curve is
  measured on a subsample of the pixels, and sharpening runs on Y only, in the YCbCr the JPEG
  encoder would convert to anyway (its chroma worked out at the half resolution JPEG keeps);
- encoding is kept as it was: progressive JPEG (libjpeg always optimizes the Huffman tables of
  a progressive file, so ``optimize`` is free) costs ~25 ms more at 1600 px than an optimized
  baseline file of about the same size, for a preview while it loads; PNG at zlib level 6:
  levels 1 to 3 save a quarter to a half of the encode but make files 1.1 to 2.8 times larger
  (and Z_RLE, fast and small for logos, makes a photo cut-out 3.5 times larger).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Any, Final

from PIL import Image

from ._pillow import decode_failure, open_image, pillow_guard
from .enhance import auto_level, sharpen_for_jpeg
from .inspect import ImageInfo, Limits, checked_info

__all__ = ["Rendition", "Variant", "VariantSizes", "fit", "render"]

JPEG_QUALITY: Final = 82
PNG_COMPRESS_LEVEL: Final = 6
REDUCING_GAP: Final = 2.0  # reduce() by whole factors while >= 2x too large, then RESAMPLE
RESAMPLE: Final = Image.Resampling.BICUBIC
_MAX_JPEG_SIDE: Final = 65_500

# What to do to stored pixels so they display upright, for EXIF orientations 2..8.
_ORIENT: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class VariantSizes:
    """The long edge, in pixels, of each published variant (never upscaled)."""

    optimized: int = 1600
    thumbnail: int = 256

    def __post_init__(self) -> None:
        for name in ("optimized", "thumbnail"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_JPEG_SIDE:
                raise ValueError(f"VariantSizes.{name} must be an int in 1..{_MAX_JPEG_SIDE}, not {value!r}")


@dataclass(frozen=True)
class Variant:
    """One encoded output image, ready to store."""

    data: bytes
    format: str  # "JPEG" or "PNG"
    content_type: str  # "image/jpeg" or "image/png"
    extension: str  # "jpg" or "png"
    width: int
    height: int


@dataclass(frozen=True)
class Rendition:
    """The two variants the enhance stage publishes for one upload."""

    optimized: Variant
    thumbnail: Variant


def fit(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """``width`` × ``height`` scaled so the long edge is at most ``long_edge``: aspect kept (±1 px,
    rounded), never upscaled, never 0 px."""
    longest = max(width, height)
    if longest <= long_edge:
        return width, height
    scale = long_edge / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def render(data: bytes, limits: Limits = Limits(), sizes: VariantSizes = VariantSizes()) -> Rendition:
    """Decode, orient, enhance and encode the optimized and thumbnail variants of an upload.

    Raises :class:`~handlers.imaging.rejection.ImageRejected` for everything
    :func:`~handlers.imaging.inspect.inspect_image` rejects (same code, same reason), and for
    damage only a full decode finds (``truncated`` / ``corrupt``).
    """
    info = checked_info(data, limits, reduced_decode=False)
    stored_opt = fit(info.width, info.height, sizes.optimized)
    stored_thumb = fit(info.width, info.height, min(sizes.thumbnail, sizes.optimized))
    with pillow_guard(limits.max_pixels):
        im, icc, box = _decode(bytes(data), info, stored_opt)
        im = _publishable(im)
        transparent = im.mode in ("LA", "RGBA") and im.getchannel("A").histogram()[255] < im.width * im.height
        if im.mode in ("LA", "RGBA") and not transparent:
            im = im.convert(im.mode[:-1])  # a fully opaque alpha channel is no transparency
        if im.size != stored_opt or (box is not None and box != (0, 0, *im.size)):
            mode = im.mode
            im = _premultiplied(im)  # rebound at once: the decoded pixels are freed as early as can be
            im = im.resize(stored_opt, RESAMPLE, box=box, reducing_gap=REDUCING_GAP)
            im = _unpremultiplied(im, mode)
        im = _to_srgb(im, icc)
        if info.orientation in _ORIENT:
            im = im.transpose(_ORIENT[info.orientation])
        photo = info.format == "JPEG"  # (never transparent)
        if photo:
            im = auto_level(im)
        downscaled = stored_opt != (info.width, info.height)
        # (sharpened RGB comes back as the YCbCr the JPEG encoder then takes as it is)
        optimized = sharpen_for_jpeg(im) if photo and downscaled else im
        thumb_size = _oriented(stored_thumb, info.orientation)
        if thumb_size != im.size:
            thumb = _resize(im, thumb_size)
            thumb = sharpen_for_jpeg(thumb) if photo else thumb
        else:
            thumb = optimized
        return Rendition(_encode(optimized, transparent), _encode(thumb, transparent))


_PREMULTIPLIED: Final = {"RGBA": "RGBa", "LA": "La"}


def _premultiplied(im: Image.Image) -> Image.Image:
    return im.convert(_PREMULTIPLIED[im.mode]) if im.mode in _PREMULTIPLIED else im


def _unpremultiplied(im: Image.Image, mode: str) -> Image.Image:
    return im.convert(mode) if im.mode != mode else im


def _resize(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """RESAMPLE to ``size``, after ``reduce`` by whole factors while over REDUCING_GAP× too large;
    alpha premultiplied here, since Pillow's own premultiplying path skips the reducing step."""
    resized = _premultiplied(im).resize(size, RESAMPLE, reducing_gap=REDUCING_GAP)
    return _unpremultiplied(resized, im.mode)


def _oriented(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation >= 5 else size


def _decode(
    data: bytes, info: ImageInfo, stored_opt: tuple[int, int]
) -> tuple[Image.Image, bytes | None, tuple[float, float, float, float] | None]:
    """Decode once: (pixels, embedded ICC profile, region of the pixels that is the whole image)."""
    im = open_image(data, info.format)
    box: tuple[float, float, float, float] | None = None
    try:
        icc = im.info.get("icc_profile") or None
        if info.format == "JPEG" and stored_opt != im.size:
            drafted = im.draft(None, stored_opt)  # shrink-on-load, to >= the optimized size
            if drafted is not None:
                left, upper, right, lower = drafted[1]  # the region of the original the draft covers
                box = (float(left), float(upper), float(right), float(lower))
        im.load()
    except MemoryError:
        raise
    except Exception as error:
        raise decode_failure(info.format, error) from error
    return im, icc, box


@functools.cache
def _gray_lut() -> list[int]:
    """16-bit → 8-bit, scaled (v / 257, rounded), not clipped."""
    return [(value * 2 + 257) // 514 for value in range(65536)]


def _publishable(im: Image.Image) -> Image.Image:
    """The decoded image in one of L, LA, RGB, RGBA or CMYK (CMYK waits for its ICC transform)."""
    mode = im.mode
    transparency = im.info.get("transparency")
    if mode in ("RGBA", "LA", "CMYK"):
        return im
    if mode in ("RGB", "L"):
        return im.convert(mode + "A" if mode == "L" else "RGBA") if transparency is not None else im
    if mode == "1":
        return im.convert("LA" if transparency is not None else "L")
    if mode == "P":
        return im.convert("RGBA" if transparency is not None else "RGB")
    if mode in ("PA", "RGBa", "RGBX"):
        return im.convert("RGBA" if mode != "RGBX" else "RGB")
    if mode == "La":
        return im.convert("LA")
    if mode.startswith("I;16") or mode == "I":
        wide = im.convert("I") if mode != "I" else im
        gray = wide.point(_gray_lut(), "L")
        if isinstance(transparency, int) and 0 <= transparency <= 0xFFFF:
            alpha_lut = [255] * 65536
            alpha_lut[transparency] = 0
            return Image.merge("LA", (gray, wide.point(alpha_lut, "L")))
        return gray
    return im.convert("RGB")


@functools.cache
def _srgb_profile() -> Any:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert from the embedded ICC profile to sRGB; CMYK always ends as RGB.

    A profile that cannot be used (malformed, or for another colour space than the pixels') is
    ignored: the pixels are taken as sRGB, as a browser would.
    """
    if icc:
        from PIL import ImageCms

        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if im.mode in ("RGB", "RGBA", "CMYK"):
                # CMYK needs gamut mapping (perceptual); RGB → sRGB is exact where it can be.
                intent = ImageCms.Intent.PERCEPTUAL if im.mode == "CMYK" else ImageCms.Intent.RELATIVE_COLORIMETRIC
                out_mode = "RGB" if im.mode == "CMYK" else im.mode
                converted = ImageCms.profileToProfile(
                    im, source, _srgb_profile(), renderingIntent=intent, outputMode=out_mode
                )
                assert converted is not None
                return converted
            if im.mode in ("L", "LA"):
                gray = im.getchannel("L")
                as_rgb = ImageCms.profileToProfile(
                    gray,
                    source,
                    _srgb_profile(),
                    renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                    outputMode="RGB",
                )
                assert as_rgb is not None
                gray = as_rgb.convert("L")
                return gray if im.mode == "L" else Image.merge("LA", (gray, im.getchannel("A")))
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    return im.convert("RGB") if im.mode == "CMYK" else im


def _encode(im: Image.Image, transparent: bool) -> Variant:
    """Encode without metadata: no EXIF, XMP, comments, text chunks or ICC profile."""
    im.info = {}  # Pillow falls back to im.info for some of these (PNG ICC, JPEG comment)
    out = io.BytesIO()
    if transparent:
        im.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        return Variant(out.getvalue(), "PNG", "image/png", "png", im.width, im.height)
    # Colour: 4:2:0 chroma, libjpeg's default, named since sharpen_for_jpeg relies on it.
    chroma = {} if im.mode == "L" else {"subsampling": "4:2:0"}
    im.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True, **chroma)
    return Variant(out.getvalue(), "JPEG", "image/jpeg", "jpg", im.width, im.height)
