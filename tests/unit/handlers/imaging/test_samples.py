"""harness.samples: deterministic, fast, and each sample reaches the outcome it promises."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from handlers.imaging import ImageRejected, inspect_image, render
from harness import samples


def test_samples_are_deterministic() -> None:
    assert samples.photo_jpeg(300, 200, orientation=6, seed=3) == samples.photo_jpeg(300, 200, orientation=6, seed=3)
    assert samples.photo_jpeg(300, 200, seed=3) != samples.photo_jpeg(300, 200, seed=4)
    assert samples.graphic_png(seed=1) == samples.graphic_png(seed=1)
    assert samples.alpha_png(seed=1) == samples.alpha_png(seed=1)


def test_a_2_mp_photo_is_photo_like() -> None:
    data = samples.photo_jpeg(1732, 1155)
    assert 100_000 < len(data) < 2_000_000  # it does not compress to nothing


def test_a_photo_is_slightly_dull_unless_full_range() -> None:
    from handlers.imaging.enhancement import levels

    def tones(data: bytes) -> Image.Image:
        return Image.open(io.BytesIO(data)).convert("RGB")

    dull = tones(samples.photo_jpeg(400, 300, seed=5))
    full = tones(samples.photo_jpeg(400, 300, seed=5, full_range=True))
    assert not levels(dull).is_identity  # the enhancement has something to do …
    assert levels(full).is_identity  # … and nothing on a well-exposed photo
    assert min(low for low, _ in full.getextrema()) <= 2 and max(high for _, high in full.getextrema()) >= 253


@pytest.mark.parametrize("orientation", range(1, 9))
def test_photo_orientation_and_stored_size(orientation: int) -> None:
    data = samples.photo_jpeg(64, 48, orientation=orientation)
    im = Image.open(io.BytesIO(data))
    assert im.size == ((48, 64) if orientation >= 5 else (64, 48))
    exif = im.getexif()
    assert exif[0x0112] == orientation
    assert exif.get_ifd(0x8825)  # GPS, for the demo to show it stripped
    info = inspect_image(data)
    assert info.upright_size == (64, 48)


def test_photo_is_upright_once_oriented() -> None:
    # Sky (blue, bright) at the top of the upright scene, whatever the stored orientation.
    for orientation in (1, 3, 6, 8):
        rendition = render(samples.photo_jpeg(320, 240, orientation=orientation, seed=2))
        out = Image.open(io.BytesIO(rendition.optimized.data)).convert("RGB")
        assert out.size == (320, 240)
        top = out.crop((0, 0, 320, 30)).resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        bottom = out.crop((0, 210, 320, 240)).resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        assert top[2] > top[1] and top[2] > bottom[2] + 50, (orientation, top, bottom)


def test_photo_with_icc_and_progressive() -> None:
    data = samples.photo_jpeg(120, 90, icc=True, progressive=True)
    im = Image.open(io.BytesIO(data))
    assert im.info.get("icc_profile") and im.info.get("progressive")
    assert render(data).optimized.width == 120


def test_png_samples() -> None:
    graphic = inspect_image(samples.graphic_png(400, 300))
    assert (graphic.format, graphic.mode, graphic.has_alpha) == ("PNG", "RGB", False)
    logo = samples.alpha_png(200, 200)
    assert (inspect_image(logo).mode, render(logo).optimized.format) == ("RGBA", "PNG")


def test_invalid_samples() -> None:
    for data, code in (
        (samples.pdf_document(), "unsupported-format"),
        (samples.truncated_jpeg(), "truncated"),
        (samples.text_file(), "unsupported-format"),
    ):
        with pytest.raises(ImageRejected) as caught:
            inspect_image(data)
        assert caught.value.code == code


def test_demo_samples_reach_their_promised_outcome() -> None:
    demo = samples.demo_samples()
    assert {s.expected for s in demo} == {"processed", "rejected"}
    assert len({s.name for s in demo}) == len(demo)
    for sample in demo:
        if sample.expected == "processed":
            assert sample.reason is None
            inspect_image(sample.data, filename=sample.name)
            render(sample.data)
        else:
            with pytest.raises(ImageRejected) as caught:
                inspect_image(sample.data, filename=sample.name)
            assert caught.value.reason == sample.reason, sample.name
