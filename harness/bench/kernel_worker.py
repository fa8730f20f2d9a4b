"""One contender of the kernel benchmark, run in a fresh interpreter of its own.

``python -m harness.bench.kernel_worker CONTENDER INPUT WARMUP OUT_DIR`` loads the contender,
warms it up on the tiny image in WARMUP, says ``{"ready": true}`` and then answers commands on
stdin, one JSON line each: ``run`` renders the two outputs (long edge 1600 and 256, upright,
encoded as the pipeline encodes them) of the image in INPUT once and replies ``{"ms", "cpu_ms"}``;
``finish`` writes the last run's outputs to OUT_DIR (``CONTENDER-1600.jpg`` …) and replies
``{"contender", "peak_mb", "peak_method", "outputs": [{"path", "format", "width", "height",
"bytes"}, ...]}``, then the worker exits. The parent (:mod:`harness.bench.kernel`) keeps one
worker per contender and asks them for runs in turn, so every contender sees the same spells
of a busy machine. Contenders (see :data:`CONTENDERS`):

- ``ours``: :func:`handlers.imaging.render`, the enhance handler's real code path.
- ``pyvips``: ``pyvips.Image.thumbnail_buffer`` (shrink-on-load, autorotate) once per output,
  libvips single-threaded (``VIPS_CONCURRENCY=1``, set by the parent before libvips loads) and
  its operation cache off (``pyvips.cache_set_max(0)``) so repeats are not served from it.
- ``naive``: Pillow as most samples do it, once per output: full decode, ``exif_transpose``,
  ``resize(LANCZOS)``, save.
- ``floor``: the least work that makes the same two outputs as ours, so that ours / floor is what
  our enhancement, orientation and safety checks cost. One decode at the scale needed (a JPEG
  with ``Image.draft`` shrink-on-load to at least the 1600 px size, as ours; a PNG through ours'
  zlib-ng inflate, :func:`handlers.imaging.structure.stored_png`); one
  resize per output, ``reduce`` by whole factors then BICUBIC (``reducing_gap`` of
  :data:`~handlers.imaging.render.REDUCING_GAP`), the 1600 px output from the decoded pixels and
  the 256 px one from the 1600 px pixels before they are unpremultiplied and turned (cheaper than
  from the decoded ones, which made a 24 MP JPEG's floor ~15% slower when tried); alpha
  premultiplied while resized, as ours, else the outputs would differ; orientation applied with
  ``transpose`` after the resizes, where the pixels are fewest; the same encoders (for PNG ours,
  :func:`handlers.imaging.png_writer.encode_png`). No
  enhancement, no ICC conversion, no integrity checks beyond Pillow's own, no mode handling
  beyond what the bench's cases need.

Every contender encodes as the pipeline does: an image with real transparency as PNG
(``compress_level`` of :data:`handlers.imaging.encoding.PNG_COMPRESS_LEVEL`, no metadata), anything
else as progressive JPEG, quality :data:`~handlers.imaging.encoding.JPEG_QUALITY`, optimized
Huffman tables, no metadata. (The values are copied here, not imported, so the pyvips and naive
processes load nothing of ours, and the floor only our PNG codec paths; a unit test keeps them equal.)

Peak memory: before the timed runs the worker renders a tiny image of the same kind (so code
paths, plugins and libraries are loaded and counted in the baseline, not in the peak), then
resets the kernel's high-water mark of resident memory by writing ``5`` to
``/proc/self/clear_refs`` (Linux ≥ 4.0), takes ``VmRSS`` as the baseline, and after the runs
reports ``VmHWM − baseline``: the most memory the rendering itself held resident at once, which
is what a Lambda function's memory size must cover on top of the runtime. ``ru_maxrss`` alone
cannot be reset, and a sampling thread would both miss short peaks and break the
single-threaded measurement. Where ``clear_refs`` is not writable, the fallback is
``ru_maxrss`` after the runs minus ``ru_maxrss`` before them (``peak_method`` says which was
used): in a fresh process the peak before the runs is that of the imports and the warm-up,
so the difference is the growth the runs caused, a slight underestimate at worst.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO, cast

EDGES = (1600, 256)
JPEG_QUALITY = 82  # == handlers.imaging.encoding.JPEG_QUALITY
PNG_COMPRESS_LEVEL = 6  # == handlers.imaging.encoding.PNG_COMPRESS_LEVEL
REDUCING_GAP = 2.0  # == handlers.imaging.render.REDUCING_GAP
ORIENTATION_TAG = 0x0112  # EXIF Orientation

# One encoded output: (data, "JPEG" | "PNG", width, height).
Output = tuple[bytes, str, int, int]
Renderer = Callable[[bytes], list[Output]]


def fit(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """The same size rule as :func:`handlers.imaging.render.fit` (never upscaled, never 0 px)."""
    longest = max(width, height)
    if longest <= long_edge:
        return width, height
    scale = long_edge / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def ours() -> Renderer:
    from handlers.imaging import Limits, Outputs, VariantSizes, render

    limits, sizes, jpeg_or_png = Limits(), VariantSizes(*EDGES), Outputs((), ())

    def run(data: bytes) -> list[Output]:
        rendition = render(data, limits, sizes, jpeg_or_png)
        return [(v.data, v.format, v.width, v.height) for v in (rendition.optimized, rendition.thumbnail)]

    return run


def pyvips_thumbnail() -> Renderer:
    import pyvips

    pyvips.cache_set_max(0)

    def encode(im: pyvips.Image) -> Output:
        if im.hasalpha():
            im = im.copy_memory()  # read once: the alpha check and the save both need the pixels
            if im.extract_band(im.bands - 1).min() < 255:
                return im.pngsave_buffer(compression=PNG_COMPRESS_LEVEL, keep="none"), "PNG", im.width, im.height
            im = im.extract_band(0, n=im.bands - 1)  # opaque alpha: no transparency, as ours decides
        data = im.jpegsave_buffer(Q=JPEG_QUALITY, interlace=True, optimize_coding=True, keep="none")
        return data, "JPEG", im.width, im.height

    def run(data: bytes) -> list[Output]:
        return [encode(pyvips.Image.thumbnail_buffer(data, edge, height=edge, size="down")) for edge in EDGES]

    return run


def naive() -> Renderer:
    from PIL import Image, ImageOps

    def one(data: bytes, edge: int) -> Output:
        im: Image.Image = Image.open(io.BytesIO(data))
        im = ImageOps.exif_transpose(im)
        im = im.resize(fit(im.width, im.height, edge), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if im.mode in ("RGBA", "LA"):
            im.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
            return out.getvalue(), "PNG", im.width, im.height
        im.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
        return out.getvalue(), "JPEG", im.width, im.height

    def run(data: bytes) -> list[Output]:
        return [one(data, edge) for edge in EDGES]

    return run


def floor() -> Renderer:
    """The least work that makes the same two outputs as ours (see the module's docstring)."""
    from PIL import Image

    # Ours' PNG codec paths (zlib-ng, where Pillow's wheels use the system's slower zlib): the
    # fastest PNG decode and encode there are; and ours' table of orientations.
    from handlers.imaging.png_writer import encode_png
    from handlers.imaging.render import UPRIGHT
    from handlers.imaging.structure import check_png, png_header, stored_png

    bicubic = Image.Resampling.BICUBIC
    premultiplied = {"RGBA": "RGBa", "LA": "La"}
    straight = {"RGBa": "RGBA", "La": "LA"}

    def encode(im: Image.Image, transparent: bool, transpose: Image.Transpose | None) -> Output:
        if im.mode in straight:
            im = im.convert(straight[im.mode])
        if transpose is not None:
            im = im.transpose(transpose)
        im.info = {}  # no metadata (Pillow falls back to im.info for a PNG's ICC profile)
        out = io.BytesIO()
        if transparent:  # the same PNG encoder as ours: Pillow's row filters, zlib-ng's deflate
            return encode_png(im, PNG_COMPRESS_LEVEL), "PNG", im.width, im.height
        chroma = {} if im.mode == "L" else {"subsampling": "4:2:0"}
        im.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True, **chroma)
        return out.getvalue(), "JPEG", im.width, im.height

    def decoder(data: bytes) -> Image.Image:
        """The fastest decode there is: a PNG's image data inflated by zlib-ng as ours does (the
        chunk walk that finds it is ~1 ms), a JPEG by Pillow (libjpeg-turbo)."""
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return Image.open(stored_png(data, check_png(data, png_header(data), image_data=False)))
        return Image.open(io.BytesIO(data))

    def run(data: bytes) -> list[Output]:
        im = decoder(data)
        stored_opt, stored_thumb = (fit(*im.size, edge) for edge in EDGES)
        box: tuple[float, float, float, float] | None = None
        if im.format == "JPEG" and im.size != stored_opt:
            drafted = im.draft(None, stored_opt)  # shrink-on-load, to >= the 1600 px size
            if drafted is not None:
                left, upper, right, lower = drafted[1]  # the region of the original the draft covers
                box = (float(left), float(upper), float(right), float(lower))
        transpose = UPRIGHT.get(im.getexif().get(ORIENTATION_TAG, 1))
        im.load()
        if im.mode not in ("L", "LA", "RGB", "RGBA"):  # (not in the bench's cases)
            im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        transparent = im.mode in premultiplied and cast(tuple[int, int], im.getchannel("A").getextrema())[0] < 255
        if im.mode in premultiplied:
            im = im.convert(premultiplied[im.mode] if transparent else im.mode[:-1])
        if im.size != stored_opt or (box is not None and box != (0, 0, *im.size)):
            im = im.resize(stored_opt, bicubic, box=box, reducing_gap=REDUCING_GAP)
        thumb = im.resize(stored_thumb, bicubic, reducing_gap=REDUCING_GAP) if im.size != stored_thumb else im
        return [encode(im, transparent, transpose), encode(thumb, transparent, transpose)]

    return run


CONTENDERS: dict[str, Callable[[], Renderer]] = {
    "ours": ours,
    "pyvips": pyvips_thumbnail,
    "naive": naive,
    "floor": floor,
}


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _maxrss_kb() -> int:
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss // 1024 if sys.platform == "darwin" else maxrss  # bytes on macOS, KiB on Linux


class PeakMemory:
    """Peak resident memory over a stretch of code, above the resident memory at its start."""

    def __init__(self) -> None:
        self.method = "VmHWM"
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
                clear_refs.write("5")  # reset VmHWM to the current VmRSS
        except OSError:
            self.method = "ru_maxrss"
        baseline = _status_kb("VmRSS") if self.method == "VmHWM" else None
        if baseline is None:
            self.method = "ru_maxrss"
            baseline = _maxrss_kb()
        self.baseline_kb = baseline

    def peak_mb(self) -> float:
        peak = _status_kb("VmHWM") if self.method == "VmHWM" else None
        if peak is None:
            peak = _maxrss_kb()
        return max(0, peak - self.baseline_kb) / 1024


class Session:
    """One contender, warmed up, rendering ``data`` once per :meth:`run`; :meth:`finish` writes
    the last run's outputs and reports the peak memory of all the runs."""

    def __init__(self, contender: str, data: bytes, warmup: bytes) -> None:
        self.contender = contender
        self.data = data
        self._render = CONTENDERS[contender]()
        self._render(warmup)
        self._memory = PeakMemory()
        self._outputs: list[Output] = []

    def run(self) -> dict[str, float]:
        self._outputs = []  # drop the last run's outputs before timing the next one
        wall, cpu = time.perf_counter(), time.process_time()
        self._outputs = self._render(self.data)
        cpu_ms = (time.process_time() - cpu) * 1000
        return {"ms": (time.perf_counter() - wall) * 1000, "cpu_ms": cpu_ms}

    def finish(self, out_dir: Path) -> dict[str, object]:
        if not self._outputs:
            raise RuntimeError("finish before any run")
        peak_mb = self._memory.peak_mb()
        written = []
        for (encoded, fmt, width, height), edge in zip(self._outputs, EDGES, strict=True):
            path = out_dir / f"{self.contender}-{edge}.{'png' if fmt == 'PNG' else 'jpg'}"
            path.write_bytes(encoded)
            written.append({"path": str(path), "format": fmt, "width": width, "height": height, "bytes": len(encoded)})
        return {"contender": self.contender, "peak_mb": peak_mb, "peak_method": self._memory.method, "outputs": written}


def serve(session: Session, out_dir: Path, commands: TextIO, replies: TextIO) -> None:
    """Answer ``run`` with one run's times and ``finish`` with the outputs and peak memory (then
    stop), one JSON line each; the parent sends the next command only after the reply."""

    def reply(message: Mapping[str, object]) -> None:
        replies.write(json.dumps(message) + "\n")
        replies.flush()

    reply({"ready": True})
    for line in commands:
        command = line.strip()
        if command == "run":
            reply(session.run())
        elif command == "finish":
            reply(session.finish(out_dir))
            return
        else:
            raise ValueError(f"unknown command {command!r}")


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[0] not in CONTENDERS:
        print(f"usage: kernel_worker {{{'|'.join(CONTENDERS)}}} INPUT WARMUP OUT_DIR", file=sys.stderr)
        print("  then, on stdin: run (as often as wanted), finish", file=sys.stderr)
        return 2
    contender, input_path, warmup_path, out_dir = argv
    if contender == "pyvips" and os.environ.get("VIPS_CONCURRENCY") != "1":
        print("kernel_worker: pyvips must run with VIPS_CONCURRENCY=1", file=sys.stderr)
        return 2
    session = Session(contender, Path(input_path).read_bytes(), Path(warmup_path).read_bytes())
    serve(session, Path(out_dir), sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
