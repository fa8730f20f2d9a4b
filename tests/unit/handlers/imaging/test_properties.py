"""Property tests: for any input, render either publishes bounded, upright variants or rejects
with a reason and a known code; it never raises anything else.

Generated sources vary format, mode, size, transparency, EXIF orientation (valid and invalid),
progressive encoding and quality; corruptions truncate, flip, zero, insert and duplicate bytes.
Images stay small (≤ 40 px a side) so the ``dev`` profile runs in seconds.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from hypothesis import assume, given, note
from hypothesis import strategies as st
from PIL import Image, ImageStat

from handlers.contract import REJECTION_CODES
from handlers.imaging import ImageRejected, Rendition, inspect_image, render
from handlers.imaging.render import fit
from tests import imagefactory as f

IMAGE_CODES = REJECTION_CODES - {"bad-key"}  # what the pixels can be rejected for
MODES = {"JPEG": ("L", "RGB", "CMYK"), "PNG": ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")}
ORIENTATIONS = (None, 1, 2, 3, 4, 5, 6, 7, 8, 0, 9)


@dataclass(frozen=True)
class Source:
    """A generated valid upload and what rendering it must give."""

    data: bytes
    fmt: str
    mode: str
    upright: tuple[int, int]  # (width, height) once oriented
    transparent: bool

    def __repr__(self) -> str:  # keep hypothesis' failure output readable
        shape = f"upright={self.upright} transparent={self.transparent}"
        return f"Source({self.fmt} {self.mode} {shape} {len(self.data)} bytes)"


@st.composite
def sources(draw: st.DrawFn) -> Source:
    fmt = draw(st.sampled_from(("JPEG", "PNG")))
    mode = draw(st.sampled_from(MODES[fmt]))
    width, height = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    orientation = draw(st.sampled_from(ORIENTATIONS))
    valid = orientation if orientation in range(1, 9) else 1
    upright = f.bright_corner(width, height)
    stored = f.to_mode(f.stored_for(upright, valid), mode if mode not in ("LA", "RGBA") else mode[:-1])
    options: dict[str, object] = {}
    transparent = False
    if mode in ("LA", "RGBA"):
        alpha_kind = draw(st.sampled_from(("opaque", "hole", "soft")))
        alpha = Image.new("L", stored.size, 255)
        if alpha_kind == "hole":
            alpha.paste(0, (stored.width // 2, stored.height // 2, stored.width, stored.height))
        elif alpha_kind == "soft":
            alpha = Image.linear_gradient("L").resize(stored.size)
        stored.putalpha(alpha)
        transparent = alpha.getextrema()[0] < 255
    elif fmt == "PNG" and mode in ("L", "P", "RGB") and draw(st.booleans()):
        value = stored.getpixel((0, 0))
        options["transparency"] = value  # the colour of the corner pixel: really used
        transparent = True
    if fmt == "JPEG":
        options["quality"] = draw(st.integers(30, 95))
        options["progressive"] = draw(st.booleans())
        data = f.jpeg(stored, orientation=orientation, **options)
    else:
        data = f.png(stored, orientation=orientation, **options)
    return Source(data, fmt, mode, upright.size, transparent)


@st.composite
def corrupted(draw: st.DrawFn, data: bytes) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(("truncate", "flip", "zero", "insert", "duplicate")))
    n = len(data)
    if kind == "truncate":
        return data[: draw(st.integers(0, n - 1))], kind
    out = bytearray(data)
    if kind == "flip":
        for _ in range(draw(st.integers(1, 4))):
            out[draw(st.integers(0, n - 1))] ^= draw(st.integers(1, 255))
    elif kind == "zero":
        start = draw(st.integers(0, n - 1))
        out[start : start + draw(st.integers(1, 64))] = bytes(min(64, n - start))
    elif kind == "insert":
        at = draw(st.integers(0, n))
        out[at:at] = draw(st.binary(min_size=1, max_size=16))
    else:
        start = draw(st.integers(0, n - 1))
        piece = out[start : start + draw(st.integers(1, 200))]
        at = draw(st.integers(0, n))
        out[at:at] = piece
    return bytes(out), kind


def _check_rendition(rendition: Rendition, upright: tuple[int, int]) -> None:
    """Variants are bounded, consistent with the upright size, decodable and metadata-free."""
    width, height = upright
    for variant, edge in ((rendition.optimized, 1600), (rendition.thumbnail, 256)):
        assert (variant.width, variant.height) == fit(width, height, edge)
        assert min(variant.width, variant.height) >= 1 and max(variant.width, variant.height) <= edge
        assert variant.format in ("JPEG", "PNG")
        assert variant.content_type == {"JPEG": "image/jpeg", "PNG": "image/png"}[variant.format]
        im = Image.open(io.BytesIO(variant.data))
        im.load()
        assert (im.format, im.size) == (variant.format, (variant.width, variant.height))
        assert "exif" not in im.info and "icc_profile" not in im.info


def _bright_corner_is_top_left(im: Image.Image) -> bool:
    gray = im.convert("L")
    w, h = gray.size
    quarters = [(0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)]
    means = []
    for x, y in quarters:
        box = (x + w // 8, y + h // 8, x + w // 2 - w // 8, y + h // 2 - h // 8)
        means.append(ImageStat.Stat(gray.crop(box)).mean[0])
    return means[0] > max(means[1:]) + 60


def _rejection_agrees_with_inspect(data: bytes, rejection: ImageRejected) -> None:
    assert rejection.reason and rejection.code in IMAGE_CODES
    try:
        inspect_image(data)
    except ImageRejected as at_ingest:
        assert (at_ingest.code, at_ingest.reason) == (rejection.code, rejection.reason)
    else:
        assert rejection.code in {"corrupt", "truncated"}  # found only by the full decode


@given(sources())
def test_valid_sources_render_upright_and_bounded(source: Source) -> None:
    info = inspect_image(source.data)
    assert info.upright_size == source.upright
    rendition = render(source.data)
    _check_rendition(rendition, source.upright)
    assert (rendition.optimized.format == "PNG") == source.transparent
    width, height = source.upright
    if width >= 16 and height >= 16:
        assert _bright_corner_is_top_left(Image.open(io.BytesIO(rendition.optimized.data)))


@given(sources(), st.data())
def test_corrupted_sources_render_or_are_rejected(source: Source, data: st.DataObject) -> None:
    damaged, kind = data.draw(corrupted(source.data))
    note(f"corruption: {kind}")
    try:
        rendition = render(damaged)
    except ImageRejected as rejection:
        _rejection_agrees_with_inspect(damaged, rejection)
        return
    info = inspect_image(damaged)  # what render published must have passed ingest
    _check_rendition(rendition, info.upright_size)


PREFIXES = (
    b"",
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"%PDF-1.4\n",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBP",
    b"\x00\x00\x00\x18ftypheic",
    b"<svg",
    b"BM",
)


@given(st.sampled_from(PREFIXES), st.binary(max_size=600))
def test_arbitrary_bytes_never_raise_anything_else(prefix: bytes, tail: bytes) -> None:
    data = prefix + tail
    for call in (inspect_image, render):
        try:
            call(data)
        except ImageRejected as rejection:
            assert rejection.reason and rejection.code in IMAGE_CODES
            if not data:
                assert rejection.code == "empty"


@given(st.binary(min_size=1, max_size=300), st.sampled_from((None, "a.jpg", "b.PNG", "c", "dir/d.pdf", ".jpg")))
def test_unsupported_content_names_what_it_is(data: bytes, filename: str | None) -> None:
    assume(not data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")))
    try:
        inspect_image(data, filename=filename)
    except ImageRejected as rejection:
        assert rejection.code == "unsupported-format"
        assert "not a JPEG or PNG" in rejection.reason
    else:
        raise AssertionError("accepted content that is neither JPEG nor PNG")
