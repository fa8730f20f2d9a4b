"""The mild enhancement of the enhance stage: "cleaned up, not edited".

- :func:`auto_level`: one tone curve applied to all channels alike (so hues and the order of
  tones are kept) that stretches only into headroom the histogram leaves:

  * the black point moves to the darkest 0.2 % of any channel, but never above level 16, and
    the white point to the lightest 0.2 %, but never below level 239 (a gain of at most 1.15);
  * a gamma then puts the median luminance back where it was, so mid-tones keep their
    brightness and only shadows and highlights gain depth (gamma kept within 0.8..1.25);
  * an image that already spans the range (well exposed) is left as it is; a flat one
    (luminance spread under 32 levels: a solid colour, deliberate fog) is left alone entirely.

- :func:`sharpen`: a light unsharp mask, for pixels that were just downscaled.

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

__all__ = ["CLIP", "MAX_SHIFT", "MIN_SPREAD", "Levels", "auto_level", "levels", "sharpen"]

CLIP: Final = 0.002  # fraction of pixels that may clip at each end
MAX_SHIFT: Final = 16  # levels the black (white) point may move at most
MIN_SPREAD: Final = 32  # an image with less tonal range than this is flat by design: untouched
GAMMA_RANGE: Final = (0.8, 1.25)

# A 3×3 unsharp mask: the pixel plus 0.375 × (pixel − a weighted mean of its 8 neighbours).
# About what UnsharpMask(radius=1, percent=40) does, at half the cost.
_SHARPEN: Final = ImageFilter.Kernel((3, 3), (-1, -2, -1, -2, 44, -2, -1, -2, -1), scale=32)


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


def auto_level(im: Image.Image) -> Image.Image:
    """Stretch ``im`` (L or RGB) gently into the headroom its histogram leaves (see module doc)."""
    curve = levels(im)
    if curve.is_identity:
        return im
    return im.point(curve.table() * len(im.getbands()))


def sharpen(im: Image.Image) -> Image.Image:
    """A light unsharp mask (3×3, amount 0.375) for L or RGB pixels that were just downscaled."""
    return im.filter(_SHARPEN)
