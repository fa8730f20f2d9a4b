"""The formats section's own pieces (libvips is not needed: it is the benchmark's, not the tests'):
the quality measures, the search for libvips's matching quality, and the report."""

from __future__ import annotations

import io

from PIL import Image, ImageFilter

from harness.bench import formats_worker
from harness.bench.formats import ENHANCE_MEMORY_GB, LAMBDA_PRICE_PER_GB_S
from harness.bench.kernel import PSNR_IDENTICAL
from harness.bench.report import render
from harness.samples import photo_jpeg

PHOTO = Image.open(io.BytesIO(photo_jpeg(320, 240, seed=5))).convert("RGB")


def _jpeg(quality: int) -> bytes:
    out = io.BytesIO()
    PHOTO.save(out, "JPEG", quality=quality)
    return out.getvalue()


def test_ssim_is_one_for_the_same_pixels_and_falls_as_they_are_spoilt():
    assert formats_worker.ssim(PHOTO, PHOTO) == 1.0
    softer, blurred = PHOTO.filter(ImageFilter.GaussianBlur(1)), PHOTO.filter(ImageFilter.GaussianBlur(3))
    assert 1.0 > formats_worker.ssim(PHOTO, softer) > formats_worker.ssim(PHOTO, blurred) > 0
    assert formats_worker.psnr(PHOTO, PHOTO) == PSNR_IDENTICAL  # the kernel section's measure, shared
    assert formats_worker.psnr(PHOTO, softer) > formats_worker.psnr(PHOTO, blurred)


def test_the_matched_quality_is_the_lowest_that_reaches_the_target_from_either_side():
    target = formats_worker.ssim(PHOTO, Image.open(io.BytesIO(_jpeg(70))))

    def reaches(quality: int) -> bool:
        return formats_worker.ssim(PHOTO, Image.open(io.BytesIO(_jpeg(quality)))) >= target

    for start in (40, 70, 95):
        quality, data = formats_worker.matched(_jpeg, PHOTO, target, start)
        assert data == _jpeg(quality) and reaches(quality)
        assert quality == 1 or not reaches(quality - 1)


def test_the_enhance_rows_count_the_files_each_setting_makes():
    rows = formats_worker.enhance_rows()
    assert [(row["outputs"], row["variants"]) for row in rows] == [("JPEG alone", 2), ("defaults", 12)]
    assert all(row["render_ms"] > 0 for row in rows)


def test_the_report_gives_each_format_its_ratios_and_the_cost_per_1000():
    row = {
        "case": "photo 1600 px",
        "format": "avif",
        "quality": 63,
        "ours_ms": 90.0,
        "pyvips_ms": 100.0,
        "ours_bytes": 66_000,
        "pyvips_bytes": 64_000,
        "pyvips_matched_bytes": 60_000,
        "ours_ssim": 0.95,
        "pyvips_ssim": 0.951,
        "ours_psnr_db": 41.9,
        "pyvips_psnr_db": 42.6,
        "pyvips_matched_quality": 60,
    }
    cost = round(1000 * 0.5 * ENHANCE_MEMORY_GB * LAMBDA_PRICE_PER_GB_S, 5)
    enhance = [{"outputs": "defaults", "variants": 12, "render_ms": 500.0, "usd_per_1000": cost}]
    text = render({"formats": {"formats": [row], "enhance": enhance}})
    assert "photo 1600 px avif: ours 0.90× pyvips time, +10.0% bytes at matched SSIM" in text
    assert f"{cost:.4f}" in text and "defaults" in text
