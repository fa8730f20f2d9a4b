"""The mild enhancement of the enhance stage: "cleaned up, not edited".

- :func:`auto_level`: one tone curve applied to all channels alike (so hues and the order of
  tones are kept) that stretches only into headroom the histogram leaves:

  * the black point moves to the darkest 0.2 % of any channel, but never above level 16, and
    the white point to the lightest 0.2 %, but never below level 239 (a gain of at most 1.15);
  * a gamma then puts the median luminance back where it was, so mid-tones keep their
    brightness and only shadows and highlights gain depth (gamma kept within 0.8..1.25);
  * an image that already spans the range (well exposed) is left as it is; a flat one
    (luminance spread under 32 levels: a solid colour, deliberate fog) is left alone entirely.

  The curve of an image of 1 MP or more is measured on an evenly spaced sample of
  :data:`SAMPLE_PIXELS` to 4 × that many of its pixels (every n-th pixel of every n-th row: a
  subsample, not an average, so the extremes are not smoothed away). The 0.2 % tails and the
  median of a few hundred thousand pixels are those of the whole image within a level (on the
  sample photos of :mod:`harness.samples`, the same curve, or a white point one level off), for
  a quarter of the work or less.

- :func:`sharpen`: a light unsharp mask for pixels that were just downscaled, on luminance only
  (as libvips' ``sharpen`` and most photo tools do): colours do not fringe, and it filters one
  channel instead of three. :func:`sharpen_for_jpeg` returns it in YCbCr, which the JPEG
  encoder takes as it is (JPEG stores YCbCr), with chroma at the resolution JPEG keeps it.

The bounds the tests hold this to (mean absolute difference per channel, 0..255): on a
well-exposed photo the curve is the identity and the enhanced pixels differ from a plain LANCZOS
resize by at most 1.5 levels (the sharpening); the published JPEG differs from the plain resize
by at most 3.5 (re-encoding included); on the slightly dull sample photos of
:mod:`harness.samples`, by at most 6.
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

from PIL import Image, ImageChops, ImageFilter

__all__ = [
    "CLIP",
    "MAX_SHIFT",
    "MIN_SPREAD",
    "SAMPLE_PIXELS",
    "Levels",
    "auto_level",
    "chroma_planes",
    "from_ycbcr",
    "levels",
    "merge_ycbcr",
    "sharpen",
    "sharpen_for_jpeg",
]

CLIP: Final = 0.002  # fraction of pixels that may clip at each end
MAX_SHIFT: Final = 16  # levels the black (white) point may move at most
MIN_SPREAD: Final = 32  # an image with less tonal range than this is flat by design: untouched
GAMMA_RANGE: Final = (0.8, 1.25)
SAMPLE_PIXELS: Final = 250_000  # auto_level measures a 1 MP+ image on a sample of >= this many pixels

# A 3×3 unsharp mask: the pixel plus 0.375 × (pixel − a weighted mean of its 8 neighbours).
# About what UnsharpMask(radius=1, percent=40) does, at half the cost.
_SHARPEN: Final = ImageFilter.Kernel((3, 3), (-1, -2, -1, -2, 44, -2, -1, -2, -1), scale=32)

# JPEG's (JFIF, full-range BT.601) YCbCr, as matrices for Image.convert, which rounds; Pillow's
# own "YCbCr" conversions truncate (half a level darker and off-colour on average, each way).
# Y is convert("L"): the same weights, rounded.
_CB: Final = (-0.168736, -0.331264, 0.5, 128.0)
_CR: Final = (0.5, -0.418688, -0.081312, 128.0)
_TO_RGB: Final = (1.0, 0.0, 1.402, -179.456, 1.0, -0.344136, -0.714136, 135.458816, 1.0, 1.772, 0.0, -226.816)


class Levels(NamedTuple):
    """A tone curve: input ``black`` → 0, ``white`` → 255, with ``gamma`` in between."""

    black: int = 0
    white: int = 255
    gamma: float = 1.0

    @property
    def is_identity(self) -> bool:
        return self.black == 0 and self.white == 255 and self.gamma == 1.0

    def table(self) -> list[int]:
        """The 256-entry lookup table of the curve."""
        span = self.white - self.black
        out = []
        for level in range(256):
            t = min(1.0, max(0.0, (level - self.black) / span))
            out.append(round(255 * t**self.gamma))
        return out


IDENTITY: Final = Levels()


def _low_level(histogram: list[int], clip: int) -> int:
    seen = 0
    for level, count in enumerate(histogram):
        seen += count
        if seen > clip:
            return level
    return 255


def _high_level(histogram: list[int], clip: int) -> int:
    seen = 0
    for level in range(255, -1, -1):
        seen += histogram[level]
        if seen > clip:
            return level
    return 0


def levels(im: Image.Image) -> Levels:
    """The curve :func:`auto_level` applies to ``im`` (L or RGB); identity when nothing to do."""
    if im.mode == "RGB":
        r, g, b = im.split()
        darkest = ImageChops.darker(ImageChops.darker(r, g), b)
        lightest = ImageChops.lighter(ImageChops.lighter(r, g), b)
        luminance = im.convert("L").histogram()
    elif im.mode == "L":
        darkest = lightest = im
        luminance = im.histogram()
    else:
        raise ValueError(f"auto_level works on L or RGB, not {im.mode}")
    clip = int(im.width * im.height * CLIP)
    if _high_level(luminance, clip) - _low_level(luminance, clip) < MIN_SPREAD:
        return IDENTITY
    black = min(_low_level(darkest.histogram(), clip), MAX_SHIFT)
    white = max(_high_level(lightest.histogram(), clip), 255 - MAX_SHIFT)
    if black == 0 and white == 255:
        return IDENTITY
    median = _low_level(luminance, (im.width * im.height) // 2)
    position = (median - black) / (white - black)
    gamma = 1.0
    if 0 < position < 1 and 0 < median < 255:
        gamma = math.log(median / 255) / math.log(position)
        gamma = min(GAMMA_RANGE[1], max(GAMMA_RANGE[0], gamma))
    return Levels(black, white, round(gamma, 4))


def _sample(im: Image.Image) -> Image.Image:
    """Every n-th pixel of every n-th row of ``im``, n chosen for about SAMPLE_PIXELS of them."""
    step = math.isqrt(im.width * im.height // SAMPLE_PIXELS)
    if step < 2:
        return im
    # NEAREST picks one source pixel per output pixel (no averaging): a plain subsample.
    return im.resize((im.width // step, im.height // step), Image.Resampling.NEAREST)


def auto_level(im: Image.Image) -> Image.Image:
    """Stretch ``im`` (L or RGB) gently into the headroom its histogram leaves (see module doc)."""
    curve = levels(_sample(im))
    if curve.is_identity:
        return im
    return im.point(curve.table() * len(im.getbands()))


def from_ycbcr(im: Image.Image) -> Image.Image:
    """``im`` (YCbCr) as RGB, each channel rounded (Pillow's own conversion truncates)."""
    return Image.merge("RGB", im.split()).convert("RGB", _TO_RGB)


def chroma_planes(im: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Cb and Cr of ``im`` (RGB) at half resolution (rounded up): one value per 2×2 block, from
    the block's average colour. That is what a JPEG with 4:2:0 chroma stores (libjpeg averages
    each block's full-resolution chroma, the same within rounding), at a quarter of the
    conversion's cost."""
    half = im.reduce(2)
    return half.convert("L", _CB), half.convert("L", _CR)


def merge_ycbcr(y: Image.Image, cb: Image.Image, cr: Image.Image) -> Image.Image:
    """A YCbCr image of ``y`` with half-resolution ``cb`` and ``cr``, each repeated over its 2×2
    block (the encoder's 4:2:0 averaging then gives each block's value back exactly)."""

    def blocks(plane: Image.Image) -> Image.Image:
        doubled = plane.resize((plane.width * 2, plane.height * 2), Image.Resampling.NEAREST)
        return doubled if doubled.size == y.size else doubled.crop((0, 0, *y.size))

    return Image.merge("YCbCr", (y, blocks(cb), blocks(cr)))


def sharpen_for_jpeg(im: Image.Image) -> Image.Image:
    """:func:`sharpen` as the JPEG encoder wants it: L stays L; RGB comes back as YCbCr (the
    colour space JPEG stores, so the encoder converts nothing) with only Y sharpened and the
    chroma of :func:`chroma_planes`."""
    if im.mode == "L":
        return im.filter(_SHARPEN)
    if im.mode != "RGB":
        raise ValueError(f"sharpen works on L or RGB, not {im.mode}")
    return merge_ycbcr(im.convert("L").filter(_SHARPEN), *chroma_planes(im))


def sharpen(im: Image.Image) -> Image.Image:
    """A light unsharp mask (3×3, amount 0.375) for L or RGB pixels that were just downscaled;
    RGB is sharpened on luminance only. Returns the mode it was given."""
    if im.mode == "RGB":
        luma = im.convert("L").filter(_SHARPEN)
        return from_ycbcr(Image.merge("YCbCr", (luma, im.convert("L", _CB), im.convert("L", _CR))))
    return sharpen_for_jpeg(im)
