"""Container-level checks for JPEG and PNG that decode no pixels.

These give the stored size straight from the header (so the pixel limit is applied before any
decoder allocates memory) and find truncation and damage cheaply:

- PNG (:func:`png_header`, :func:`check_png`): the IHDR fields; every chunk's length, type and
  CRC up to ``IEND``; the image data (IDAT) runs back to back; and its zlib stream inflated in
  bounded pieces, counted and thrown away, to be sure it holds every row the header promises.
  Inflating is not decoding: no pixel buffer is allocated, no filters are undone.
- JPEG (:func:`jpeg_layout`): the markers from SOI to the first SOS, the frame header (SOFn)
  for size and components, and an EOI marker somewhere after the scan data. The entropy-coded
  data itself is checked by a reduced-scale decode in :mod:`handlers.imaging.inspect`.

The inflating uses zlib-ng (the ``zlib-ng`` package, the same deflate format) rather than
CPython's zlib: it inflates an order of magnitude faster (docs/benchmarks.md, "Design figures"),
and it ships wheels for every runtime and
architecture the stack offers. Ingest inflates and drops (:func:`check_png`); render, which
decodes the pixels anyway, inflates once for both (:func:`stored_png`: the same zlib calls, so
the same rejections, and the rows handed to Pillow in stored deflate blocks, which its own zlib,
the system's, only copies).

Errors are raised as :class:`~handlers.imaging.rejection.ImageRejected` with code ``truncated``
("PNG data is truncated") or ``corrupt`` ("PNG data is corrupt (bad checksum in IDAT chunk)").
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO, Final, NamedTuple, cast

from zlib_ng import zlib_ng

from .rejection import ImageRejected

__all__ = [
    "STORED_MAX",
    "JpegLayout",
    "PngHeader",
    "PngLayout",
    "check_image_data",
    "check_png",
    "corrupt",
    "jpeg_layout",
    "png_header",
    "stored_png",
    "truncated",
]


def truncated(fmt: str) -> ImageRejected:
    return ImageRejected(f"{fmt} data is truncated", "truncated")


def corrupt(fmt: str, detail: str) -> ImageRejected:
    return ImageRejected(f"{fmt} data is corrupt ({detail})", "corrupt")


# --------------------------------------------------------------------------------------------
# PNG

_CHANNELS: Final = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_BIT_DEPTHS: Final = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_ADAM7: Final = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_INFLATE_STEP: Final = 1 << 20  # at most this much inflated data in memory at a time
_FEED_STEP: Final = 1 << 16  # compressed bytes handed to zlib at a time


class PngHeader(NamedTuple):
    """The fields of a PNG's IHDR chunk."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    interlaced: bool

    @property
    def raw_size(self) -> int:
        """Bytes the inflated image data must hold: every row of every pass, with its filter byte."""
        bits = _CHANNELS[self.color_type] * self.bit_depth
        passes = _ADAM7 if self.interlaced else ((0, 0, 1, 1),)
        total = 0
        for x0, y0, dx, dy in passes:
            cols = (self.width - x0 + dx - 1) // dx if self.width > x0 else 0
            rows = (self.height - y0 + dy - 1) // dy if self.height > y0 else 0
            if cols and rows:
                total += rows * (1 + (cols * bits + 7) // 8)
        return total


class PngLayout(NamedTuple):
    """What the chunk walk found besides the header."""

    header: PngHeader
    exif: bytes | None  # the eXIf chunk, wherever it is
    idat: tuple[tuple[int, int], ...] = ()  # (start, end) of each IDAT chunk's data, in order


def png_header(data: bytes) -> PngHeader:
    """Parse and validate IHDR (the first chunk) without looking further."""
    if len(data) < 33:
        raise truncated("PNG")
    length = int.from_bytes(data[8:12], "big")
    if data[12:16] != b"IHDR" or length != 13:
        raise corrupt("PNG", "the first chunk is not a valid IHDR header")
    if zlib_ng.crc32(data[12:29]) != int.from_bytes(data[29:33], "big"):
        raise corrupt("PNG", "bad checksum in IHDR chunk")
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    bit_depth, color_type, compression, filter_method, interlace = data[24:29]
    if bit_depth not in _BIT_DEPTHS.get(color_type, ()):
        raise corrupt("PNG", f"invalid colour type {color_type} with bit depth {bit_depth}")
    if compression != 0 or filter_method != 0 or interlace not in (0, 1):
        raise corrupt("PNG", "unknown compression, filter or interlace method")
    return PngHeader(width, height, bit_depth, color_type, interlace == 1)


def _is_chunk_type(raw: bytes) -> bool:
    return all(65 <= c <= 90 or 97 <= c <= 122 for c in raw)


def check_png(data: bytes, header: PngHeader, *, image_data: bool = True) -> PngLayout:
    """Walk every chunk to IEND (lengths, types, CRCs, IDAT placement), then check the image data.

    ``image_data=False`` leaves the last step to the caller (:func:`check_image_data`, or
    :func:`stored_png`, which runs the same inflate while a decoder reads the pixels).
    """
    view = memoryview(data)
    size = len(data)
    pos = 8
    idat: list[tuple[int, int]] = []
    idat_done = False
    seen_palette = False
    exif: bytes | None = None
    while True:
        if pos + 8 > size:
            raise truncated("PNG")
        length = int.from_bytes(view[pos : pos + 4], "big")
        ctype = bytes(view[pos + 4 : pos + 8])
        if not _is_chunk_type(ctype):
            raise corrupt("PNG", f"invalid chunk at byte {pos}")
        if length > 0x7FFFFFFF:
            raise corrupt("PNG", f"invalid length of {ctype.decode()} chunk")
        end = pos + 8 + length
        if end + 4 > size:
            raise truncated("PNG")
        if zlib_ng.crc32(view[pos + 4 : end]) != int.from_bytes(view[end : end + 4], "big"):
            raise corrupt("PNG", f"bad checksum in {ctype.decode()} chunk")
        if ctype == b"IDAT":
            if idat_done:
                raise corrupt("PNG", "the image data is split by other chunks")
            idat.append((pos + 8, end))
        elif idat:
            idat_done = True
        if ctype == b"IHDR" and pos != 8:
            raise corrupt("PNG", "a second IHDR chunk")
        if ctype == b"PLTE":
            seen_palette = True
        elif ctype == b"eXIf" and exif is None:
            exif = bytes(view[pos + 8 : end])
        elif ctype == b"IEND":
            break
        pos = end + 4
    if not idat:
        raise corrupt("PNG", "no image data")
    if header.color_type == 3 and not seen_palette:
        raise corrupt("PNG", "palette missing")
    layout = PngLayout(header, exif, tuple(idat))
    if image_data:
        check_image_data(data, layout)
    return layout


def check_image_data(data: bytes, layout: PngLayout) -> None:
    """Inflate the IDAT stream in bounded pieces, counted and dropped: it must hold every row."""
    for _ in _inflated(data, layout):
        pass


def _inflated(data: bytes, layout: PngLayout) -> Iterator[bytes]:
    """The IDAT stream inflated, in pieces of at most 1 MiB, until it holds every row the header
    promises (the last piece may run past that); ``truncated`` if it ends before, ``corrupt`` if
    zlib finds it damaged.

    Input is fed in small slices so that zlib's ``unconsumed_tail`` (copied on every call) stays
    small. :func:`check_image_data` and :func:`stored_png` share this, so they make the same zlib
    calls and find exactly the same damage.
    """
    view = memoryview(data)
    expected = layout.header.raw_size
    inflater = zlib_ng.decompressobj()
    produced = 0
    try:
        for start_, end_ in layout.idat:
            part = view[start_:end_]
            for start in range(0, len(part), _FEED_STEP):
                pending: bytes | memoryview = part[start : start + _FEED_STEP]
                while pending and produced < expected and not inflater.eof:
                    out = inflater.decompress(pending, _INFLATE_STEP)
                    produced += len(out)
                    yield out
                    pending = inflater.unconsumed_tail
                if produced >= expected or inflater.eof:
                    break
            if produced >= expected or inflater.eof:
                break
        if produced < expected and not inflater.eof:
            while produced < expected:
                out = inflater.decompress(b"", _INFLATE_STEP)
                if not out:
                    break
                produced += len(out)
                yield out
    except zlib_ng.error as error:  # type: ignore[misc]  # zlib-ng's stub declares `error` an instance, not a class
        raise corrupt("PNG", "bad compressed image data") from error
    if produced < expected:
        raise truncated("PNG")


STORED_MAX: Final = 1 << 30  # the most rows stored_png wraps (an IDAT chunk's length is below 2**31)
_PIECE: Final = 1 << 16  # what Pillow reads at a time (ImageFile.MAXBLOCK): one stored block each
_ZLIB_HEADER: Final = b"\x78\x01"  # deflate, 32 KiB window, no preset dictionary
_IEND: Final = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def stored_png(data: bytes, layout: PngLayout) -> BinaryIO:
    """The PNG in ``data`` (walked by :func:`check_png` with ``image_data=False``) as a file whose
    image data is inflated by zlib-ng while it is read, and handed on uncompressed, in stored
    deflate blocks: a decoder reading it only copies the rows and undoes their filters.

    The file holds the original chunks up to the first IDAT, one IDAT chunk of exactly the rows
    the header promises, and IEND (chunks after the image data are left out; the IDAT's CRC is
    not computed, as decoders skip it). Reading it runs :func:`check_image_data`'s inflate, which
    raises its ``truncated`` or ``corrupt`` from inside ``read``. (Pillow's own inflate is the
    system's zlib, ``libz.so.1``, which its wheels do not bundle: 4 to 20 times slower.)
    """
    if layout.header.raw_size > STORED_MAX:
        raise ValueError(f"stored_png wraps at most {STORED_MAX} bytes of rows")
    return cast(BinaryIO, _StoredPng(data, layout))


def _stored_blocks(size: int) -> Iterator[int]:
    """The sizes of the stored blocks holding ``size`` bytes: each block (with the zlib header in
    the first) makes one piece of :data:`_PIECE` bytes."""
    room = _PIECE - len(_ZLIB_HEADER) - 5
    while size > 0:
        yield min(size, room)
        size -= room
        room = _PIECE - 5


class _StoredPng(io.RawIOBase):
    """See :func:`stored_png`: random access up to the image data, sequential reads after."""

    def __init__(self, data: bytes, layout: PngLayout) -> None:
        super().__init__()
        expected = layout.header.raw_size
        blocks = sum(1 for _ in _stored_blocks(expected))
        stream_size = len(_ZLIB_HEADER) + 5 * blocks + expected + 4  # the last 4: Adler-32
        first = layout.idat[0][0] - 8
        self._head = bytes(data[:first]) + stream_size.to_bytes(4, "big") + b"IDAT"
        self._size = len(self._head) + stream_size + 4 + len(_IEND)
        self._pieces = self._stream(data, layout)
        self._piece = b""
        self._offset = 0  # in self._piece
        self._pos = 0

    @staticmethod
    def _stream(data: bytes, layout: PngLayout) -> Iterator[bytes]:
        """The zlib stream of the rows in stored blocks, then the IDAT's CRC and IEND."""
        expected = layout.header.raw_size
        sizes = _stored_blocks(expected)
        need = next(sizes)
        left = expected - need  # rows not yet in a block
        prefix = _ZLIB_HEADER
        adler = 1
        carry = bytearray()  # the rows of a block that spans two inflated pieces
        done = False
        for piece in _inflated(data, layout):
            view = memoryview(piece)[: need - len(carry) + left]  # nothing past the last row
            adler = zlib_ng.adler32(view, adler)
            while view:
                take = need - len(carry)
                if carry or len(view) < take:
                    carry += view[:take]
                    view = view[take:]
                    if len(carry) < need:
                        continue  # (the piece is used up) the rest of the block is in the next one
                    rows: bytes | bytearray | memoryview = carry
                else:
                    rows, view = view[:take], view[take:]
                header = bytes((0 if left else 1,)) + need.to_bytes(2, "little") + (need ^ 0xFFFF).to_bytes(2, "little")
                yield b"".join((prefix, header, rows))
                prefix, carry = b"", bytearray()
                if not left:
                    done = True
                    break
                need = next(sizes)
                left -= need
            if done:
                break
        yield adler.to_bytes(4, "big") + b"\x00\x00\x00\x00" + _IEND  # Adler-32, the IDAT's (unchecked) CRC, IEND

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset + (self._pos if whence == io.SEEK_CUR else self._size if whence == io.SEEK_END else 0)
        if target != self._pos and (target > len(self._head) or self._pos > len(self._head)):
            raise io.UnsupportedOperation("the image data can only be read in order")
        self._pos = target
        return target

    def read(self, size: int | None = -1) -> bytes:
        want = self._size - self._pos if size is None or size < 0 else min(size, self._size - self._pos)
        out: list[bytes] = []
        if want > 0 and self._pos < len(self._head):
            out.append(self._head[self._pos : self._pos + want])
            self._pos += len(out[-1])
            want -= len(out[-1])
        while want > 0:
            if self._offset >= len(self._piece):
                self._piece = next(self._pieces, b"")
                self._offset = 0
                if not self._piece:
                    break
            chunk = self._piece[self._offset : self._offset + want]
            self._offset += len(chunk)
            self._pos += len(chunk)
            want -= len(chunk)
            out.append(chunk)
        return out[0] if len(out) == 1 else b"".join(out)

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


# --------------------------------------------------------------------------------------------
# JPEG

# Start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
_SOF: Final = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})


class JpegLayout(NamedTuple):
    """What the marker walk found: the frame header and whether the file looks complete."""

    width: int
    height: int
    components: int
    precision: int
    progressive: bool
    complete: bool  # a scan starts and an EOI marker follows it


def jpeg_layout(data: bytes) -> JpegLayout:
    """Walk the markers from SOI to the first scan; find the frame header and the EOI after it.

    Raises only when no frame header can be found (truncated, or not a marker structure);
    a file that is cut after the header comes back with ``complete=False``.
    """
    size = len(data)
    pos = 2
    frame: tuple[int, int, int, int, bool] | None = None
    while True:
        # Skip any junk and fill bytes up to the next marker, as decoders do.
        while pos < size and data[pos] != 0xFF:
            pos += 1
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            if frame is None:
                raise truncated("JPEG")
            return JpegLayout(*frame, complete=False)
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE or marker == 0x00:
            continue
        if marker in (0xD8, 0xD9):
            raise corrupt("JPEG", "no image data before the end marker" if marker == 0xD9 else "a second start marker")
        if pos + 2 > size:
            if frame is None:
                raise truncated("JPEG")
            return JpegLayout(*frame, complete=False)
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            raise corrupt("JPEG", f"invalid segment length at byte {pos}")
        end = pos + length
        if marker in _SOF and frame is None:
            if length < 8:
                raise corrupt("JPEG", "frame header too short")
            if end > size:
                raise truncated("JPEG")
            precision = data[pos + 2]
            height = int.from_bytes(data[pos + 3 : pos + 5], "big")
            width = int.from_bytes(data[pos + 5 : pos + 7], "big")
            frame = (width, height, data[pos + 7], precision, marker in (0xC2, 0xC6, 0xCA, 0xCE))
        elif marker == 0xDA:
            if frame is None:
                raise corrupt("JPEG", "image data before the frame header")
            complete = end <= size and data.find(b"\xff\xd9", end) != -1
            return JpegLayout(*frame, complete=complete)
        if end > size:
            if frame is None:
                raise truncated("JPEG")
            return JpegLayout(*frame, complete=False)
        pos = end
