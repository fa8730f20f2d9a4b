"""render: upright, publishable, bounded, metadata-free variants for every kind of JPEG and PNG."""

from __future__ import annotations

import importlib
import io

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from handlers.imaging import Limits, Rendition, Variant, VariantSizes, render
from handlers.imaging.render import fit
from harness import samples
from tests import imagefactory as f

# The module, not the function of the same name that handlers.imaging re-exports.
render_module = importlib.import_module("handlers.imaging.render")


def _open(variant: Variant) -> Image.Image:
    im = Image.open(io.BytesIO(variant.data))
    im.load()
    assert im.format == variant.format
    assert im.size == (variant.width, variant.height)
    return im


def _sizes(rendition: Rendition) -> tuple[tuple[int, int], tuple[int, int]]:
    return (
        (rendition.optimized.width, rendition.optimized.height),
        (rendition.thumbnail.width, rendition.thumbnail.height),
    )


def _assert_upright_quadrants(im: Image.Image) -> None:
    for name, mean in f.quadrant_means(im).items():
        assert f.nearest_quadrant_colour(mean) == name, (name, mean)


def _mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


# --------------------------------------------------------------------------------------------
# orientation


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_every_exif_orientation_comes_out_upright(fmt: str, orientation: int) -> None:
    upright = f.quadrants(60, 40)
    stored = f.stored_for(upright, orientation)
    data = (f.jpeg if fmt == "JPEG" else f.png)(stored, orientation=orientation)
    rendition = render(data)
    assert _sizes(rendition) == ((60, 40), (60, 40))
    _assert_upright_quadrants(_open(rendition.optimized))
    _assert_upright_quadrants(_open(rendition.thumbnail))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_with_shrink_on_load(orientation: int) -> None:
    upright = f.quadrants(2000, 1000)
    data = f.jpeg(f.stored_for(upright, orientation), orientation=orientation, quality=80)
    rendition = render(data)
    assert _sizes(rendition) == ((1600, 800), (256, 128))
    _assert_upright_quadrants(_open(rendition.optimized))
    _assert_upright_quadrants(_open(rendition.thumbnail))


def test_outputs_carry_no_orientation_tag() -> None:
    rendition = render(f.jpeg(f.stored_for(f.quadrants(60, 40), 6), orientation=6))
    for variant in (rendition.optimized, rendition.thumbnail):
        assert 0x0112 not in _open(variant).getexif()


# --------------------------------------------------------------------------------------------
# modes


def test_palette_png_becomes_jpeg_with_its_colours() -> None:
    source = f.to_mode(f.quadrants(40, 40), "P")
    rendition = render(f.png(source))
    out = _open(rendition.optimized)
    assert (rendition.optimized.format, out.mode) == ("JPEG", "RGB")
    _assert_upright_quadrants(out)


def test_palette_png_with_transparency_keeps_it() -> None:
    source = Image.new("P", (40, 30), 0)
    source.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    source.paste(1, (0, 0, 20, 30))
    rendition = render(f.png(source, transparency=0))
    out = _open(rendition.optimized)
    assert (rendition.optimized.format, out.mode) == ("PNG", "RGBA")
    assert out.getpixel((5, 5)) == (0, 0, 255, 255)
    assert out.getpixel((35, 5))[3] == 0
    assert _open(rendition.thumbnail).mode == "RGBA"


def test_palette_png_whose_transparent_colour_is_unused_is_opaque() -> None:
    source = Image.new("P", (20, 20), 1)
    source.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    rendition = render(f.png(source, transparency=0))
    assert rendition.optimized.format == "JPEG"


def test_grayscale_png_stays_grayscale() -> None:
    source = Image.linear_gradient("L").resize((64, 64))
    rendition = render(f.png(source))
    out = _open(rendition.optimized)
    assert (rendition.optimized.format, out.mode) == ("JPEG", "L")
    assert _mean_abs_diff(out, source) < 2


def test_la_with_transparency_stays_la_png() -> None:
    source = Image.new("LA", (30, 30), (200, 255))
    source.paste((50, 0), (0, 0, 15, 30))
    rendition = render(f.png(source))
    out = _open(rendition.optimized)
    assert (rendition.optimized.format, out.mode) == ("PNG", "LA")
    assert out.getpixel((25, 5)) == (200, 255)
    assert out.getpixel((5, 5))[1] == 0


def test_opaque_la_becomes_grayscale_jpeg() -> None:
    rendition = render(f.png(Image.new("LA", (30, 30), (120, 255))))
    assert (rendition.optimized.format, _open(rendition.optimized).mode) == ("JPEG", "L")


def test_rgba_alpha_is_kept_exactly() -> None:
    source = f.quadrants(64, 48).convert("RGBA")
    alpha = Image.linear_gradient("L").resize((64, 48))
    source.putalpha(alpha)
    rendition = render(f.png(source))
    out = _open(rendition.optimized)
    assert (rendition.optimized.format, rendition.optimized.content_type, rendition.optimized.extension) == (
        "PNG",
        "image/png",
        "png",
    )
    assert out.mode == "RGBA"
    assert out.getchannel("A").tobytes() == alpha.tobytes()  # not resized, not sharpened: identical
    thumb = _open(rendition.thumbnail)
    assert thumb.mode == "RGBA" and thumb.getchannel("A").getextrema()[0] < 128


def test_rgba_alpha_survives_downscaling() -> None:
    source = Image.new("RGBA", (2000, 1000), (0, 0, 0, 0))
    source.paste((10, 120, 250, 255), (500, 250, 1500, 750))
    rendition = render(f.png(source))
    assert _sizes(rendition) == ((1600, 800), (256, 128))
    for variant in (rendition.optimized, rendition.thumbnail):
        out = _open(variant)
        assert out.mode == "RGBA"
        w, h = out.size
        assert out.getpixel((2, 2))[3] == 0
        assert out.getpixel((w // 2, h // 2)) == (10, 120, 250, 255)


def test_fully_opaque_rgba_becomes_jpeg() -> None:
    rendition = render(f.png(f.quadrants(50, 40).convert("RGBA")))
    assert rendition.optimized.format == rendition.thumbnail.format == "JPEG"
    assert (rendition.optimized.content_type, rendition.optimized.extension) == ("image/jpeg", "jpg")
    _assert_upright_quadrants(_open(rendition.optimized))


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_one_barely_transparent_pixel_is_transparency(mode: str) -> None:
    source = f.quadrants(2000, 1000).convert(mode)
    source.putpixel((1999, 999), (*source.getpixel((1999, 999))[:-1], 254))
    rendition = render(f.png(source))
    assert rendition.optimized.format == rendition.thumbnail.format == "PNG"
    assert _open(rendition.optimized).mode == mode


def test_rgb_png_with_a_transparent_colour_keeps_it() -> None:
    source = f.quadrants(40, 40)
    rendition = render(f.png(source, transparency=f.QUADRANT_COLOURS["bottom_right"]))
    out = _open(rendition.optimized)
    assert out.mode == "RGBA"
    assert out.getpixel((35, 35))[3] == 0 and out.getpixel((5, 5))[3] == 255


def test_16_bit_grayscale_is_scaled_not_clipped() -> None:
    rendition = render(f.png(Image.new("I;16", (20, 20), 32768)))
    out = _open(rendition.optimized)
    assert out.mode == "L"
    assert abs(ImageStat.Stat(out).mean[0] - 128) <= 2


def test_16_bit_gradient_keeps_its_range() -> None:
    source = f.to_mode(Image.linear_gradient("L"), "I;16")
    assert source.getextrema() == (0, 65535)
    out = _open(render(f.png(source)).optimized)
    low, high = out.getextrema()
    assert low <= 3 and high >= 252
    assert 100 < ImageStat.Stat(out).mean[0] < 156  # not clipped to white


def test_16_bit_grayscale_with_transparency() -> None:
    source = Image.new("I", (20, 20), 40000)
    source.paste(1000, (0, 0, 10, 20))
    source = source.convert("I;16")
    assert source.getpixel((2, 2)) == 1000
    out = _open(render(f.png(source, transparency=1000)).optimized)
    assert out.mode == "LA"
    assert out.getpixel((2, 2))[1] == 0
    assert out.getpixel((15, 2)) == (round(40000 / 257), 255)


@pytest.mark.parametrize(("color_type", "channels"), [(2, 3), (6, 4), (4, 2)])
def test_16_bit_colour_pngs(color_type: int, channels: int) -> None:
    row = b"\x00" + (b"\x80\x00" * channels) * 6
    data = f.raw_png(6, 4, bit_depth=16, color_type=color_type, rows=row * 4)
    out = _open(render(data).optimized)
    assert all(abs(v - 128) <= 2 for v in ImageStat.Stat(out).mean[: 3 if channels >= 3 else 1])


def test_low_bit_depth_gray_png_is_scaled() -> None:
    source = Image.new("L", (4, 1))
    source.putdata([0, 85, 170, 255])
    out = _open(render(f.png(source.resize((40, 10), Image.Resampling.NEAREST), bits=2)).optimized)
    assert [
        round(v / 85)
        for v in (out.getpixel((5, 5)), out.getpixel((15, 5)), out.getpixel((25, 5)), out.getpixel((35, 5)))
    ] == [0, 1, 2, 3]


def test_one_bit_png() -> None:
    source = f.to_mode(f.bright_corner(40, 40), "1")
    out = _open(render(f.png(source)).optimized)
    assert out.mode == "L"
    assert out.getpixel((5, 5)) > 240 and out.getpixel((35, 35)) < 15


def test_one_bit_png_with_transparency() -> None:
    source = f.to_mode(f.bright_corner(40, 40), "1")
    rendition = render(f.png(source, transparency=0))
    out = _open(rendition.optimized)
    assert (rendition.optimized.format, out.mode) == ("PNG", "LA")
    assert out.getpixel((35, 35))[1] == 0 and out.getpixel((5, 5)) == (255, 255)


def test_cmyk_jpeg_becomes_rgb() -> None:
    source = Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # red
    source.paste((255, 255, 0, 0), (20, 0, 40, 40))  # blue
    data = f.jpeg(source)
    assert Image.open(io.BytesIO(data)).info.get("adobe") is not None  # Adobe (inverted) CMYK
    out = _open(render(data).optimized)
    assert out.mode == "RGB"
    red, blue = out.getpixel((5, 20)), out.getpixel((35, 20))
    assert red[0] > 200 and red[1] < 60 and red[2] < 60
    assert blue[2] > 200 and blue[0] < 60


def test_cmyk_jpeg_downscaled_and_oriented() -> None:
    upright = Image.new("CMYK", (2000, 1000), (0, 255, 255, 0))  # red left half
    upright.paste((255, 255, 0, 0), (1000, 0, 2000, 1000))  # blue right half
    rendition = render(f.jpeg(f.stored_for(upright, 6), orientation=6, quality=80))
    assert _sizes(rendition) == ((1600, 800), (256, 128))
    out = _open(rendition.optimized)
    assert out.mode == "RGB"
    assert out.getpixel((100, 400))[0] > 200 and out.getpixel((1500, 400))[2] > 200


def test_progressive_jpeg_source() -> None:
    data = f.jpeg(f.stored_for(f.quadrants(120, 80), 8), orientation=8, progressive=True)
    assert Image.open(io.BytesIO(data)).info.get("progressive")
    rendition = render(data)
    assert _sizes(rendition) == ((120, 80), (120, 80))
    _assert_upright_quadrants(_open(rendition.optimized))


def test_grayscale_jpeg_source() -> None:
    out = _open(render(f.jpeg(f.bright_corner(64, 64))).optimized)
    assert out.mode == "L"


# --------------------------------------------------------------------------------------------
# ICC profiles


@pytest.mark.parametrize("encoder", [f.jpeg, f.png])
def test_an_embedded_profile_is_converted_to_srgb(encoder) -> None:
    data = encoder(Image.new("RGB", (32, 32), (255, 0, 0)), icc_profile=f.swapped_primaries_icc())
    rendition = render(data)
    out = _open(rendition.optimized)
    assert "icc_profile" not in out.info
    r, g, _ = out.getpixel((16, 16))
    assert g > 200 and r < 60  # "red" in the swapped profile is sRGB green


def test_an_embedded_profile_with_transparency() -> None:
    source = Image.new("RGBA", (32, 32), (255, 0, 0, 128))
    out = _open(render(f.png(source, icc_profile=f.swapped_primaries_icc())).optimized)
    r, g, _, a = out.getpixel((16, 16))
    assert g > 200 and r < 60 and a == 128


def test_a_broken_profile_is_ignored() -> None:
    data = f.jpeg(Image.new("RGB", (32, 32), (255, 0, 0)), icc_profile=b"not an ICC profile at all" * 10)
    out = _open(render(data).optimized)
    assert out.getpixel((16, 16))[0] > 200


def test_an_srgb_profile_changes_little() -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = f.quadrants(64, 64)
    with_profile = _open(render(f.png(source, icc_profile=icc)).optimized)
    without = _open(render(f.png(source)).optimized)
    assert _mean_abs_diff(with_profile, without) < 1


def test_thumbnail_from_premultiplied_pixels_matches_one_from_the_optimized() -> None:
    source = f.soft_cutout("RGBA", (2000, 1500))
    rendition = render(f.png(source))
    optimized, thumb = _open(rendition.optimized), _open(rendition.thumbnail)
    assert thumb.size == (256, 192) and thumb.mode == "RGBA"
    # What the thumbnail was before: made from the straight-alpha optimized pixels.
    before = render_module._resize(optimized, thumb.size)
    diff = ImageChops.difference(thumb.convert("RGBa"), before.convert("RGBa"))  # as they are seen
    assert diff.getextrema()[3] == (0, 0)  # the same alpha
    assert max(high for _, high in diff.getextrema()) <= 3  # colours: rounding, where nearly transparent
    assert sum(ImageStat.Stat(diff).mean) / 4 < 0.05


# --------------------------------------------------------------------------------------------
# sizes


@pytest.mark.parametrize(
    ("size", "optimized", "thumbnail"),
    [
        ((100, 80), (100, 80), (100, 80)),  # never upscaled
        ((1, 1), (1, 1), (1, 1)),
        ((2, 1), (2, 1), (2, 1)),
        ((1, 5000), (1, 1600), (1, 256)),  # never 0 px
        ((5000, 1), (1600, 1), (256, 1)),
        ((3, 5000), (1, 1600), (1, 256)),
        ((300, 200), (300, 200), (256, 171)),
        ((1600, 1601), (1599, 1600), (256, 256)),
        ((2400, 1600), (1600, 1067), (256, 171)),
    ],
)
def test_variant_sizes(size: tuple[int, int], optimized: tuple[int, int], thumbnail: tuple[int, int]) -> None:
    rendition = render(f.png(Image.new("L", size, 90)))
    assert _sizes(rendition) == (optimized, thumbnail)
    _open(rendition.optimized)
    _open(rendition.thumbnail)


def test_extreme_aspect_jpeg() -> None:
    data = f.jpeg(Image.linear_gradient("L").resize((1, 5000)))
    assert _sizes(render(data)) == ((1, 1600), (1, 256))


def test_custom_variant_sizes() -> None:
    data = samples.photo_jpeg(1200, 900, seed=4)
    rendition = render(data, Limits(), VariantSizes(optimized=800, thumbnail=100))
    assert _sizes(rendition) == ((800, 600), (100, 75))
    # a thumbnail edge above the optimized one is capped by the optimized image
    assert _sizes(render(data, sizes=VariantSizes(optimized=300, thumbnail=400))) == ((300, 225), (300, 225))


@pytest.mark.parametrize("bad", [0, -5, 70_000, 2.5, True])
def test_variant_sizes_are_validated(bad: object) -> None:
    with pytest.raises(ValueError, match="optimized must be an int"):
        VariantSizes(optimized=bad)
    with pytest.raises(ValueError, match="thumbnail must be an int"):
        VariantSizes(thumbnail=bad)


def test_fit_keeps_aspect_within_a_pixel() -> None:
    for width in (1, 7, 999, 1601, 4000, 12345):
        for height in (1, 3, 1000, 1600, 3000, 54321):
            w, h = fit(width, height, 1600)
            assert max(w, h) == min(1600, max(width, height))
            assert w >= 1 and h >= 1
            if max(width, height) > 1600:
                scale = 1600 / max(width, height)
                assert w == 1 or abs(w - width * scale) <= 0.5 + 1e-9
                assert h == 1 or abs(h - height * scale) <= 0.5 + 1e-9


# --------------------------------------------------------------------------------------------
# one decode, shrink-on-load


def test_jpeg_is_decoded_once_with_shrink_on_load(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import JpegImagePlugin

    opened: list[str] = []
    real_open = render_module.open_image

    def counting_open(data: bytes, fmt: str) -> Image.Image:
        opened.append(fmt)
        return real_open(data, fmt)

    drafts: list[tuple[tuple[int, int], tuple[int, int]]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def recording_draft(self, mode, size):
        result = real_draft(self, mode, size)
        drafts.append((size, self.size))
        return result

    monkeypatch.setattr(render_module, "open_image", counting_open)
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", recording_draft)
    data = f.jpeg(f.quadrants(3400, 2550), quality=70)
    rendition = render(data)
    assert opened == ["JPEG"]  # the thumbnail is made from the optimized pixels, not decoded again
    assert drafts == [((1600, 1200), (1700, 1275))]  # 1/2 scale: the smallest still >= 1600×1200
    assert _sizes(rendition) == ((1600, 1200), (256, 192))


def test_no_shrink_on_load_when_the_smallest_scale_would_be_too_small(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import JpegImagePlugin

    drafts: list[tuple[int, int]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def recording_draft(self, mode, size):
        result = real_draft(self, mode, size)
        drafts.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", recording_draft)
    render(f.jpeg(f.quadrants(3000, 1000), quality=70))
    assert drafts == [(3000, 1000)]  # 3000 // 1600 = 1: full scale


# --------------------------------------------------------------------------------------------
# enhancement


def _plain_resize(data: bytes, size: tuple[int, int]) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im = ImageOps.exif_transpose(im)
    return im.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def test_a_well_exposed_photo_changes_little() -> None:
    # The sample photo, stretched to span the whole range: well exposed by construction.
    source = Image.open(io.BytesIO(samples.photo_jpeg(2400, 1600, seed=21)))
    source = ImageOps.autocontrast(source.convert("RGB"), cutoff=0.5)
    data = f.jpeg(source, quality=95)
    out = _open(render(data).optimized)
    plain = _plain_resize(data, out.size)
    # The enhancement alone, on the same pixels: the curve is the identity, the sharpening light.
    from handlers.imaging.enhancement import auto_level, levels, sharpen

    assert levels(plain).is_identity
    assert _mean_abs_diff(sharpen(auto_level(plain)), plain) <= 1.5
    # Everything together, JPEG re-encoding of this grainy image included: a few levels.
    assert _mean_abs_diff(out, plain) <= 3.5


def test_a_hazy_photo_is_stretched_gently() -> None:
    source = Image.open(io.BytesIO(samples.photo_jpeg(1200, 800, seed=22))).convert("RGB")
    hazy = source.point(lambda v: 70 + v * 110 // 255)  # tones squeezed into 70..180
    data = f.jpeg(hazy, quality=95)
    out = _open(render(data).optimized)
    plain = _plain_resize(data, out.size)
    low, high = min(b[0] for b in out.getextrema()), max(b[1] for b in out.getextrema())
    plain_low = min(b[0] for b in plain.getextrema())
    plain_high = max(b[1] for b in plain.getextrema())
    assert high - low > plain_high - plain_low + 15  # more contrast …
    assert low > 30 and high < 230  # … but nowhere near a full stretch
    assert _mean_abs_diff(out, plain) < 15


def test_a_flat_image_is_left_alone() -> None:
    out = _open(render(f.jpeg(Image.new("RGB", (64, 64), (40, 60, 80)), quality=95)).optimized)
    r, g, b = (round(v) for v in ImageStat.Stat(out).mean)
    assert abs(r - 40) <= 2 and abs(g - 60) <= 2 and abs(b - 80) <= 2


def test_png_graphics_keep_their_colours() -> None:
    source = Image.new("RGB", (80, 60), (90, 100, 110))
    source.paste((120, 130, 140), (0, 0, 40, 60))  # narrow range: a photo would be stretched
    out = _open(render(f.png(source)).optimized)
    assert _mean_abs_diff(out, source) < 1.5


def test_sample_photos_change_little() -> None:
    for seed in (1, 2):
        data = samples.photo_jpeg(2400, 1600, seed=seed)
        out = _open(render(data).optimized)
        assert _mean_abs_diff(out, _plain_resize(data, out.size)) <= 6.0


def test_auto_level_unit() -> None:
    from handlers.imaging.enhancement import MAX_SHIFT, Levels, auto_level, levels

    full = Image.linear_gradient("L")  # 256 rows, one per level
    assert levels(full).is_identity
    assert auto_level(full) is full
    assert levels(Image.new("RGB", (8, 8), (100, 100, 100))).is_identity  # flat
    squeezed = full.point(lambda v: 60 + v * 120 // 255)
    assert levels(squeezed)[:2] == (MAX_SHIFT, 255 - MAX_SHIFT)
    slightly = full.point(lambda v: 10 + v * 235 // 255)  # 10..245: within the headroom caps
    curve = levels(slightly)
    assert curve[:2] == (10, 245)
    low, high = auto_level(slightly).getextrema()
    assert low == 0 and high == 255
    median = sorted(slightly.tobytes())[len(slightly.tobytes()) // 2]
    assert abs(curve.table()[median] - median) <= 1  # mid-tones keep their brightness
    table = Levels(20, 235, 1.1).table()
    assert table[0] == table[20] == 0 and table[235] == table[255] == 255
    assert table == sorted(table)  # the order of tones is kept
    with pytest.raises(ValueError, match="works on L or RGB, not RGBA"):
        levels(Image.new("RGBA", (4, 4)))
