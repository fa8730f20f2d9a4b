"""Identification by content: only JPEG and PNG pass, everything else is named in the reason."""

from __future__ import annotations

import gzip
import io
import random
import zipfile

import pytest
from PIL import Image

from handlers.imaging import ImageRejected, inspect_image
from harness import samples
from tests import imagefactory as f


def _pillow(fmt: str, **options: object) -> bytes:
    return f.encode(Image.new("RGB", (32, 32), (200, 40, 40)), fmt, **options)


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    return out.getvalue()


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    payload = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(payload)).to_bytes(4, "big") + b"ftyp" + payload + bytes(64)


def _unknown_binary() -> bytes:
    rng = random.Random(7)
    return b"\x00\x13\x37" + rng.randbytes(300)


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'
)

UNSUPPORTED = {
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "a PDF document"),
    "pdf-sample": (samples.pdf_document(), "a PDF document"),
    "gif": (_pillow("GIF"), "a GIF image"),
    "bmp": (_pillow("BMP"), "a BMP image"),
    "tiff": (_pillow("TIFF"), "a TIFF image"),
    "webp": (_pillow("WEBP"), "a WebP image"),
    "ico": (_pillow("ICO"), "an icon file (ICO)"),
    "heic": (_ftyp(b"heic", b"mif1", b"heic"), "a HEIC/HEIF image"),
    "heif-mif1": (_ftyp(b"mif1", b"heic"), "a HEIC/HEIF image"),
    "avif": (_ftyp(b"avif", b"mif1", b"avif"), "an AVIF image"),
    "mp4": (_ftyp(b"isom", b"isom", b"mp41"), "an MP4 video"),
    "zip": (_zip(), "a ZIP archive"),
    "gzip": (gzip.compress(b"hello"), "a gzip archive"),
    "svg": (SVG, "an SVG drawing"),
    "svg-bare": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "an SVG drawing"),
    "html": (b"<!DOCTYPE html>\n<html><body>hi</body></html>", "an HTML page"),
    "text": (samples.text_file(), "plain text"),
    "text-utf16": ("Grüße\nline two\n".encode("utf-16"), "plain text"),
    "text-one-char": (b"x", "plain text"),
}


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unsupported_formats_are_named(name: str) -> None:
    data, description = UNSUPPORTED[name]
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data)
    assert caught.value.code == "unsupported-format"
    assert caught.value.reason == f"{description}, not a JPEG or PNG"


def test_pillow_can_write_the_formats_we_build() -> None:
    # Guard against a Pillow without WebP: the WebP case above must really be WebP.
    assert UNSUPPORTED["webp"][0][8:12] == b"WEBP"


def test_unrecognised_content() -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(_unknown_binary())
    assert caught.value.code == "unsupported-format"
    assert caught.value.reason == "not a JPEG or PNG image (unrecognised content)"


def test_unrecognised_content_with_an_image_name() -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(_unknown_binary(), filename="uploads/alice/scan.png")
    assert caught.value.reason == "not a JPEG or PNG image (unrecognised content; the name ends in .png)"


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (UNSUPPORTED["pdf"][0], "invoice.jpg", "a PDF document, not a JPEG or PNG (the name ends in .jpg)"),
        (UNSUPPORTED["pdf"][0], "uploads/bob/invoice.pdf", "a PDF document, not a JPEG or PNG"),
        (UNSUPPORTED["pdf"][0], "invoice", "a PDF document, not a JPEG or PNG"),
        (UNSUPPORTED["pdf"][0], "invoice.dat", "a PDF document, not a JPEG or PNG"),
        (UNSUPPORTED["gif"][0], "cat.PNG", "a GIF image, not a JPEG or PNG (the name ends in .PNG)"),
        (UNSUPPORTED["text"][0], "uploads/bob/notes.JPEG", "plain text, not a JPEG or PNG (the name ends in .JPEG)"),
        (UNSUPPORTED["text"][0], "notes.txt", "plain text, not a JPEG or PNG"),
        (UNSUPPORTED["heic"][0], "IMG_0001.HEIC", "a HEIC/HEIF image, not a JPEG or PNG"),
        (UNSUPPORTED["tiff"][0], "DSC_0001.NEF", "a camera raw photo, not a JPEG or PNG"),
        (UNSUPPORTED["zip"][0], "my photos.v2.jpg", "a ZIP archive, not a JPEG or PNG (the name ends in .jpg)"),
    ],
)
def test_a_name_claiming_another_type_is_mentioned(data: bytes, filename: str, reason: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(data, filename=filename)
    assert caught.value.code == "unsupported-format"
    assert caught.value.reason == reason


def test_a_png_named_jpg_is_accepted_as_png() -> None:
    info = inspect_image(f.png(Image.new("RGB", (8, 6))), filename="uploads/alice/photo.jpg")
    assert (info.format, info.content_type) == ("PNG", "image/png")


def test_a_jpeg_named_png_is_accepted_as_jpeg() -> None:
    info = inspect_image(f.jpeg(Image.new("RGB", (8, 6))), filename="diagram.png")
    assert (info.format, info.content_type) == ("JPEG", "image/jpeg")


def test_a_jpeg_with_a_pdf_name_is_still_a_jpeg() -> None:
    assert inspect_image(f.jpeg(Image.new("L", (8, 6))), filename="scan.pdf").format == "JPEG"


@pytest.mark.parametrize("filename", [None, "empty.jpg"])
def test_empty_file(filename: str | None) -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(b"", filename=filename)
    assert (caught.value.code, caught.value.reason) == ("empty", "the file is empty")


def test_info_of_a_jpeg() -> None:
    data = f.jpeg(Image.new("RGB", (40, 30)), orientation=6)
    info = inspect_image(data)
    assert info == type(info)("JPEG", 40, 30, "RGB", 6, False, len(data))
    assert info.content_type == "image/jpeg"
    assert info.upright_size == (30, 40)


def test_info_of_grayscale_and_cmyk_jpegs() -> None:
    assert inspect_image(f.jpeg(Image.new("L", (5, 4)))).mode == "L"
    assert inspect_image(f.jpeg(Image.new("CMYK", (5, 4)))).mode == "CMYK"


@pytest.mark.parametrize(
    ("im", "options", "mode", "has_alpha"),
    [
        (Image.new("RGB", (9, 7)), {}, "RGB", False),
        (Image.new("RGBA", (9, 7)), {}, "RGBA", True),
        (Image.new("LA", (9, 7)), {}, "LA", True),
        (Image.new("L", (9, 7)), {}, "L", False),
        (Image.new("L", (9, 7)), {"transparency": 0}, "L", True),
        (Image.new("P", (9, 7)), {}, "P", False),
        (Image.new("P", (9, 7)), {"transparency": 0}, "P", True),
        (Image.new("I;16", (9, 7)), {}, "I;16", False),
        (Image.new("1", (9, 7)), {}, "1", False),
    ],
)
def test_info_of_pngs(im: Image.Image, options: dict[str, object], mode: str, has_alpha: bool) -> None:
    data = f.png(im, **options)
    info = inspect_image(data)
    assert (info.format, info.width, info.height, info.mode, info.has_alpha) == ("PNG", 9, 7, mode, has_alpha)
    assert info.orientation == 1
    assert info.byte_size == len(data)


def test_an_mpo_is_a_jpeg() -> None:
    first, second = Image.new("RGB", (20, 10), "red"), Image.new("RGB", (20, 10), "blue")
    data = f.encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    assert inspect_image(data).format == "JPEG"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_from_jpeg_exif(orientation: int) -> None:
    assert inspect_image(f.jpeg(Image.new("RGB", (8, 8)), orientation=orientation)).orientation == orientation


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_from_png_exif(orientation: int) -> None:
    assert inspect_image(f.png(Image.new("RGB", (8, 8)), orientation=orientation)).orientation == orientation


def test_orientation_from_an_exif_chunk_after_the_image_data() -> None:
    exif = f.exif_with_orientation(8).tobytes()
    data = f.raw_png(8, 4, trailing=[(b"eXIf", exif)])
    assert inspect_image(data).orientation == 8


def test_orientation_from_xmp_when_exif_has_none() -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description tiff:Orientation="6"/></x:xmpmeta>'
    assert inspect_image(f.jpeg(Image.new("RGB", (8, 8)), xmp=xmp)).orientation == 6


@pytest.mark.parametrize("value", [0, 9, 300])
def test_an_invalid_orientation_counts_as_1(value: int) -> None:
    assert inspect_image(f.jpeg(Image.new("RGB", (8, 8)), orientation=value)).orientation == 1


def test_garbage_exif_counts_as_orientation_1() -> None:
    data = f.jpeg(Image.new("RGB", (8, 8)), exif=b"Exif\x00\x00MM\x00*garbage")
    assert inspect_image(data).orientation == 1
    data = f.raw_png(8, 4, extra=[(b"eXIf", b"\x01\x02\x03")])
    assert inspect_image(data).orientation == 1


def test_bytearray_and_memoryview_are_accepted() -> None:
    data = f.png(Image.new("RGB", (3, 2)))
    assert inspect_image(bytearray(data)).format == "PNG"
    assert inspect_image(memoryview(data)).format == "PNG"


def test_not_bytes_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        inspect_image("a string")  # deliberately not bytes


def test_rejection_is_an_exception_with_reason_and_code() -> None:
    import pickle

    error = ImageRejected("the file is empty", "empty")
    assert str(error) == "the file is empty"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.code) == ("the file is empty", "empty")
    with pytest.raises(ValueError, match="unknown rejection code"):
        ImageRejected("empty", "the file is empty")  # arguments swapped
