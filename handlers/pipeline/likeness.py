"""Whether two fingerprints (handlers/imaging/fingerprint.py: 128 bits as 32 hex digits) are of the
same picture, and the bands a lookup finds them by. Standard library only: the stages that compare
or forget fingerprints need no Pillow.

Two fingerprints match when at most `MATCH_BITS` of their 128 bits differ. To find the candidates
without reading every record, a fingerprint is cut into `BANDS` runs of 16 bits (:func:`bands`): two
fingerprints that differ in at most MATCH_BITS bits agree on at least one of MATCH_BITS + 1 bands
(the pigeonhole principle), so a lookup by band misses no match.
"""

from __future__ import annotations

from typing import Final

__all__ = ["BANDS", "MATCH_BITS", "bands", "distance", "matches"]

MATCH_BITS: Final = 7  # at most this many of the 128 bits differ between copies of one picture
BANDS: Final = MATCH_BITS + 1  # 16-bit runs: matching fingerprints share one
HEX_DIGITS: Final = 32


def distance(a: str, b: str) -> int:
    """How many of the 128 bits of fingerprints `a` and `b` differ."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def matches(a: str, b: str) -> bool:
    """Whether `a` and `b` are fingerprints of the same picture."""
    return distance(a, b) <= MATCH_BITS


def bands(fingerprint: str) -> list[str]:
    """The fingerprint cut into BANDS runs of 16 bits, each named by its place: `<i>:<4 hex digits>`.
    Fingerprints that match share at least one band."""
    if len(fingerprint) != HEX_DIGITS:
        raise ValueError(f"a fingerprint is {HEX_DIGITS} hex digits, not {fingerprint!r}")
    step = HEX_DIGITS // BANDS
    return [f"{index}:{fingerprint[index * step : (index + 1) * step]}" for index in range(BANDS)]
