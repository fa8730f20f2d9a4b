"""The formats section's measuring process (`python -m harness.bench.formats_worker <out.json>`),
pinned to one CPU so that both encoders (libaom and libwebp through Pillow, and through libvips with
`VIPS_CONCURRENCY=1`) run single-threaded, as the kernel's contenders do.

For each case, the pixels are our optimized image (the 1600 px rendition, decoded), so both encoders
get exactly the same input. Each encoder runs at the pipeline's settings (handlers/imaging/encoding.py:
quality, effort); quality is then matched on SSIM against those pixels (:func:`ssim`: luma, 8×8
blocks): libvips's lowest quality whose file is at least as close to the pixels as ours, and its
size there, is the comparison (`pyvips_matched_bytes`). PSNR (every channel) is reported beside it:
libaom tuned for images, as libavif runs it, spends less on what PSNR counts than libheif does.

Also the enhance stage's whole render of a 12 MP photo, JPEG alone and with the default formats and
widths: what the modern formats add to each upload's compute.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Final, cast

from PIL import Image, ImageMath

from handlers.contract import MODERN_FORMATS, ImageFormat
from handlers.imaging import Outputs, render
from handlers.imaging.encoding import AVIF_QUALITY, AVIF_SPEED, WEBP_METHOD, WEBP_QUALITY, encode
from harness import samples
from harness.bench.kernel import psnr

ROUNDS: Final = 5
FORMATS: Final[tuple[ImageFormat, ...]] = MODERN_FORMATS


def _median_ms(run: Callable[[], bytes]) -> tuple[float, bytes]:
    run()  # warm
    times, data = [], b""
    for _ in range(ROUNDS):
        started = time.perf_counter()
        data = run()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1), data


def _pixels() -> dict[str, Image.Image]:
    photo = render(samples.photo_jpeg(4000, 3000, orientation=6, seed=12), outputs=Outputs((), ())).optimized
    cutout = render(samples.alpha_png(2000, 2000, seed=4), outputs=Outputs((), ())).optimized
    return {
        "photo 1600 px": Image.open(io.BytesIO(photo.data)).convert("RGB"),
        "alpha 1600 px": Image.open(io.BytesIO(cutout.data)).convert("RGBA"),
    }


def _vips_encoder(im: Image.Image, image_format: str) -> Callable[[int], bytes]:
    import pyvips

    bands = len(im.getbands())
    source = pyvips.Image.new_from_memory(im.tobytes(), im.width, im.height, bands, "uchar")
    if image_format == "webp":
        return lambda quality: source.webpsave_buffer(Q=quality, effort=WEBP_METHOD, keep="none")
    # libvips's AVIF effort is libaom's speed the other way round (effort 9 - speed).
    effort = max(0, 9 - AVIF_SPEED)
    return lambda quality: source.heifsave_buffer(Q=quality, compression="av1", effort=effort, keep="none")


def ssim(a: Image.Image, b: Image.Image, block: int = 8) -> float:
    """SSIM of `b` against `a` on luma, over `block`×`block` blocks (the means, variances and
    covariance of each block; the constants of Wang et al. 2004), averaged."""
    x, y = a.convert("L").convert("F"), b.convert("L").convert("F")

    def means(im: Image.Image) -> list[float]:
        return [float(cast(float, value)) for value in im.reduce(block).get_flattened_data()]

    def product(p: Image.Image, q: Image.Image) -> Image.Image:
        made = ImageMath.lambda_eval(lambda e: e["p"] * e["q"], p=p, q=q)
        assert isinstance(made, Image.Image)
        return made

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    scores = []
    for mx, my, mxx, myy, mxy in zip(
        means(x), means(y), means(product(x, x)), means(product(y, y)), means(product(x, y)), strict=True
    ):
        vx, vy, cxy = mxx - mx * mx, myy - my * my, mxy - mx * my
        scores.append(((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2)))
    return round(statistics.fmean(scores), 5)


def matched(vips: Callable[[int], bytes], im: Image.Image, target: float, quality: int) -> tuple[int, bytes]:
    """libvips's lowest quality whose file's SSIM against `im` is at least `target` (from `quality`,
    down while it stays so, or up until it is), and that file."""
    data = vips(quality)
    if ssim(im, Image.open(io.BytesIO(data))) >= target:
        while quality > 1 and ssim(im, Image.open(io.BytesIO(lower := vips(quality - 1)))) >= target:
            quality, data = quality - 1, lower
        return quality, data
    while quality < 100 and ssim(im, Image.open(io.BytesIO(data))) < target:
        quality += 1
        data = vips(quality)
    return quality, data


def format_row(case: str, im: Image.Image, image_format: ImageFormat) -> dict[str, Any]:
    """Ours against libvips for `im` in `image_format`: time, bytes, SSIM and PSNR at the pipeline's
    settings, and libvips's bytes at our SSIM."""
    ours_ms, ours = _median_ms(lambda: encode(im.copy(), image_format).data)
    ours_ssim = ssim(im, Image.open(io.BytesIO(ours)))
    vips = _vips_encoder(im, image_format)
    quality = WEBP_QUALITY if image_format == "webp" else AVIF_QUALITY
    vips_ms, theirs = _median_ms(lambda: vips(quality))
    matched_quality, matched_data = matched(vips, im, ours_ssim, quality)
    return {
        "case": case,
        "format": image_format,
        "quality": quality,
        "ours_ms": ours_ms,
        "pyvips_ms": vips_ms,
        "ours_bytes": len(ours),
        "pyvips_bytes": len(theirs),
        "ours_ssim": ours_ssim,
        "pyvips_ssim": ssim(im, Image.open(io.BytesIO(theirs))),
        "ours_psnr_db": psnr(im, Image.open(io.BytesIO(ours))),
        "pyvips_psnr_db": psnr(im, Image.open(io.BytesIO(theirs))),
        "pyvips_matched_quality": matched_quality,
        "pyvips_matched_bytes": len(matched_data),
    }


def format_rows() -> list[dict[str, Any]]:
    return [format_row(case, im, image_format) for case, im in _pixels().items() for image_format in FORMATS]


def _rendered(photo: bytes, outputs: Outputs) -> bytes:
    return render(photo, outputs=outputs).optimized.data


def enhance_rows() -> list[dict[str, Any]]:
    photo = samples.photo_jpeg(4000, 3000, orientation=6, seed=12)
    rows = []
    for label, outputs in (("JPEG alone", Outputs((), ())), ("defaults", Outputs())):
        ms, _ = _median_ms(partial(_rendered, photo, outputs))
        made = render(photo, outputs=outputs)
        rows.append({"outputs": label, "render_ms": ms, "variants": len(made.variants)})
    return rows


def main(argv: list[str]) -> int:
    os.environ["VIPS_CONCURRENCY"] = "1"
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # Pillow's AVIF threads follow the affinity
    Path(argv[1]).write_text(json.dumps({"formats": format_rows(), "enhance": enhance_rows()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
