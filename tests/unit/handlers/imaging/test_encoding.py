"""Encoding: every variant in JPEG/PNG and the modern formats, the optimized image's narrower widths,
and no metadata but the copyright notice."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from handlers.contract import EXTENSIONS
from handlers.imaging import Outputs, Variant, render
from handlers.imaging.credits import EXIF_COPYRIGHT, Credits, from_xmp
from handlers.imaging.encoding import PNG_COMPRESS_LEVEL
from handlers.imaging.png_writer import encode_png
from harness import samples
from tests import imagefactory as f


def _open(variant: Variant) -> Image.Image:
    im = Image.open(io.BytesIO(variant.data))
    im.load()
    assert (im.format, im.size) == (variant.format, (variant.width, variant.height))
    assert (variant.content_type, variant.extension) == (
        f"image/{variant.image_format}",
        EXTENSIONS[variant.image_format],
    )
    return im


def _made(variants: tuple[Variant, ...]) -> list[tuple[str, str, int, bool]]:
    return [(v.name, v.image_format, v.width, v.narrower) for v in variants]


# --------------------------------------------------------------------------------------------
# formats and widths


def test_a_photo_is_published_in_every_format_and_its_narrower_widths_widest_first() -> None:
    rendition = render(samples.photo_jpeg(3000, 2000, seed=4))
    assert _made(rendition.variants) == [
        (name, image_format, width, narrower)
        for name, width, narrower in (
            ("optimized", 1600, False),
            ("optimized", 960, True),
            ("optimized", 480, True),
            ("thumbnail", 256, False),
        )
        for image_format in ("jpeg", "webp", "avif")
    ]
    for variant in rendition.variants:
        im = _open(variant)
        assert im.mode == "RGB" and abs(variant.height - variant.width * 2 / 3) <= 1


def test_a_transparent_image_keeps_its_transparency_in_every_format() -> None:
    rendition = render(f.png(f.soft_cutout("RGBA", (1200, 900))))
    assert {v.image_format for v in rendition.variants} == {"png", "webp", "avif"}
    for variant in rendition.variants:
        alpha = _open(variant).convert("RGBA").getchannel("A")
        assert alpha.getextrema() == (0, 255), variant.image_format  # the surround stays see-through
        assert alpha.getpixel((variant.width // 2, variant.height // 2)) == 255


def test_a_grayscale_photo_is_published_in_every_format() -> None:
    rendition = render(f.jpeg(f.quadrants(1000, 800).convert("L")))
    assert [_open(v).mode for v in rendition.variants if v.width == 1000] == ["L", "RGB", "RGB"]


@pytest.mark.parametrize(
    ("width", "widths", "made"),
    [
        (1600, (480, 960), [960, 480]),
        (1000, (480, 960), [480]),  # 960 is more than 80 % of 1000: it would save a browser nothing
        (600, (480, 960), [480]),
        (500, (480, 960), []),  # never upscaled, nor next to the image's own width
        (1600, (), []),
        (1600, (1280, 320, 640), [1280, 640, 320]),
    ],
)
def test_the_narrower_widths_are_those_well_below_the_optimized_width(
    width: int, widths: tuple[int, ...], made: list[int]
) -> None:
    rendition = render(f.jpeg(f.quadrants(width, width // 2)), outputs=Outputs((), widths))
    assert [v.width for v in rendition.variants if v.narrower] == made
    assert [v.height for v in rendition.variants if v.narrower] == [round(w / 2) for w in made]


def test_jpeg_alone_is_two_variants() -> None:
    rendition = render(samples.photo_jpeg(900, 600, seed=3), outputs=Outputs((), ()))
    assert _made(rendition.variants) == [("optimized", "jpeg", 900, False), ("thumbnail", "jpeg", 256, False)]
    assert rendition.more == ()


@pytest.mark.parametrize(
    ("formats", "widths", "wrong"),
    [
        (("gif",), (), "'gif' is not one of webp, avif"),
        (("jpeg",), (), "'jpeg' is not one of webp, avif"),
        (("webp", "webp"), (), "names a format twice"),
        ((), (8,), "16..16383"),
        ((), (480.0,), "16..16383"),
        ((), (480, 480), "different widths"),
        ((), tuple(range(100, 1000, 100)), "at most 8"),
    ],
)
def test_outputs_are_checked(formats: tuple, widths: tuple, wrong: str) -> None:
    with pytest.raises(ValueError, match=wrong):
        Outputs(formats, widths)


def test_jpeg_outputs_are_progressive_with_optimized_tables() -> None:
    rendition = render(samples.photo_jpeg(900, 600, seed=3))
    for variant in rendition.variants:
        if variant.image_format == "jpeg":
            im = _open(variant)
            assert im.info.get("progressive") or im.info.get("progression")
            assert b"\xff\xc2" in variant.data  # SOF2: progressive DCT


# --------------------------------------------------------------------------------------------
# metadata


def _tagged_sources() -> list[bytes]:
    """A photo, a graphic and a transparent image, each with GPS, ICC, XMP and comments."""
    from PIL import ImageCms

    exif = f.exif_with_orientation(1)
    exif[EXIF_COPYRIGHT] = "source's own notice"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 22.0, 12.5)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description dc:creator="someone"/></x:xmpmeta>'
    photo = f.jpeg(f.quadrants(2000, 1200), exif=exif, icc_profile=icc, xmp=xmp, comment=b"secret comment")
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "secret comment")
    text.add_itxt("XML:com.adobe.xmp", xmp.decode())
    graphic = f.png(f.quadrants(40, 40).convert("RGBA"), exif=exif, icc_profile=icc, pnginfo=text)
    transparent = f.png(Image.new("RGBA", (40, 40), (1, 2, 3, 4)), exif=exif, icc_profile=icc, pnginfo=text)
    return [photo, graphic, transparent]


def test_all_metadata_is_stripped_without_a_notice() -> None:
    for data in _tagged_sources():
        for variant in render(data).variants:
            out = _open(variant)
            assert not out.getexif()
            for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Comment"):
                assert key not in out.info, (variant.format, key)
            for marker in (b"Exif", b"ICC_PROFILE", b"http://ns.adobe.com/xap", b"secret", b"eXIf", b"iCCP", b"iTXt"):
                assert marker not in variant.data, (variant.format, marker)


@pytest.mark.parametrize(
    "notice",
    ["© 2025 Mara Quinn / North Desk. All rights reserved.", "(c) 2026 A & B <photo desk>", "Åsa Lind 2026"],
)
def test_the_copyright_notice_and_nothing_else_is_kept_in_every_variant(notice: str) -> None:
    for data in _tagged_sources():
        for variant in render(data, notice=notice).variants:
            out = _open(variant)
            assert from_xmp(out.info.get("xmp") or out.info.get("XML:com.adobe.xmp")) == Credits(copyright=notice)
            exif = out.getexif()
            assert dict(exif) == ({EXIF_COPYRIGHT: notice} if notice.isascii() else {}), variant.format
            assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
            for marker in (b"ICC_PROFILE", b"iCCP", b"secret", b"someone", b"source's own notice"):
                assert marker not in variant.data, (variant.format, marker)


# --------------------------------------------------------------------------------------------
# PNG


def _png_image_data(data: bytes) -> bytes:
    """The inflated IDAT stream of a PNG: its rows with their filter bytes."""
    return zlib.decompress(b"".join(data[o + 8 : o + 8 + n] for o, ctype, n in f.png_chunks(data) if ctype == b"IDAT"))


@pytest.mark.parametrize(
    "im",
    [
        f.soft_cutout("RGBA", (640, 480)),
        f.soft_cutout("LA", (333, 250)),
        Image.new("RGBA", (1, 1), (1, 2, 3, 4)),
        Image.new("LA", (3000, 2), (9, 200)),
    ],
    ids=["rgba", "la", "one-pixel", "wide"],
)
def test_png_encoding_is_pillows_filters_deflated_by_zlib_ng(im: Image.Image) -> None:
    data = encode_png(im, PNG_COMPRESS_LEVEL)
    assert [ctype for _, ctype, _ in f.png_chunks(data)] == [b"IHDR", b"IDAT", b"IEND"]
    out = Image.open(io.BytesIO(data))
    assert (out.mode, out.size, out.tobytes()) == (im.mode, im.size, im.tobytes())  # lossless
    reference = io.BytesIO()
    im.save(reference, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    # The same filter on every row as Pillow's own encoder, and about the same size.
    assert _png_image_data(data) == _png_image_data(reference.getvalue())
    assert len(data) <= 1.05 * len(reference.getvalue()) + 64
