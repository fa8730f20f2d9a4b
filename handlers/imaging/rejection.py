"""Why a file is refused: :class:`ImageRejected`, its stable codes, and the wording of amounts.

The reason is what the uploader reads in their record and mail, so it names the problem in
their terms ("a PDF document, not a JPEG or PNG", "31.2 MB is over the 25 MB limit"); the code
is short and stable, for metrics, tests and anything that branches on the kind of rejection.
"""

from __future__ import annotations

import re
from typing import Final

from handlers.contract import REJECTION_CODES, RejectionCode


class ImageRejected(Exception):
    """The file is not an image the pipeline accepts.

    ``reason`` is a sentence a person can act on; ``code`` is short and stable, one of the
    contract's rejection codes: ``empty``, ``unsupported-format``, ``too-large``, ``too-many-pixels``,
    ``truncated``, ``corrupt``.
    """

    reason: str
    code: RejectionCode

    def __init__(self, reason: str, code: RejectionCode) -> None:
        if code not in REJECTION_CODES:
            raise ValueError(
                f"unknown rejection code {code!r} (reason {reason!r}); expected one of {sorted(REJECTION_CODES)}"
            )
        if not reason:
            raise ValueError("a rejection needs a reason")
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"ImageRejected({self.reason!r}, {self.code!r})"

    def __reduce__(self) -> tuple[type[ImageRejected], tuple[str, RejectionCode]]:
        return (type(self), (self.reason, self.code))


# --------------------------------------------------------------------------------------------
# Wording of amounts

_KIB = 1024
_BYTE_UNITS: Final = ((_KIB**3, "GB"), (_KIB**2, "MB"), (_KIB, "KB"))


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _over(value: int, limit: int, scale: int) -> tuple[str, str]:
    """``value`` and ``limit`` in units of ``scale``, the value shown with enough decimals to exceed the limit."""
    limit_text = _number(limit / scale, 3)
    for decimals in range(1, 7):
        value_text = _number(value / scale, decimals)
        if float(value_text) > float(limit_text):
            return value_text, limit_text
    return _number(value / scale, 9), limit_text


def too_large_reason(size: int, limit: int) -> str:
    """E.g. "31.2 MB is over the 25 MB limit" (MB = 1024² bytes, as the limit is written)."""
    for scale, unit in _BYTE_UNITS:
        if limit >= scale:
            value_text, limit_text = _over(size, limit, scale)
            return f"{value_text} {unit} is over the {limit_text} {unit} limit"
    return f"{size:,} bytes is over the {limit:,}-byte limit"


def too_many_pixels_reason(width: int, height: int, limit: int) -> str:
    """E.g. "10000×10000 = 100 MP is over the 50 MP limit" (MP = a million pixels)."""
    pixels = width * height
    if limit >= 1_000_000:
        value_text, limit_text = _over(pixels, limit, 1_000_000)
        return f"{width}×{height} = {value_text} MP is over the {limit_text} MP limit"
    return f"{width}×{height} = {pixels:,} pixels is over the {limit:,}-pixel limit"


_OBJECT_REPR = re.compile(r"\s*<[^<>]*\bat 0x[0-9a-fA-F]+>")


def short_detail(error: BaseException, limit: int = 80) -> str:
    """A short, deterministic description of a decoder error, for "JPEG data is corrupt (…)"."""
    text = _OBJECT_REPR.sub("", str(error)).strip().rstrip(".")
    text = " ".join(text.split())
    if not text:
        text = type(error).__name__
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
