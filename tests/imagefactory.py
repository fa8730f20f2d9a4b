"""Builders of test images, valid and broken, in memory (Pillow + stdlib only).

- :func:`encode`, :func:`jpeg`, :func:`png`: a Pillow image to bytes, optionally EXIF-tagged.
- :func:`quadrants`, :func:`stored_for`: an upright image whose four quadrants differ, and the
  pixels a camera would store for a given EXIF orientation (so the tag brings it back upright).
- :func:`raw_png`, :func:`png_bomb`, :func:`jpeg_with_size`: hand-built files, including
  "pixel bombs" whose headers claim huge sizes at a tiny byte cost.
- :func:`camera_exif`, :func:`raw_exif`: EXIF with the dates a camera writes (through Pillow), and
  hand-built EXIF whose date tags hold exactly the bytes given (anything an uploader can put there).
- :func:`soft_cutout`: a photo with a soft-edged transparent surround (noise, gradients, flat alpha).
- :func:`swapped_primaries_icc`: an RGB ICC profile whose red and green are exchanged, to prove
  that a profile is honoured (the tagged red comes out green).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable

from PIL import Image, ImageDraw, ImageFilter, ImageStat

from harness.samples import INVERSE_OF_TAG, photo_jpeg

QUADRANT_COLOURS = {
    "top_left": (230, 30, 30),
    "top_right": (30, 200, 30),
    "bottom_left": (30, 30, 230),
    "bottom_right": (240, 240, 240),
}


def encode(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def exif_with_orientation(orientation: int | None, **tags: object) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x010F] = "imagefactory"  # Make: something to strip
    for key, value in tags.items():
        exif[int(key.removeprefix("tag_"))] = value
    return exif


EXIF_IFD = 0x8769
DATE_TIME = 306  # IFD0: when the file was last changed
DATE_TIME_ORIGINAL, DATE_TIME_DIGITIZED = 36867, 36868  # Exif IFD: taken, digitized
OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED = 36881, 36882


def camera_exif(
    original: str | None = None,
    *,
    offset: str | None = None,
    digitized: str | None = None,
    changed: str | None = None,
    orientation: int | None = None,
) -> Image.Exif:
    """EXIF as a camera writes it: ``DateTimeOriginal`` (with ``OffsetTimeOriginal``),
    ``DateTimeDigitized`` and IFD0's ``DateTime``, each only when given ("2026:05:01 14:03:22")."""
    exif = exif_with_orientation(orientation)
    exif[0x0110] = "Test Camera"  # Model
    if changed is not None:
        exif[DATE_TIME] = changed
    sub = exif.get_ifd(EXIF_IFD)
    for tag, value in (
        (DATE_TIME_ORIGINAL, original),
        (OFFSET_TIME_ORIGINAL, offset),
        (DATE_TIME_DIGITIZED, digitized),
    ):
        if value is not None:
            sub[tag] = value
    return exif


def raw_exif(exif_tags: dict[int, bytes], ifd0_tags: dict[int, bytes] | None = None) -> bytes:
    """Hand-built EXIF (``Exif\0\0`` + a little-endian TIFF): IFD0 with ``ifd0_tags`` and a pointer
    to an Exif IFD with ``exif_tags``; every value an ASCII entry of exactly the bytes given (no NUL
    added, any bytes at all), so a test controls what a reader finds in a date tag."""
    ifd0 = dict(ifd0_tags or {})
    entries_0 = len(ifd0) + 1
    exif_ifd_at = 8 + 2 + 12 * entries_0 + 4
    data_at = exif_ifd_at + 2 + 12 * len(exif_tags) + 4
    data = bytearray()

    def entries(tags: dict[int, bytes], extra: list[tuple[int, int, int, bytes]]) -> bytes:
        rows = list(extra)
        for tag, value in tags.items():
            if len(value) <= 4:
                rows.append((tag, 2, len(value), value.ljust(4, b"\0")))
            else:
                rows.append((tag, 2, len(value), struct.pack("<I", data_at + len(data))))
                data.extend(value)
                if len(data) % 2:
                    data.append(0)  # values start on a word boundary
        rows.sort()
        out = struct.pack("<H", len(rows))
        for tag, kind, count, field in rows:
            out += struct.pack("<HHI", tag, kind, count) + field
        return out + struct.pack("<I", 0)

    first = entries(ifd0, [(EXIF_IFD, 4, 1, struct.pack("<I", exif_ifd_at))])
    second = entries(exif_tags, [])
    return b"Exif\0\0" + b"II*\0" + struct.pack("<I", 8) + first + second + bytes(data)


def jpeg(im: Image.Image, *, orientation: int | None = None, **options: object) -> bytes:
    """``im`` as a JPEG (quality 92 unless given), with an EXIF orientation tag when given."""
    options.setdefault("quality", 92)
    if orientation is not None:
        options["exif"] = exif_with_orientation(orientation)
    return encode(im, "JPEG", **options)


def png(im: Image.Image, *, orientation: int | None = None, **options: object) -> bytes:
    """``im`` as a PNG, with an eXIf chunk carrying the orientation when given."""
    if orientation is not None:
        options["exif"] = exif_with_orientation(orientation)
    return encode(im, "PNG", **options)


def quadrants(width: int, height: int) -> Image.Image:
    """An upright RGB image with four distinctly coloured quadrants (see QUADRANT_COLOURS)."""
    im = Image.new("RGB", (width, height), QUADRANT_COLOURS["bottom_right"])
    half_w, half_h = width // 2, height // 2
    im.paste(QUADRANT_COLOURS["top_left"], (0, 0, half_w, half_h))
    im.paste(QUADRANT_COLOURS["top_right"], (half_w, 0, width, half_h))
    im.paste(QUADRANT_COLOURS["bottom_left"], (0, half_h, half_w, height))
    return im


def bright_corner(width: int, height: int) -> Image.Image:
    """An upright L image: white top-left quadrant, dark elsewhere (survives any mode)."""
    im = Image.new("L", (width, height), 20)
    im.paste(255, (0, 0, max(1, width // 2), max(1, height // 2)))
    return im


def stored_for(upright: Image.Image, orientation: int) -> Image.Image:
    """The pixels to store so that applying EXIF ``orientation`` shows ``upright``."""
    inverse = INVERSE_OF_TAG.get(orientation)
    return upright if inverse is None else upright.transpose(inverse)


def quadrant_means(im: Image.Image) -> dict[str, tuple[float, ...]]:
    """Mean colour of the inner part of each quadrant (edges excluded: resampling blurs them)."""
    im = im.convert("RGB")
    w, h = im.size
    boxes = {
        "top_left": (0, 0, w // 2, h // 2),
        "top_right": (w // 2, 0, w, h // 2),
        "bottom_left": (0, h // 2, w // 2, h),
        "bottom_right": (w // 2, h // 2, w, h),
    }
    means = {}
    for name, (x0, y0, x1, y1) in boxes.items():
        mx, my = (x1 - x0) // 4, (y1 - y0) // 4
        region = im.crop((x0 + mx, y0 + my, max(x0 + mx + 1, x1 - mx), max(y0 + my + 1, y1 - my)))
        means[name] = tuple(ImageStat.Stat(region).mean)
    return means


def nearest_quadrant_colour(mean: tuple[float, ...]) -> str:
    return min(
        QUADRANT_COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(QUADRANT_COLOURS[name], mean, strict=True))
    )


def to_mode(im: Image.Image, mode: str) -> Image.Image:
    """``im`` (RGB or L) in any mode the pipeline must handle, 16-bit included."""
    if mode == "I;16":
        return im.convert("L").convert("I").point(lambda v: v * 257).convert("I;16")
    if mode == "1":
        return im.convert("L").convert("1", dither=Image.Dither.NONE)
    if mode == "P":
        return im.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return im.convert(mode)


# --------------------------------------------------------------------------------------------
# Hand-built PNG


def png_chunk(ctype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def zero_rows(width: int, height: int, *, bit_depth: int = 8, color_type: int = 0, interlaced: bool = False) -> bytes:
    """The filtered scanlines of an all-zero image (filter byte 0 on every row, every pass)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    passes = _ADAM7 if interlaced else ((0, 0, 1, 1),)
    out = bytearray()
    for x0, y0, dx, dy in passes:
        cols = len(range(x0, width, dx))
        count = len(range(y0, height, dy))
        if cols and count:
            out += bytes(1 + (cols * channels * bit_depth + 7) // 8) * count
    return bytes(out)


def raw_png(
    width: int,
    height: int,
    *,
    bit_depth: int = 8,
    color_type: int = 0,
    interlaced: bool = False,
    rows: bytes | None = None,
    idat: bytes | None = None,
    extra: Iterable[tuple[bytes, bytes]] = (),
    trailing: Iterable[tuple[bytes, bytes]] = (),
    level: int = 9,
) -> bytes:
    """A PNG from parts: ``rows`` (filtered scanlines; zeros by default) or a ready ``idat``
    payload; ``extra`` chunks go before the image data, ``trailing`` ones after it."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, int(interlaced))
    if idat is None:
        if rows is None and not interlaced and height > 1000:
            # Stream the rows of a tall image rather than building them all in memory.
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
            row_bytes = 1 + (width * channels * bit_depth + 7) // 8
            per_block = max(1, (1 << 20) // row_bytes)
            compressor = zlib.compressobj(level)
            parts = [
                compressor.compress(bytes(row_bytes * min(per_block, height - start)))
                for start in range(0, height, per_block)
            ]
            idat = b"".join(parts) + compressor.flush()
        else:
            if rows is None:
                rows = zero_rows(width, height, bit_depth=bit_depth, color_type=color_type, interlaced=interlaced)
            idat = zlib.compress(rows, level)
    body = png_chunk(b"IHDR", ihdr)
    for ctype, payload in extra:
        body += png_chunk(ctype, payload)
    body += png_chunk(b"IDAT", idat)
    for ctype, payload in trailing:
        body += png_chunk(ctype, payload)
    return b"\x89PNG\r\n\x1a\n" + body + png_chunk(b"IEND", b"")


def png_bomb(width: int = 10_000, height: int = 10_000) -> bytes:
    """A valid 1-bit grayscale PNG of ``width`` × ``height`` zeros: tens of KB claiming 100 MP."""
    return raw_png(width, height, bit_depth=1, color_type=0)


def png_chunks(data: bytes) -> list[tuple[int, bytes, int]]:
    """(offset, type, length) of each chunk of a well-formed PNG."""
    out = []
    pos = 8
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        ctype = data[pos + 4 : pos + 8]
        out.append((pos, ctype, length))
        pos += 12 + length
        if ctype == b"IEND":
            break
    return out


# --------------------------------------------------------------------------------------------
# JPEG surgery


def jpeg_with_size(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header is rewritten to claim ``width`` × ``height``."""
    data = bytearray(jpeg(Image.new("RGB", (16, 16), (90, 120, 200))))
    pos = sof_offset(bytes(data))
    data[pos + 5 : pos + 7] = height.to_bytes(2, "big")
    data[pos + 7 : pos + 9] = width.to_bytes(2, "big")
    return bytes(data)


def sof_offset(data: bytes) -> int:
    """Offset of the first SOFn marker (0xFF byte) in a JPEG."""
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        if marker in (0xC0, 0xC1, 0xC2):
            return pos
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    raise AssertionError("no SOF marker")


def sos_offset(data: bytes) -> int:
    """Offset of the first SOS marker in a JPEG."""
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF
        if data[pos + 1] == 0xDA:
            return pos
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    raise AssertionError("no SOS marker")


# --------------------------------------------------------------------------------------------
# ICC


def swapped_primaries_icc() -> bytes:
    """An RGB ICC profile like sRGB but with the red and green colorants exchanged.

    A pixel (255, 0, 0) tagged with it *means* sRGB green; a converter that honours the profile
    outputs green, one that ignores it outputs red.
    """
    from PIL import ImageCms

    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", data[128:132])[0]
    tags = {}
    for i in range(count):
        sig, offset, size = struct.unpack(">4sII", data[132 + 12 * i : 144 + 12 * i])
        tags[sig] = (offset, size)
    (r_off, r_size), (g_off, g_size) = tags[b"rXYZ"], tags[b"gXYZ"]
    assert r_size == g_size
    red, green = bytes(data[r_off : r_off + r_size]), bytes(data[g_off : g_off + g_size])
    data[r_off : r_off + r_size] = green
    data[g_off : g_off + g_size] = red
    data[84:100] = bytes(16)  # profile ID: "not computed"
    return bytes(data).replace("sRGB".encode("utf-16-be"), "SWAP".encode("utf-16-be")).replace(b"sRGB", b"SWAP")


def soft_cutout(mode: str, size: tuple[int, int]) -> Image.Image:
    """A photo (RGBA, or LA) with a soft-edged elliptical alpha mask: noise, gradients and flat
    transparency."""
    photo = Image.open(io.BytesIO(photo_jpeg(*size, seed=7))).convert("RGB" if mode == "RGBA" else "L")
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((size[0] // 8, size[1] // 8, size[0] * 7 // 8, size[1] * 7 // 8), fill=255)
    photo.putalpha(mask.filter(ImageFilter.GaussianBlur(4)))
    return photo
