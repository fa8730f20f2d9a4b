"""Deterministic sample files for the demo, the benchmarks and the tests.

Every generator is seeded and pure (Pillow + stdlib, no numpy), so the same call returns the
same bytes on every machine with the same Pillow, and it is fast: a 2 MP photo-like JPEG takes
a few tens of milliseconds.

- :func:`photo_jpeg`: a landscape-like photo (sky, sun, hills, trees, sensor-like grain) with
  camera EXIF (make, model, date, GPS) and an EXIF orientation tag. ``width`` × ``height`` is
  the *upright* size; for orientations 5-8 the stored pixels are ``height`` × ``width`` and
  turned so that a viewer honouring the tag sees the sky at the top.
- :func:`graphic_png`: a flat-colour diagram (what screenshots and charts look like).
- :func:`alpha_png`: a logo on a transparent background (RGBA, real transparency).
- Invalid files: :func:`pdf_document`, :func:`truncated_jpeg`, :func:`text_file`.
- :func:`demo_samples`: a named set of the above with the outcome the pipeline must reach,
  for ``make demo`` and the end-to-end tests.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from harness.photo_metadata import IPTC_UTF8, with_iptc, xmp_packet

__all__ = [
    "Sample",
    "alpha_png",
    "demo_samples",
    "graphic_png",
    "pdf_document",
    "photo_jpeg",
    "text_file",
    "truncated_jpeg",
]

_ORIENTATION_TAG = 0x0112
# Stored pixels for a tag = the upright scene with the inverse of what the tag asks a viewer to do.
INVERSE_OF_TAG: dict[int, Image.Transpose | None] = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@dataclass(frozen=True)
class Sample:
    """One file to upload, and what the pipeline must make of it."""

    name: str
    data: bytes
    content_type: str  # what a client would send, judged by the name (may be wrong on purpose)
    expected: Literal["processed", "rejected"]
    reason: str | None  # the rejection reason the pipeline records, when rejected
    description: str


def _rgb(rng: random.Random, base: tuple[int, int, int], spread: int) -> tuple[int, int, int]:
    red, green, blue = (max(0, min(255, c + rng.randint(-spread, spread))) for c in base)
    return red, green, blue


def _grain(size: tuple[int, int], rng: random.Random, amplitude: int) -> Image.Image:
    """Luminance grain in 0..2*amplitude: a seeded random tile repeated at random offsets."""
    tile_side = 128
    levels = bytes(round(i * 2 * amplitude / 255) for i in range(256))
    tile = Image.frombytes("L", (tile_side, tile_side), rng.randbytes(tile_side * tile_side))
    tile = tile.point(levels)
    grain = Image.new("L", size)
    width, height = size
    dx, dy = rng.randrange(tile_side), rng.randrange(tile_side)
    for y in range(-dy, height, tile_side):
        for x in range(-dx, width, tile_side):
            grain.paste(tile, (x, y))
    return grain


def _scene(width: int, height: int, rng: random.Random) -> Image.Image:
    """The upright, grain-free landscape at ``width`` × ``height``."""
    # Compose at a fraction of the size (cheap), then scale up smoothly: the large shapes of a photo.
    scale = max(1, min(4, max(width, height) // 256))
    sw, sh = max(1, width // scale), max(1, height // scale)
    horizon = round(sh * rng.uniform(0.45, 0.62))

    top = _rgb(rng, (70, 120, 200), 20)
    low = _rgb(rng, (200, 215, 235), 15)
    gradient = Image.linear_gradient("L").resize((sw, max(1, horizon)))
    sky = Image.composite(Image.new("RGB", gradient.size, low), Image.new("RGB", gradient.size, top), gradient)
    im = Image.new("RGB", (sw, sh), _rgb(rng, (60, 100, 45), 15))
    im.paste(sky, (0, 0))
    draw = ImageDraw.Draw(im)

    sun_r = max(2, sh // 12)
    sun_x, sun_y = rng.randrange(sw), rng.randrange(max(1, horizon // 2) + 1)
    draw.ellipse((sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r), fill=(255, 244, 214))

    for layer, (base, rise) in enumerate((((95, 120, 150), 0.30), ((70, 110, 60), 0.18), ((50, 85, 40), 0.08))):
        step = max(2, sw // 12)
        points = [(0, sh)]
        for x in range(0, sw + step, step):
            points.append((x, horizon - round(sh * rise * rng.uniform(0.2, 1.0)) + layer * sh // 20))
        points.append((sw, sh))
        draw.polygon(points, fill=_rgb(rng, base, 12))

    for _ in range(rng.randint(6, 14)):  # trees
        x = rng.randrange(sw)
        base_y = horizon + rng.randrange(max(1, sh - horizon))
        h = max(3, round(sh * rng.uniform(0.05, 0.18)))
        w = max(2, h // 3)
        draw.rectangle((x - max(1, w // 8), base_y - h // 3, x + max(1, w // 8), base_y), fill=(70, 50, 30))
        draw.polygon(
            [(x - w, base_y - h // 4), (x, base_y - h), (x + w, base_y - h // 4)], fill=_rgb(rng, (35, 80, 35), 15)
        )

    im = im.filter(ImageFilter.GaussianBlur(0.8))
    im = im.resize((width, height), Image.Resampling.BICUBIC)

    # Fine detail at full size: grass strokes below the horizon, then grain over everything.
    draw = ImageDraw.Draw(im)
    ground_top = horizon * scale
    if height > ground_top:
        for _ in range(width * (height - ground_top) // 400):
            x, y = rng.randrange(width), rng.randrange(ground_top, height)
            length = rng.randint(2, 6)
            draw.line((x, y, x + rng.randint(-2, 2), y - length), fill=_rgb(rng, (80, 120, 55), 30))
    amplitude = 7
    grain = _grain((width, height), rng, amplitude).convert("RGB")
    return ImageChops.add(im, grain, 1.0, -amplitude)


def _camera_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "imagepipe"  # Make
    exif[0x0110] = "Sample Camera"  # Model
    exif[0x0132] = "2024:06:01 12:00:00"  # DateTime (the file's last change)
    exif[_ORIENTATION_TAG] = orientation
    exif.get_ifd(0x8769)[0x9003] = "2024:06:01 11:58:30"  # DateTimeOriginal: when the photo was taken
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 22.0, 12.5)
    gps[3] = "E"
    gps[4] = (4.0, 53.0, 40.0)
    return exif


def photo_jpeg(
    width: int = 1600,
    height: int = 1200,
    *,
    orientation: int = 1,
    seed: int = 0,
    quality: int = 90,
    progressive: bool = False,
    icc: bool = False,
    full_range: bool = False,
) -> bytes:
    """A photo-like JPEG whose *upright* size is ``width`` × ``height``, tagged with ``orientation``.

    The scene is slightly dull (its tones stop short of black and white), so the enhancement has
    something to do; ``full_range`` stretches it to span 0..255 (0.5 % clipped at each end), as a
    well-exposed camera JPEG does, and the enhancement's tone curve then leaves it as it is.
    ``icc`` embeds an sRGB ICC profile (as many cameras and editors do).
    """
    if orientation not in INVERSE_OF_TAG:
        raise ValueError(f"orientation must be 1..8, not {orientation!r}")
    rng = random.Random(f"photo:{seed}:{width}x{height}")
    im = _scene(width, height, rng)
    if full_range:
        im = ImageOps.autocontrast(im, cutoff=0.5)
    inverse = INVERSE_OF_TAG[orientation]
    if inverse is not None:
        im = im.transpose(inverse)
    options: dict[str, object] = {
        "quality": quality,
        "progressive": progressive,
        "exif": _camera_exif(orientation),
    }
    if icc:
        from PIL import ImageCms

        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    im.save(out, "JPEG", **options)
    return out.getvalue()


def graphic_png(width: int = 800, height: int = 600, *, seed: int = 0) -> bytes:
    """A flat-colour diagram as an opaque RGB PNG: boxes, bars and lines."""
    rng = random.Random(f"graphic:{seed}:{width}x{height}")
    im = Image.new("RGB", (width, height), (250, 250, 247))
    draw = ImageDraw.Draw(im)
    palette = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]
    margin = max(1, min(width, height) // 12)
    bars = 8
    slot = max(1, (width - 2 * margin) // bars)
    for i in range(bars):
        bar_h = round((height - 2 * margin) * rng.uniform(0.15, 0.95))
        x0 = margin + i * slot + slot // 6
        draw.rectangle(
            (x0, height - margin - bar_h, x0 + max(1, slot * 2 // 3), height - margin), fill=palette[i % len(palette)]
        )
    draw.line(
        (margin, height - margin, width - margin, height - margin), fill=(40, 40, 40), width=max(1, height // 200)
    )
    draw.line((margin, margin, margin, height - margin), fill=(40, 40, 40), width=max(1, width // 200))
    draw.text((margin, margin // 3), "imagepipe sample chart", fill=(40, 40, 40))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def alpha_png(width: int = 512, height: int = 512, *, seed: int = 0) -> bytes:
    """A logo on a fully transparent background, with soft (semi-transparent) edges: RGBA PNG."""
    rng = random.Random(f"alpha:{seed}:{width}x{height}")
    big = (width * 2, height * 2)  # drawn at 2x and scaled down for anti-aliased edges
    im = Image.new("RGBA", big, (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    color = _rgb(rng, (230, 90, 40), 25)
    pad_x, pad_y = big[0] // 8, big[1] // 8
    draw.ellipse((pad_x, pad_y, big[0] - pad_x, big[1] - pad_y), fill=(*color, 255))
    inner_x, inner_y = big[0] // 4, big[1] // 4
    draw.rounded_rectangle(
        (inner_x, inner_y, big[0] - inner_x, big[1] - inner_y), radius=max(1, min(big) // 16), fill=(255, 255, 255, 200)
    )
    im = im.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def pdf_document() -> bytes:
    """A small, valid one-page PDF (what gets uploaded by mistake as an 'image')."""
    content = b"BT /F1 24 Tf 72 720 Td (Invoice 2024-001) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def truncated_jpeg(width: int = 1200, height: int = 900, *, seed: int = 0, keep: float = 0.6) -> bytes:
    """A photo-like JPEG cut off after ``keep`` of its bytes (an interrupted upload)."""
    data = photo_jpeg(width, height, seed=seed)
    return data[: max(1, int(len(data) * keep))]


def text_file() -> bytes:
    """A few lines of plain UTF-8 text."""
    return (
        b"Shopping list\n"
        b"- coffee beans\n"
        b"- oat milk\n"
        b"- batteries (AA)\n"
        b"Remember: the photos from Saturday are on the laptop, not here.\n"
    )


CREDITED_SAMPLE = "harbour at dawn.jpg"  # the demo's picture-desk photo (credited_jpeg)


def credited_jpeg(jpeg: bytes) -> bytes:
    """`jpeg` as a picture desk sends it: its caption, photographer, date, copyright and keywords in
    an XMP packet (as Lightroom writes it) and in IPTC IIM (as Photo Mechanic does, for older
    tools); ingest reads the XMP first (handlers/imaging/credits.py)."""
    with Image.open(io.BytesIO(jpeg)) as im:
        exif = im.info.get("exif", b"")
        out = io.BytesIO()
        packet = xmp_packet(
            "Fishing boats leave the harbour at dawn",
            ["Mara Quinn"],
            "© 2025 Mara Quinn / North Desk. All rights reserved.",
            ["harbour", "boats", "dawn"],
            "2025-06-21T05:12:00+01:00",
        )
        im.save(out, "JPEG", quality=90, exif=exif, xmp=packet)
    iptc = [IPTC_UTF8, ((2, 120), b"Fishing boats at dawn"), ((2, 80), b"M. Quinn"), ((2, 116), b"(c) 2025 Mara Quinn")]
    return with_iptc(out.getvalue(), iptc)


def smaller_copy(jpeg: bytes, scale: float = 0.5, quality: int = 55) -> bytes:
    """`jpeg` as someone resends it: scaled down and recompressed (a near-copy, `duplicate_of`)."""
    with Image.open(io.BytesIO(jpeg)) as im:
        out = io.BytesIO()
        im.resize((round(im.width * scale), round(im.height * scale))).save(out, "JPEG", quality=quality)
    return out.getvalue()


def demo_samples() -> list[Sample]:
    """The files ``make demo`` pushes through the pipeline, with the outcome each must reach."""
    return [*_published_samples(), *_refused_samples()]


def _published_samples() -> list[Sample]:
    """The demo's images the pipeline publishes."""
    return [
        Sample(
            "beach walk.jpg",
            photo_jpeg(2400, 1600, orientation=1, seed=1),
            "image/jpeg",
            "processed",
            None,
            "2400×1600 photo-like JPEG with camera EXIF and GPS (stripped in the outputs)",
        ),
        Sample(
            "beach walk (resent).jpg",
            smaller_copy(photo_jpeg(2400, 1600, orientation=1, seed=1)),
            "image/jpeg",
            "processed",
            None,
            "the beach photo again, half the size at JPEG quality 55 (flagged: looks like beach walk.jpg)",
        ),
        Sample(
            CREDITED_SAMPLE,
            credited_jpeg(photo_jpeg(1800, 1200, orientation=1, seed=6)),
            "image/jpeg",
            "processed",
            None,
            "a picture desk's photo: caption, credit, copyright and keywords in its XMP and IPTC",
        ),
        Sample(
            "portrait+rotated.jpg",
            photo_jpeg(1200, 1800, orientation=6, seed=2),
            "image/jpeg",
            "processed",
            None,
            "portrait photo stored sideways with EXIF orientation 6 (comes out upright)",
        ),
        Sample(
            "chart.png",
            graphic_png(1000, 700, seed=3),
            "image/png",
            "processed",
            None,
            "opaque RGB PNG diagram (published as JPEG)",
        ),
        Sample(
            "logo-transparent.png",
            alpha_png(600, 600, seed=4),
            "image/png",
            "processed",
            None,
            "RGBA PNG logo with transparency (published as PNG, alpha kept)",
        ),
    ]


def _refused_samples() -> list[Sample]:
    """The demo's files the pipeline refuses, each with its reason."""
    return [
        Sample(
            "invoice.pdf",
            pdf_document(),
            "application/pdf",
            "rejected",
            "a PDF document, not a JPEG or PNG",
            "a PDF uploaded by mistake",
        ),
        Sample(
            "holiday.jpg",
            truncated_jpeg(seed=5),
            "image/jpeg",
            "rejected",
            "JPEG data is truncated",
            "a JPEG cut off mid-upload",
        ),
        Sample(
            "notes.jpg",
            text_file(),
            "image/jpeg",
            "rejected",
            "plain text, not a JPEG or PNG (the name ends in .jpg)",
            "a text file with a .jpg name",
        ),
    ]
