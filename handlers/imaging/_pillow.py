"""The one place that talks to Pillow's decoders: opening, guarding, and translating its errors.

- :func:`pillow_guard` makes *our* pixel limit the rule: Pillow's DecompressionBombWarning is
  silenced (and its own limit raised for the duration when a caller's limit is above it), and
  Pillow's UserWarnings about malformed metadata do not leak out.
- :func:`open_image` opens JPEG or PNG only (so Pillow never imports its other plugins).
- :func:`decode_failure` turns whatever a decoder raised into an :class:`ImageRejected`.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from .rejection import ImageRejected, short_detail
from .structure import corrupt, truncated

_LIMIT_LOCK = threading.Lock()


@contextmanager
def pillow_guard(max_pixels: int) -> Iterator[None]:
    """Run Pillow under our pixel limit: no DecompressionBombWarning/Error of its own."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data", "malformed MPO", …
        pillow_limit = Image.MAX_IMAGE_PIXELS
        if pillow_limit is None or max_pixels <= pillow_limit:
            yield
            return
        # Our limit is above Pillow's: lift Pillow's for this call (rare; serialised).
        with _LIMIT_LOCK:
            saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = max_pixels
            try:
                yield
            finally:
                Image.MAX_IMAGE_PIXELS = saved


def open_image(data: bytes | BinaryIO, fmt: str) -> Image.Image:
    """Pillow's header parse of ``data`` (the file's bytes, or a file) as ``fmt`` ("JPEG" or
    "PNG"); raises ImageRejected."""
    from PIL import JpegImagePlugin, PngImagePlugin  # noqa: F401  (registers just these two)

    try:
        return Image.open(io.BytesIO(data) if isinstance(data, bytes) else data, formats=[fmt])
    except MemoryError:
        raise
    except Exception as error:  # Pillow raises many kinds here; all mean "not readable"
        raise decode_failure(fmt, error) from error


def decode_failure(fmt: str, error: BaseException) -> ImageRejected:
    """The rejection for an exception raised while Pillow parsed or decoded ``fmt`` data."""
    if isinstance(error, ImageRejected):
        return error
    if isinstance(error, Image.DecompressionBombError):
        return ImageRejected(f"{fmt} image is too large to decode safely", "too-many-pixels")
    if isinstance(error, EOFError) or (isinstance(error, OSError) and "truncated" in str(error)):
        return truncated(fmt)
    if isinstance(error, UnidentifiedImageError):
        return corrupt(fmt, "the header cannot be read")
    return corrupt(fmt, short_detail(error))
