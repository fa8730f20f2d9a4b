"""Truncated and corrupt JPEG and PNG files: found at ingest, without decoding full pixels,
and rejected by render in exactly the same way."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from handlers.imaging import ImageRejected, inspect_image, render, structure
from harness import samples
from tests import imagefactory as f


@pytest.fixture(scope="module")
def photo() -> bytes:
    return samples.photo_jpeg(320, 240, orientation=6, seed=11)


@pytest.fixture(scope="module")
def progressive_photo() -> bytes:
    return samples.photo_jpeg(320, 240, seed=12, progressive=True)


@pytest.fixture(scope="module")
def png_photo() -> bytes:
    im = f.quadrants(120, 90).convert("RGBA")
    return f.png(im, orientation=3)


def _rejection(data: bytes) -> tuple[str, str]:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data)
    return caught.value.code, caught.value.reason


def _rejected_alike(data: bytes) -> tuple[str, str]:
    """inspect_image's (code, reason) — after checking that render says exactly the same."""
    expected = _rejection(data)
    with pytest.raises(ImageRejected) as caught:
        render(data)
    assert (caught.value.code, caught.value.reason) == expected
    return expected


JPEG_CUTS = [3, 4, 20, 200, 0.3, 0.5, 0.9, -3, -2, -1]


def _cut(data: bytes, where: float) -> bytes:
    if isinstance(where, float):
        return data[: int(len(data) * where)]
    return data[:where]


@pytest.mark.parametrize("where", JPEG_CUTS)
def test_truncated_jpeg(photo: bytes, where: float) -> None:
    assert _rejected_alike(_cut(photo, where)) == ("truncated", "JPEG data is truncated")


@pytest.mark.parametrize("where", JPEG_CUTS)
def test_truncated_progressive_jpeg(progressive_photo: bytes, where: float) -> None:
    assert _rejected_alike(_cut(progressive_photo, where)) == ("truncated", "JPEG data is truncated")


def test_truncated_just_after_the_scan_header(photo: bytes) -> None:
    sos = f.sos_offset(photo)
    length = int.from_bytes(photo[sos + 2 : sos + 4], "big")
    for end in (sos + 2, sos + 2 + length, sos + 2 + length + 1):
        assert _rejected_alike(photo[:end]) == ("truncated", "JPEG data is truncated")


def test_trailing_bytes_after_a_complete_jpeg_are_fine(photo: bytes) -> None:
    assert inspect_image(photo + b"\x00" * 100).format == "JPEG"


PNG_CUTS = [8, 12, 20, 32, 33, 40, 0.5, 0.9, -13, -12, -5, -1]


@pytest.mark.parametrize("where", PNG_CUTS)
def test_truncated_png(png_photo: bytes, where: float) -> None:
    assert _rejected_alike(_cut(png_photo, where)) == ("truncated", "PNG data is truncated")


@pytest.mark.parametrize("interlaced", [False, True])
def test_png_whose_compressed_data_ends_early(interlaced: bool) -> None:
    rows = f.zero_rows(30, 20, interlaced=interlaced)
    data = f.raw_png(30, 20, interlaced=interlaced, rows=rows[: len(rows) - 31])  # valid CRCs, rows missing
    assert _rejected_alike(data) == ("truncated", "PNG data is truncated")


def test_complete_interlaced_png_is_accepted() -> None:
    data = f.raw_png(37, 23, color_type=2, bit_depth=16, interlaced=True)
    assert inspect_image(data).width == 37
    assert render(data).optimized.width == 37


def test_a_missing_iend_is_truncation(png_photo: bytes) -> None:
    assert _rejected_alike(png_photo[:-12]) == ("truncated", "PNG data is truncated")


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x55
    return bytes(out)


def _chunk(data: bytes, ctype: bytes) -> tuple[int, int]:
    for offset, kind, length in f.png_chunks(data):
        if kind == ctype:
            return offset, length
    raise AssertionError(ctype)


def test_png_with_damaged_image_data(png_photo: bytes) -> None:
    offset, length = _chunk(png_photo, b"IDAT")
    data = _flip(png_photo, offset + 8 + length // 2)
    assert _rejected_alike(data) == ("corrupt", "PNG data is corrupt (bad checksum in IDAT chunk)")


def test_png_with_damaged_header(png_photo: bytes) -> None:
    assert _rejected_alike(_flip(png_photo, 18)) == ("corrupt", "PNG data is corrupt (bad checksum in IHDR chunk)")


def test_png_with_bad_compressed_data_and_a_matching_checksum() -> None:
    good = zlib.compress(f.zero_rows(16, 16))
    data = f.raw_png(16, 16, idat=good[:2] + b"\xff" * 10 + good[12:])
    assert _rejected_alike(data) == ("corrupt", "PNG data is corrupt (bad compressed image data)")


@pytest.mark.parametrize(
    ("build", "detail"),
    [
        (lambda: f.raw_png(4, 4, bit_depth=3), "invalid colour type 0 with bit depth 3"),
        (lambda: f.raw_png(4, 4, color_type=3), "palette missing"),
        (lambda: f.raw_png(4, 4, color_type=5, rows=bytes(20)), "invalid colour type 5 with bit depth 8"),
        (
            lambda: f.raw_png(4, 4).replace(b"IEND", b"I3ND"),
            "invalid chunk at byte",
        ),
    ],
)
def test_malformed_png_structure(build, detail: str) -> None:
    code, reason = _rejected_alike(build())
    assert code == "corrupt"
    assert reason.startswith(f"PNG data is corrupt ({detail}")


def test_png_image_data_split_by_another_chunk() -> None:
    rows = zlib.compress(f.zero_rows(8, 8))
    first, second = rows[:10], rows[10:]
    data = (
        b"\x89PNG\r\n\x1a\n"
        + f.png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
        + f.png_chunk(b"IDAT", first)
        + f.png_chunk(b"tEXt", b"Comment\x00between")
        + f.png_chunk(b"IDAT", second)
        + f.png_chunk(b"IEND", b"")
    )
    assert _rejected_alike(data) == ("corrupt", "PNG data is corrupt (the image data is split by other chunks)")


def _several_idat(after: bytes = b"") -> bytes:
    """An 8×8 grey PNG whose image data is split over IDAT chunks of 5 bytes, `after` them the chunks given."""
    rows = zlib.compress(f.zero_rows(8, 8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + f.png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
        + b"".join(f.png_chunk(b"IDAT", rows[i : i + 5]) for i in range(0, len(rows), 5))
        + after
        + f.png_chunk(b"IEND", b"")
    )


def test_png_image_data_in_several_chunks_is_fine() -> None:
    data = _several_idat()
    assert inspect_image(data).width == 8
    assert render(data).optimized.width == 8


def test_png_without_image_data() -> None:
    ihdr = f.png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
    data = b"\x89PNG\r\n\x1a\n" + ihdr + f.png_chunk(b"IEND", b"")
    assert _rejected_alike(data) == ("corrupt", "PNG data is corrupt (no image data)")


def test_png_whose_first_chunk_is_not_ihdr() -> None:
    data = b"\x89PNG\r\n\x1a\n" + f.png_chunk(b"tEXt", b"a\x00b" + bytes(10)) + bytes(20)
    assert _rejected_alike(data) == ("corrupt", "PNG data is corrupt (the first chunk is not a valid IHDR header)")


def test_png_damage_only_a_full_decode_finds() -> None:
    # A bad filter type (5) in a structurally perfect file: inspect accepts, render rejects.
    rows = b"".join(b"\x05" + bytes(range(10)) for _ in range(10))
    data = f.raw_png(10, 10, rows=rows)
    assert inspect_image(data).format == "PNG"
    with pytest.raises(ImageRejected) as caught:
        render(data)
    assert caught.value.code == "corrupt"
    assert caught.value.reason.startswith("PNG data is corrupt (")


# --------------------------------------------------------------------------------------------
# corrupt JPEG


def test_jpeg_with_a_bogus_huffman_table() -> None:
    data = bytearray(f.jpeg(Image.new("RGB", (64, 64), "red")))
    dht = bytes(data).find(b"\xff\xc4")
    data[dht + 5 : dht + 21] = b"\xff" * 16  # code counts that cannot form a Huffman table
    code, reason = _rejected_alike(bytes(data))
    assert code == "corrupt"
    assert reason.startswith("JPEG data is corrupt (")


def test_jpeg_scan_before_frame_header() -> None:
    data = f.jpeg(Image.new("RGB", (16, 16)))
    sof = f.sof_offset(data)
    length = int.from_bytes(data[sof + 2 : sof + 4], "big")
    without_sof = data[:sof] + data[sof + 2 + length :]
    assert _rejected_alike(without_sof) == ("corrupt", "JPEG data is corrupt (image data before the frame header)")


def test_jpeg_that_ends_right_after_its_start() -> None:
    assert _rejected_alike(b"\xff\xd8\xff\xd9") == (
        "corrupt",
        "JPEG data is corrupt (no image data before the end marker)",
    )


def test_jpeg_with_an_impossible_segment_length() -> None:
    assert _rejected_alike(b"\xff\xd8\xff\xe0\x00\x01" + bytes(40))[0] == "corrupt"


def test_jpeg_with_a_short_frame_header() -> None:
    data = b"\xff\xd8\xff\xc0\x00\x05\x08\x00\x10" + bytes(40)
    assert _rejected_alike(data) == ("corrupt", "JPEG data is corrupt (frame header too short)")


def test_jpeg_with_inconsistent_frame_header() -> None:
    data = bytearray(f.jpeg(Image.new("RGB", (16, 16))))
    data[f.sof_offset(bytes(data)) + 9] = 2  # two components: no colour space has that
    assert _rejected_alike(bytes(data))[0] == "corrupt"


def test_jpeg_byte_flips_in_the_scan_do_not_crash(photo: bytes) -> None:
    sos = f.sos_offset(photo)
    for index in range(sos + 20, len(photo) - 2, max(1, (len(photo) - sos) // 15)):
        data = _flip(photo, index)
        try:
            rendition = render(data)
        except ImageRejected as rejection:
            assert rejection.code in {"corrupt", "truncated"}
        else:
            assert (rendition.optimized.width, rendition.optimized.height) == (320, 240)  # upright


# --------------------------------------------------------------------------------------------
# Render inflates a PNG's image data while Pillow decodes it (structure.stored_png), not before
# as ingest does: where another fault would be found first, the rejection is still ingest's.


def _unreadable_profile() -> tuple[bytes, bytes]:
    """An iCCP chunk with an unknown compression method: Pillow cannot parse the header."""
    return b"iCCP", b"name\x00\x01" + zlib.compress(b"profile")


def test_png_with_an_unreadable_header_and_bad_compressed_data() -> None:
    good = zlib.compress(f.zero_rows(16, 16))
    data = f.raw_png(16, 16, idat=good[:2] + b"\xff" * 10 + good[12:], extra=[_unreadable_profile()])
    assert _rejected_alike(data) == ("corrupt", "PNG data is corrupt (bad compressed image data)")


def test_png_with_an_unreadable_header_and_rows_missing() -> None:
    data = f.raw_png(16, 16, rows=f.zero_rows(16, 16)[:-40], extra=[_unreadable_profile()])
    assert _rejected_alike(data) == ("truncated", "PNG data is truncated")


def test_png_with_a_bad_filter_in_its_first_row_and_rows_missing() -> None:
    # 1.4 MB of rows, inflated in several pieces: Pillow meets the bad filter long before the end.
    rows = bytearray(f.zero_rows(1200, 1200))
    rows[0] = 5
    data = f.raw_png(1200, 1200, rows=bytes(rows[: -1201 * 3]))
    assert _rejected_alike(data) == ("truncated", "PNG data is truncated")


@pytest.mark.parametrize(
    "idat",
    [
        zlib.compress(f.zero_rows(10, 10) + bytes(50)),  # more rows than the header promises
        zlib.compress(f.zero_rows(10, 10)) + b"trailing bytes",  # data after the zlib stream
    ],
)
def test_png_with_more_image_data_than_rows_is_accepted_by_both(idat: bytes) -> None:
    data = f.raw_png(10, 10, idat=idat)
    assert inspect_image(data).width == 10
    assert render(data).optimized.width == 10


def _stored_png_cases() -> list[bytes]:
    several_idat = _several_idat(f.png_chunk(b"tEXt", b"Comment\x00after"))
    return [
        samples.graphic_png(800, 600, seed=1),  # 1.4 MB of rows: 22 stored blocks
        samples.alpha_png(300, 200, seed=2),
        f.raw_png(37, 23, color_type=2, bit_depth=16, interlaced=True),
        f.png(f.quadrants(64, 48).convert("P")),
        f.png(f.quadrants(64, 48).convert("1")),
        f.png(f.quadrants(65, 3).convert("LA")),
        several_idat,
    ]


@pytest.mark.parametrize("inflate_step", [None, 1, 7, 65_529, 65_531, 65_536, 131_062])
def test_stored_png_is_the_same_image(monkeypatch: pytest.MonkeyPatch, inflate_step: int | None) -> None:
    if inflate_step is not None:  # blocks spanning inflated pieces, and pieces ending on a block
        monkeypatch.setattr(structure, "_INFLATE_STEP", inflate_step)
    for data in _stored_png_cases():
        header = structure.png_header(data)
        layout = structure.check_png(data, header, image_data=False)
        whole = structure.stored_png(data, layout).read()
        chunks = f.png_chunks(whole)
        assert sum(12 + length for _, _, length in chunks) + 8 == len(whole)
        types = [ctype for _, ctype, _ in chunks]
        assert types[-2:] == [b"IDAT", b"IEND"] and types.count(b"IDAT") == 1
        offset, _, length = chunks[-2]
        stream = whole[offset + 8 : offset + 8 + length]
        original = zlib.decompressobj().decompress(b"".join(data[start:end] for start, end in layout.idat))
        assert zlib.decompress(stream) == original[: header.raw_size]  # (zlib checks the Adler-32)
        assert len(stream) - 6 - header.raw_size == 5 * -(-(header.raw_size + 2) // 65_531)  # block headers
        expected = Image.open(io.BytesIO(data))
        decoded = Image.open(structure.stored_png(data, layout))
        assert (decoded.mode, decoded.size, decoded.tobytes()) == (expected.mode, expected.size, expected.tobytes())


def test_stored_png_reads_the_image_data_only_in_order() -> None:
    data = samples.alpha_png(64, 64)
    layout = structure.check_png(data, structure.png_header(data), image_data=False)
    stored = structure.stored_png(data, layout)
    assert stored.read(8) == data[:8]
    stored.seek(0)
    assert stored.read(20) == data[:20]
    stored.seek(layout.idat[0][0])
    stored.read(10)
    with pytest.raises(io.UnsupportedOperation):
        stored.seek(0)


def test_png_too_large_to_wrap_is_checked_first_and_decoded_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    render_module = importlib.import_module("handlers.imaging.render")
    good = samples.alpha_png(300, 200, seed=2)
    expected = render(good)
    monkeypatch.setattr(render_module, "STORED_MAX", 0)
    monkeypatch.setattr(structure, "STORED_MAX", 0)
    with pytest.raises(ValueError, match="at most"):
        structure.stored_png(good, structure.check_png(good, structure.png_header(good), image_data=False))
    assert render(good) == expected
    rows = f.zero_rows(30, 20)
    assert _rejected_alike(f.raw_png(30, 20, rows=rows[:-31])) == ("truncated", "PNG data is truncated")
    compressed = zlib.compress(f.zero_rows(16, 16))
    damaged = f.raw_png(16, 16, idat=compressed[:2] + b"\xff" * 10 + compressed[12:])
    assert _rejected_alike(damaged) == ("corrupt", "PNG data is corrupt (bad compressed image data)")
