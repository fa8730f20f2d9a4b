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
6. enhances mildly (:mod:`handlers.imaging.enhancement`): JPEG sources (photographs) get
   :func:`auto_level`, and a light :func:`sharpen` (on luminance) of each variant that was
   downscaled. PNG sources (screenshots, diagrams, logos, cut-outs) are only resampled: they
   keep their exact colours, and their hard edges get no sharpening halos;
7. makes the thumbnail from the optimized-size pixels, and the optimized image's narrower widths
   (each sharpened as the optimized image is), and encodes each (:mod:`.encoding`): transparent →
   PNG with alpha; everything else → progressive JPEG, quality 82, optimized Huffman tables, 4:2:0
   chroma; and each in the stack's modern formats (WebP, AVIF). No metadata but the copyright
   notice, when there is one.

What it costs, and why it is done this way (``python -m harness bench --only kernel`` measures
it against libvips and naive Pillow):

- shrink-on-load makes a 12 MP JPEG a 3 MP decode; decoding once serves both variants, and the
  thumbnail is made from the optimized pixels (``reduce`` then a short filter);
- BICUBIC, not LANCZOS, for the final resampling: Pillow's LANCZOS costs more, and the two
  differ by far less than JPEG's own error; BICUBIC is also what Pillow's ``thumbnail`` uses;
- alpha is premultiplied here (:func:`_resize`), because Pillow, when it does so itself, skips
  the ``reduce`` step, and a 1600 px RGBA image then goes to 256 px through a filter dozens of
  source pixels wide. The downscaled pixels stay premultiplied until the thumbnail is made from
  them (unless an ICC profile has to convert them first): one conversion of the 1600 px image
  fewer, the thumbnail within 3 levels of one made from the straight pixels. Transparency is
  found with the least alpha (a min/max pass over A) rather than A's histogram, which is slower;
- PNG goes through zlib-ng, both ways, since Pillow's wheels do not bundle zlib: they load the
  system's ``libz.so.1`` (1.2.13 on the bench machine, Amazon Linux's on Lambda), whose inflate
  and deflate are several times slower. To decode, Pillow reads the file through
  :func:`~handlers.imaging.structure.stored_png`: zlib-ng inflates the image data once (the very
  zlib calls of ingest's integrity check, so the same rejections) and Pillow's zlib only copies
  stored blocks, which takes a third off check and decode together. Pillow's decode alone does
  not find what the check finds: it accepts a stream that ends before the last row, and it
  skips the CRC of the image data;
- the enhancement is a few lookups and one 3×3 filter of one channel: the tone curve is
  measured on a subsample of the pixels, and sharpening runs on Y only, in the YCbCr the JPEG
  encoder would convert to anyway (its chroma worked out at the half resolution JPEG keeps);
- encoding is kept as it was: progressive JPEG (libjpeg always optimizes the Huffman tables of
  a progressive file, so ``optimize`` is free) costs a little more than an optimized baseline
  file of about the same size, for a preview while it loads; PNG with Pillow's choice
  of filter for each row and deflate level 6, but the deflating is zlib-ng's (:mod:`.png_writer`:
  Pillow writes stored blocks, zlib-ng deflates them again as they come). Same pixels and row
  filters, files of about the size of Pillow's own level 6. Of what is left, Pillow's filter
  selection is most, so lower levels would save little (and make files much larger); Z_RLE,
  fast and a little smaller for logos, makes a photo cut-out much larger.

The figures behind each choice: docs/benchmarks.md, "Design figures".
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Any, Final, cast

from PIL import Image

from handlers.contract import ImageFormat

from ._pillow import decode_failure, open_image, pillow_guard
from .encoding import Outputs, Variant, encode
from .enhancement import auto_level, sharpen_for_jpeg
from .fingerprint import fingerprint
from .inspect import ImageInfo, Limits, render_checks
from .rejection import ImageRejected
from .structure import STORED_MAX, PngLayout, check_image_data, stored_png

__all__ = ["Rendition", "VariantSizes", "fit", "render"]

REDUCING_GAP: Final = 2.0  # reduce() by whole factors while >= 2x too large, then RESAMPLE
RESAMPLE: Final = Image.Resampling.BICUBIC
_MAX_JPEG_SIDE: Final = 65_500
NARROWER_SHARE: Final = 0.8  # a narrower width is made when at most this share of the optimized one

# What to do to stored pixels so they display upright, for EXIF orientations 2..8.
UPRIGHT: Final[dict[int, Image.Transpose]] = {
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
class Rendition:
    """What the enhance stage publishes for one upload: the optimized image and the thumbnail as
    JPEG/PNG, and `more` (the same in the modern formats, and the optimized image's narrower
    widths in every format)."""

    optimized: Variant
    thumbnail: Variant
    more: tuple[Variant, ...] = ()
    fingerprint: str = ""  # of the upright pixels (handlers/imaging/fingerprint.py)

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Every variant: the optimized image (each width, widest first), then the thumbnail."""
        ranked = sorted((self.optimized, self.thumbnail, *self.more), key=lambda v: (v.name != "optimized", -v.width))
        return tuple(ranked)


def fit(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """``width`` × ``height`` scaled so the long edge is at most ``long_edge``: aspect kept (±1 px,
    rounded), never upscaled, never 0 px."""
    longest = max(width, height)
    if longest <= long_edge:
        return width, height
    scale = long_edge / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def render(
    data: bytes,
    limits: Limits = Limits(),
    sizes: VariantSizes = VariantSizes(),
    outputs: Outputs = Outputs(),
    notice: str | None = None,
) -> Rendition:
    """Decode, orient, enhance and encode the optimized and thumbnail variants of an upload, as
    `outputs` says, with the copyright `notice` in each (None: no metadata at all).

    Raises :class:`~handlers.imaging.rejection.ImageRejected` for everything
    :func:`~handlers.imaging.inspect.inspect_image` rejects (same code, same reason), and for
    damage only a full decode finds (``truncated`` / ``corrupt``).
    """
    info, png = render_checks(data, limits)
    stored_opt = fit(info.width, info.height, sizes.optimized)
    stored_thumb = fit(info.width, info.height, min(sizes.thumbnail, sizes.optimized))
    with pillow_guard(limits.max_pixels):
        im, icc, box = _decode(bytes(data), info, stored_opt, png)
        im = _publishable(im)
        transparent = im.mode in ("LA", "RGBA") and _lowest_alpha(im) < 255
        if im.mode in ("LA", "RGBA") and not transparent:
            im = im.convert(im.mode[:-1])  # a fully opaque alpha channel is no transparency
        if im.size != stored_opt or (box is not None and box != (0, 0, *im.size)):
            im = _premultiplied(im)  # rebound at once: the decoded pixels are freed as early as can be
            im = im.resize(stored_opt, RESAMPLE, box=box, reducing_gap=REDUCING_GAP)
            if icc:
                im = _unpremultiplied(im)  # a profile converts straight colours
        # Otherwise alpha stays premultiplied (RGBa, La) through the orientation, and the thumbnail
        # is made from those pixels as they are: one conversion fewer.
        im = _to_srgb(im, icc)
        if info.orientation in UPRIGHT:
            im = im.transpose(UPRIGHT[info.orientation])
        photo = info.format == "JPEG"  # (never transparent)
        if photo:
            im = auto_level(im)
        downscaled = stored_opt != (info.width, info.height)
        thumb_size = _oriented(stored_thumb, info.orientation)
        thumb = _resize(im, thumb_size) if thumb_size != im.size else None
        im = _unpremultiplied(im)
        print_ = fingerprint(im)  # of the upright pixels, for the duplicates' lookup
        # (sharpened RGB comes back as the YCbCr the JPEG encoder then takes as it is)
        optimized = sharpen_for_jpeg(im) if photo and downscaled else im
        if thumb is None:
            thumb = optimized
        elif photo:
            thumb = sharpen_for_jpeg(thumb)
        narrower = [_resize(im, size) for size in _narrower(im.size, outputs.widths)]
        if photo:
            narrower = [sharpen_for_jpeg(pixels) for pixels in narrower]
        return _encoded(optimized, thumb, narrower, Encoding(transparent, outputs.formats, notice), print_)


def _narrower(size: tuple[int, int], widths: tuple[int, ...]) -> list[tuple[int, int]]:
    """The sizes of the optimized image's narrower widths, widest first: each width at most
    NARROWER_SHARE of its own (a width just below it would cost bytes and save a browser none)."""
    width, height = size
    return [(w, max(1, round(height * w / width))) for w in sorted(widths, reverse=True) if w <= width * NARROWER_SHARE]


@dataclass(frozen=True)
class Encoding:
    """How the pixels of one upload are encoded: JPEG (PNG when `transparent`) and `formats`, each
    with the copyright `notice` if there is one."""

    transparent: bool
    formats: tuple[ImageFormat, ...]
    notice: str | None

    def each(self, pixels: Image.Image, **variant: Any) -> list[Variant]:
        base: ImageFormat = "png" if self.transparent else "jpeg"
        return [encode(pixels, name, self.notice, **variant) for name in (base, *self.formats)]


def _encoded(
    optimized: Image.Image, thumb: Image.Image, narrower: list[Image.Image], encoding: Encoding, print_: str
) -> Rendition:
    best, *other_optimized = encoding.each(optimized)
    smallest, *other_thumbnails = encoding.each(thumb, name="thumbnail")
    widths = [variant for pixels in narrower for variant in encoding.each(pixels, narrower=True)]
    return Rendition(best, smallest, (*other_optimized, *widths, *other_thumbnails), print_)


def _lowest_alpha(im: Image.Image) -> int:
    """The alpha of the least opaque pixel (a min/max pass over A: half the cost of a histogram)."""
    lowest, _ = cast(tuple[int, int], im.getchannel("A").getextrema())
    return lowest


_PREMULTIPLIED: Final = {"RGBA": "RGBa", "LA": "La"}
_STRAIGHT: Final = {"RGBa": "RGBA", "La": "LA"}


def _premultiplied(im: Image.Image) -> Image.Image:
    return im.convert(_PREMULTIPLIED[im.mode]) if im.mode in _PREMULTIPLIED else im


def _unpremultiplied(im: Image.Image) -> Image.Image:
    return im.convert(_STRAIGHT[im.mode]) if im.mode in _STRAIGHT else im


def _resize(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """RESAMPLE to ``size``, after ``reduce`` by whole factors while over REDUCING_GAP× too large;
    alpha premultiplied here (unless it already is), since Pillow's own premultiplying path skips
    the reducing step; the result has straight alpha."""
    return _unpremultiplied(_premultiplied(im).resize(size, RESAMPLE, reducing_gap=REDUCING_GAP))


def _oriented(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation >= 5 else size


def _decode(
    data: bytes, info: ImageInfo, stored_opt: tuple[int, int], png: PngLayout | None
) -> tuple[Image.Image, bytes | None, tuple[float, float, float, float] | None]:
    """Decode once: (pixels, embedded ICC profile, region of the pixels that is the whole image).

    A PNG is read through :func:`stored_png`: its image data inflated by zlib-ng (which also makes
    the integrity check ingest makes) and handed to Pillow uncompressed.
    """
    if png is not None and png.header.raw_size > STORED_MAX:  # (only under a pixel limit far above 50 MP)
        check_image_data(data, png)
        png = None
    source = stored_png(data, png) if png is not None else data
    im = open_image(source, info.format)
    box: tuple[float, float, float, float] | None = None
    try:
        icc = im.info.get("icc_profile") or None
        if info.format == "JPEG" and stored_opt != im.size:
            drafted = im.draft(None, stored_opt)  # shrink-on-load, to >= the optimized size
            if drafted is not None:
                left, upper, right, lower = drafted[1]  # the region of the original the draft covers
                box = (float(left), float(upper), float(right), float(lower))
        im.load()
        if not isinstance(source, bytes):
            source.read()  # the rest (normally only the trailer): the check always runs to its end
    except MemoryError:
        raise
    except Exception as error:
        if png is not None and not isinstance(error, ImageRejected):
            check_image_data(data, png)  # a damaged stream is rejected as ingest rejects it
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
