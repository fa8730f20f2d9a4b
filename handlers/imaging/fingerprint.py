"""A photo's perceptual fingerprint, for finding the copies of an image an owner uploads again:
resized, recompressed or lightly brightened, it stays within a few bits; another photo or graphic
is further (how two are compared: handlers/pipeline/likeness.py).

The fingerprint is a difference hash in both directions (128 bits): the image's luminance shrunk to
9×8 and 8×9 pixels, each bit saying whether a pixel is brighter than its right (first 64 bits) or
lower neighbour (last 64) by more than `MARGIN` levels. Brightness and contrast changes, resampling
and JPEG's losses keep those orders; a different picture does not. The margin keeps flat areas
(sky, a graphic's background) at 0 whatever noise a recompression adds, where a plain comparison
would flip at random. Pillow only (no numpy): the shrinking is `reduce` (a box filter) then a BOX
resize, of pixels the caller has decoded anyway.
"""

from __future__ import annotations

from typing import Final

from PIL import Image

__all__ = ["fingerprint"]

MARGIN: Final = 3  # luminance levels a pixel must exceed its neighbour by to count as brighter
_SIDE: Final = 8
_WORKING: Final = 64  # reduced by whole factors to about this before the last resize


def fingerprint(im: Image.Image) -> str:
    """`im`'s fingerprint as 32 hex digits (the horizontal half, then the vertical one)."""
    gray = im.convert("L") if im.mode != "L" else im
    factor = max(1, min(gray.width, gray.height) // _WORKING)
    if factor > 1:
        gray = gray.reduce(factor)
    wide = gray.resize((_SIDE + 1, _SIDE), Image.Resampling.BOX)
    tall = gray.resize((_SIDE, _SIDE + 1), Image.Resampling.BOX)
    return f"{_bits(wide, 1, 0):016x}{_bits(tall, 0, 1):016x}"


def _bits(small: Image.Image, dx: int, dy: int) -> int:
    """One bit per pixel of the 8×8 grid: brighter than its neighbour (`dx`, `dy`) away by MARGIN."""
    pixels = [int(value) for value in small.get_flattened_data()]  # type: ignore[arg-type]
    width = small.width
    value = 0
    for y in range(_SIDE):
        for x in range(_SIDE):
            here, there = pixels[y * width + x], pixels[(y + dy) * width + x + dx]
            value = value << 1 | (1 if here > there + MARGIN else 0)
    return value
