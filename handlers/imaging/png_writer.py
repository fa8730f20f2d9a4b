"""PNG encoding with Pillow's row filters and zlib-ng's deflate.

Pillow's wheels deflate with the system's zlib (``libz.so.1``), several times slower than zlib-ng
on the same data, for a file of about the same size (docs/benchmarks.md, "Design figures"). So
Pillow writes the PNG at ``compress_level=0`` (its filters
chosen as at any level, the image data in deflate's stored blocks), and :class:`_Redeflated`
inflates those blocks as they arrive and deflates them again with zlib-ng.

The encoder of the variants (:mod:`handlers.imaging.encoding`) and the kernel benchmark's floor contender use it.
"""

from __future__ import annotations

import io
from typing import IO, Any, cast

from PIL import Image
from zlib_ng import zlib_ng

__all__ = ["encode_png"]


def encode_png(im: Image.Image, level: int, **options: Any) -> bytes:
    """``im`` as PNG: Pillow's encoder picks each row's filter, zlib-ng deflates at ``level``
    (Pillow's own deflate is the system's zlib, several times slower). Whatever ``im.info`` holds
    that Pillow writes (an ICC profile, text) is written too: clear it first for none; `options`
    are Pillow's PNG save options of the other chunks (``pnginfo``, ``exif``)."""
    out = _Redeflated(level)
    im.save(cast(IO[bytes], out), "PNG", compress_level=0, **options)
    return out.getvalue()


class _Redeflated(io.RawIOBase):
    """Where Pillow writes a PNG at ``compress_level=0``: its chunks are kept as they come, but the
    image data, deflate's stored blocks, is deflated again by zlib-ng as it arrives and written as
    one IDAT chunk."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self._pending = bytearray()  # written, not yet a whole chunk
        self._head = bytearray()  # the signature and the chunks before the image data
        self._tail = bytearray()  # the chunks after it
        self._inflater = zlib_ng.decompressobj()
        self._deflater = zlib_ng.compressobj(level, zlib_ng.DEFLATED, 15, 9)
        self._idat: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._pending += data
        if not self._head:
            if len(self._pending) < 8:
                return len(data)
            self._head += self._pending[:8]
            del self._pending[:8]
        while len(self._pending) >= 12:
            length = int.from_bytes(self._pending[:4], "big")
            if len(self._pending) < length + 12:
                break
            if self._pending[4:8] == b"IDAT":
                stored = memoryview(self._pending)[8 : 8 + length]
                self._idat.append(self._deflater.compress(self._inflater.decompress(stored)))
                stored.release()
            else:
                (self._tail if self._idat else self._head).extend(self._pending[: length + 12])
            del self._pending[: length + 12]
        return len(data)

    def getvalue(self) -> bytes:
        if self._pending or not self._inflater.eof:
            raise ValueError("the PNG encoder stopped within its image data")
        deflated = b"".join(self._idat) + self._deflater.flush()
        crc = zlib_ng.crc32(deflated, zlib_ng.crc32(b"IDAT"))
        idat = len(deflated).to_bytes(4, "big") + b"IDAT" + deflated + crc.to_bytes(4, "big")
        return bytes(self._head) + idat + bytes(self._tail)
