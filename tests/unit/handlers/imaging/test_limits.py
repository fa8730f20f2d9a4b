"""The byte and pixel limits: checked before parsing / decoding, worded for people, ours not Pillow's."""

from __future__ import annotations

import warnings

import pytest
from PIL import Image

from handlers.imaging import ImageRejected, Limits, inspect_image, render
from handlers.imaging.rejection import too_large_reason, too_many_pixels_reason
from tests import imagefactory as f

MB = 1024 * 1024


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    return f.png_bomb(10_000, 10_000)


def _no_pillow_open(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make any Pillow open fail loudly; returns the list of attempted opens."""
    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("Pillow must not be asked to open this")

    monkeypatch.setattr(Image, "open", refuse)
    return calls


# --------------------------------------------------------------------------------------------
# bytes


def test_over_the_byte_limit() -> None:
    data = b"\xff\xd8\xff" + bytes(int(31.2 * MB) - 3)
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data)
    assert (caught.value.code, caught.value.reason) == ("too-large", "31.2 MB is over the 25 MB limit")


def test_the_byte_limit_comes_before_any_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    opened = _no_pillow_open(monkeypatch)
    for data in (b"%PDF-" + bytes(2000), bytes(2000), f.png_bomb(300, 300) + bytes(2000)):
        with pytest.raises(ImageRejected) as caught:
            inspect_image(data, Limits(max_bytes=1000))
        assert caught.value.code == "too-large"
    assert not opened


def test_exactly_at_the_byte_limit_is_accepted() -> None:
    data = f.png(Image.new("RGB", (10, 10)))
    assert inspect_image(data, Limits(max_bytes=len(data))).byte_size == len(data)
    with pytest.raises(ImageRejected):
        inspect_image(data, Limits(max_bytes=len(data) - 1))


@pytest.mark.parametrize(
    ("size", "limit", "reason"),
    [
        (int(31.2 * MB), 25 * MB, "31.2 MB is over the 25 MB limit"),
        (26 * MB, 25 * MB, "26 MB is over the 25 MB limit"),
        (25 * MB + 1, 25 * MB, "25.000001 MB is over the 25 MB limit"),
        (int(25.04 * MB), 25 * MB, "25.04 MB is over the 25 MB limit"),
        (3 * 1024 * MB, 25 * MB, "3072 MB is over the 25 MB limit"),
        (2048, 1000, "2,048 bytes is over the 1,000-byte limit"),
        (3000, 2048, "2.9 KB is over the 2 KB limit"),
    ],
)
def test_byte_limit_wording(size: int, limit: int, reason: str) -> None:
    assert too_large_reason(size, limit) == reason


# --------------------------------------------------------------------------------------------
# pixels


def test_a_png_pixel_bomb_is_rejected_from_its_header(png_bomb: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(png_bomb) < 64 * 1024  # tiny on disk, 100 MP when decoded
    opened = _no_pillow_open(monkeypatch)
    with pytest.raises(ImageRejected) as caught:
        inspect_image(png_bomb)
    assert caught.value.code == "too-many-pixels"
    assert caught.value.reason == "10000×10000 = 100 MP is over the 50 MP limit"
    assert not opened  # Pillow never saw it: nothing was decoded


def test_a_jpeg_pixel_bomb_is_rejected_from_its_header(monkeypatch: pytest.MonkeyPatch) -> None:
    data = f.jpeg_with_size(10_000, 10_000)
    opened = _no_pillow_open(monkeypatch)
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data)
    assert (caught.value.code, caught.value.reason) == (
        "too-many-pixels",
        "10000×10000 = 100 MP is over the 50 MP limit",
    )
    assert not opened


def test_render_rejects_a_pixel_bomb_the_same_way(png_bomb: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:
        render(png_bomb)
    assert (caught.value.code, caught.value.reason) == (
        "too-many-pixels",
        "10000×10000 = 100 MP is over the 50 MP limit",
    )


@pytest.mark.parametrize(
    ("width", "height", "limit", "reason"),
    [
        (10_000, 10_000, 50_000_000, "10000×10000 = 100 MP is over the 50 MP limit"),
        (7100, 7087, 50_000_000, "7100×7087 = 50.3 MP is over the 50 MP limit"),
        (7072, 7072, 50_000_000, "7072×7072 = 50.01 MP is over the 50 MP limit"),
        (4000, 3000, 10_500_000, "4000×3000 = 12 MP is over the 10.5 MP limit"),
        (40, 40, 1000, "40×40 = 1,600 pixels is over the 1,000-pixel limit"),
    ],
)
def test_pixel_limit_wording(width: int, height: int, limit: int, reason: str) -> None:
    assert too_many_pixels_reason(width, height, limit) == reason


def test_custom_limits() -> None:
    data = f.png(Image.new("RGB", (40, 40)))
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data, Limits(max_pixels=1000))
    assert caught.value.reason == "40×40 = 1,600 pixels is over the 1,000-pixel limit"
    assert inspect_image(data, Limits(max_pixels=1600)).width == 40
    with pytest.raises(ImageRejected) as caught:
        render(data, Limits(max_pixels=1000))
    assert caught.value.code == "too-many-pixels"


def test_a_larger_limit_lets_the_bomb_through_without_pillow_complaining(png_bomb: bytes) -> None:
    # 100 MP is over Pillow's own warning threshold (~89 MP): our limit is the rule, silently.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = inspect_image(png_bomb, Limits(max_pixels=100_000_000))
    assert (info.width, info.height, info.mode) == (10_000, 10_000, "1")
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_pillow_decompression_bomb_checks_never_escape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow would raise above 200 pixels
    data = f.jpeg(f.quadrants(64, 48), orientation=6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = inspect_image(data)
        rendition = render(data)
        inspect_image(f.png(Image.new("RGBA", (30, 30))))
    assert info.width == 64
    assert (rendition.optimized.width, rendition.optimized.height) == (48, 64)
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    assert Image.MAX_IMAGE_PIXELS == 100  # restored


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_limits_must_be_positive_ints(bad: object) -> None:
    with pytest.raises(ValueError, match="max_bytes must be a positive int"):
        Limits(max_bytes=bad)
    with pytest.raises(ValueError, match="max_pixels must be a positive int"):
        Limits(max_pixels=bad)


def test_default_limits() -> None:
    assert Limits() == Limits(max_bytes=25 * MB, max_pixels=50_000_000)


# --------------------------------------------------------------------------------------------
# impossible sizes


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (0, 0)])
def test_a_png_with_a_zero_size_is_corrupt(width: int, height: int) -> None:
    data = f.raw_png(width, height, rows=b"")
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data)
    assert caught.value.code == "corrupt"
    assert caught.value.reason == f"PNG data is corrupt (the header gives a size of {width}×{height})"


def test_a_jpeg_with_a_zero_size_is_corrupt() -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(f.jpeg_with_size(16, 0))
    assert (caught.value.code, caught.value.reason) == (
        "corrupt",
        "JPEG data is corrupt (the header gives a size of 16×0)",
    )


def test_an_implausibly_long_side_is_corrupt() -> None:
    data = f.raw_png(1, 2_000_000)  # 2 MP: under the pixel limit, but no real image is this shape
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data)
    assert caught.value.code == "corrupt"
    assert "1×2000000" in caught.value.reason


def test_a_png_header_beyond_the_format_maximum_is_corrupt() -> None:
    data = f.raw_png(2**31, 1, rows=b"")
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data)
    assert caught.value.code == "corrupt"
