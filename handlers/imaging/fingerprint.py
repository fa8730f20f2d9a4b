"""A photo's perceptual fingerprint, for finding the copies of an image an owner uploads again:
resized, recompressed or lightly brightened, it stays within a few bits; another photo or graphic
is further.

The fingerprint is a difference hash in both directions (128 bits): the image's luminance shrunk to
9×8 and 8×9 pixels, each bit saying whether a pixel is brighter than its right (first 64 bits) or
lower neighbour (last 64) by more than `MARGIN` levels. Brightness and contrast changes, resampling
and JPEG's losses keep those orders; a different picture does not. The margin keeps flat areas
(sky, a graphic's background) at 0 whatever noise a recompression adds, where a plain comparison
would flip at random. Pillow only (no numpy): the shrinking is `reduce` (a box filter) then a BOX
resize, of pixels the caller has decoded anyway.

Two fingerprints match when at most `MATCH_BITS` of their 128 bits differ (:func:`matches`). To
find the candidates without reading every record, a fingerprint is cut into `BANDS` runs of 16
bits (:func:`bands`): two fingerprints that differ in at most MATCH_BITS bits agree on at least one
of MATCH_BITS + 1 bands (the pigeonhole principle), so a lookup by band misses no match.
"""

from __future__ import annotations

from typing import Final

from PIL import Image

__all__ = ["BANDS", "MATCH_BITS", "bands", "distance", "fingerprint", "matches"]

MARGIN: Final = 3  # luminance levels a pixel must exceed its neighbour by to count as brighter
MATCH_BITS: Final = 7  # at most this many of the 128 bits differ between copies of one picture
BANDS: Final = MATCH_BITS + 1  # 16-bit runs: matching fingerprints share one
_SIDE: Final = 8
_WORKING: Final = 64  # reduced by whole factors to about this before the last resize
_HEX_DIGITS: Final = 32


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


def distance(a: str, b: str) -> int:
    """How many of the 128 bits of fingerprints `a` and `b` differ."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def matches(a: str, b: str) -> bool:
    """Whether `a` and `b` are fingerprints of the same picture."""
    return distance(a, b) <= MATCH_BITS


def bands(print_: str) -> list[str]:
    """The fingerprint cut into BANDS runs of 16 bits, each named by its place: `<i>:<4 hex digits>`.
    Fingerprints that match share at least one band."""
    if len(print_) != _HEX_DIGITS:
        raise ValueError(f"a fingerprint is {_HEX_DIGITS} hex digits, not {print_!r}")
    step = _HEX_DIGITS // BANDS
    return [f"{index}:{print_[index * step : (index + 1) * step]}" for index in range(BANDS)]
