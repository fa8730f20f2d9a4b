"""The kernel benchmark: our rendering against libvips and naive Pillow, image by image.

Each case (generated deterministically by :mod:`harness.samples`) is rendered by four
contenders, each in a fresh interpreter of its own (:mod:`harness.bench.kernel_worker`, started
with ``sys.executable``), each producing the same two outputs as the pipeline (long edge 1600
and 256, upright, encoded as the pipeline encodes them):

- ``ours``: the enhance handler's real code path, :func:`handlers.imaging.render`;
- ``pyvips``: ``thumbnail_buffer`` (shrink-on-load, autorotate) per output, ``VIPS_CONCURRENCY=1``
  and no operation cache;
- ``naive``: full decode, ``exif_transpose``, LANCZOS ``resize`` and save, per output;
- ``floor``: the least work that makes the same two outputs as ours (shrink-on-load, one resize
  per output, ``transpose``, the same encoder settings; no enhancement, no ICC, no checks), so
  ours / floor is what our enhancement, orientation and safety checks cost.

The interpreters are started one after the other and then asked for one run each in
turn, ``repeats`` rounds, the order turning every round (:func:`run_case`): never two at once,
and a busy spell of a shared machine falls on every contender alike.

A row per case (:func:`run_kernel`): medians over the rounds (wall time, every contender
single-threaded), peak resident memory during the runs above the memory just before them (how
it is measured: :mod:`harness.bench.kernel_worker`), and ``psnr_db``, our 1600 px output against
the naive one (:func:`psnr`).

The targets of issue 11 are reported by :func:`target_notes`, never asserted.

pyvips (and libvips) are not in the project's environment: ``make bench`` installs them from
requirements/bench.txt. Nothing here imports pyvips; :func:`run_kernel` checks first that the
pyvips worker will be able to (:func:`require_pyvips`), and runs without it when asked to
(``contenders``), as the unit tests do: its figures are then ``None``.
"""

from __future__ import annotations

import io
import json
import math
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from PIL import Image, ImageChops, ImageStat

from harness import samples
from harness.bench import BenchError

__all__ = [
    "CONTENDERS",
    "PSNR_IDENTICAL",
    "TARGETS",
    "Case",
    "default_cases",
    "make_case",
    "psnr",
    "require_pyvips",
    "run_case",
    "run_kernel",
    "target_notes",
]

CONTENDERS = ("ours", "pyvips", "naive", "floor")
REQUIRED_CONTENDERS = ("ours", "naive", "floor")  # pyvips is optional (requirements/bench.txt)
PSNR_IDENTICAL = 100.0  # dB reported for identical images (true PSNR is infinite; JSON has no inf)
_ROOT = Path(__file__).resolve().parents[2]
_WORKER_TIMEOUT_S = 900


@dataclass(frozen=True)
class Case:
    """One input image: its bytes, and a tiny image of the same kind for the warm-up."""

    name: str
    data: bytes
    warmup: bytes
    megapixels: float


def _megapixels(data: bytes) -> float:
    with Image.open(io.BytesIO(data)) as im:
        return round(im.width * im.height / 1e6, 1)


def make_case(name: str, data: bytes, warmup: bytes) -> Case:
    """A case of ``data`` (a JPEG or PNG), warmed up on ``warmup`` (a tiny image of the same kind)."""
    return Case(name, data, warmup, _megapixels(data))


def default_cases() -> list[Case]:
    """The cases of issue 3: 12 and 24 MP photo-like JPEGs stored sideways (EXIF orientation 6),
    a 3 MP PNG diagram, and a 4 MP PNG logo with real transparency; and the 12 MP photo once more
    at full tonal range, where our enhancement changes no tones, so its PSNR against naive is
    that of the resampling, sharpening and encoding alone. A few seconds to generate."""
    return [
        make_case(
            "photo 12MP jpeg",
            samples.photo_jpeg(4000, 3000, orientation=6, seed=12),
            samples.photo_jpeg(160, 120, orientation=6, seed=12),
        ),
        make_case(  # the same scene well exposed: the enhancement's tone curve is the identity
            "full-range 12MP jpeg",
            samples.photo_jpeg(4000, 3000, orientation=6, seed=12, full_range=True),
            samples.photo_jpeg(160, 120, orientation=6, seed=12, full_range=True),
        ),
        make_case(
            "photo 24MP jpeg",
            samples.photo_jpeg(6000, 4000, orientation=6, seed=24),
            samples.photo_jpeg(160, 120, orientation=6, seed=24),
        ),
        make_case("graphic 3MP png", samples.graphic_png(2000, 1500, seed=3), samples.graphic_png(160, 120, seed=3)),
        make_case("alpha 4MP png", samples.alpha_png(2000, 2000, seed=4), samples.alpha_png(128, 128, seed=4)),
    ]


def worker_environment() -> dict[str, str]:
    """The environment of a contender's process: single-threaded libvips, our code importable."""
    env = dict(os.environ)
    env["VIPS_CONCURRENCY"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


class Worker:
    """A contender's own interpreter (:mod:`harness.bench.kernel_worker`), ready for runs."""

    def __init__(self, contender: str, case: Case, work_dir: Path) -> None:
        if contender not in CONTENDERS:
            raise ValueError(f"unknown contender {contender!r}; one of {CONTENDERS}")
        self.contender, self.case, self.work_dir = contender, case, work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        source, warmup = work_dir / "input", work_dir / "warmup"
        source.write_bytes(case.data)
        warmup.write_bytes(case.warmup)
        command = [
            sys.executable,
            "-m",
            "harness.bench.kernel_worker",
            contender,
            str(source),
            str(warmup),
            str(work_dir),
        ]
        # A file, never a full pipe, read only when the worker fails; closed with the worker (close()).
        self._errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the worker
        self._process = subprocess.Popen(
            command,
            cwd=_ROOT,
            env=worker_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )
        self._reply()  # {"ready": true}

    def run(self) -> dict[str, float]:
        """One run: its wall and CPU time in ms."""
        return self._ask("run")

    def finish(self) -> dict[str, Any]:
        """The last run's outputs (written under ``work_dir``) and the peak memory of all runs."""
        result = self._ask("finish")
        self._process.wait(timeout=_WORKER_TIMEOUT_S)
        self.kill()
        return result

    def kill(self) -> None:
        """Stop the worker if it still runs (after a failure) and release its pipes."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._errors):
            if stream is not None:
                stream.close()

    def _ask(self, command: str) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return self._reply()

    def _reply(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        with selectors.DefaultSelector() as ready:
            ready.register(self._process.stdout, selectors.EVENT_READ)
            answered = ready.select(timeout=_WORKER_TIMEOUT_S)
        if not answered:
            self.kill()
            raise RuntimeError(f"{self.contender} on {self.case.name!r}: no answer in {_WORKER_TIMEOUT_S} s")
        line = self._process.stdout.readline()
        if not line:
            self._process.wait()
            self._errors.seek(0)
            detail = self._errors.read().strip()[-2000:]
            self.kill()
            raise RuntimeError(f"{self.contender} on {self.case.name!r} failed ({self._process.returncode}): {detail}")
        return cast(dict[str, Any], json.loads(line))


def require_pyvips() -> None:
    """Raise :class:`BenchError` saying how to install it when pyvips does not import in the
    interpreter and environment its worker gets (it is in requirements/bench.txt, which
    ``make bench`` installs, not in the project's environment)."""
    probe = subprocess.run(
        [sys.executable, "-c", "import pyvips"], cwd=_ROOT, env=worker_environment(), capture_output=True, text=True
    )
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or [f"exit {probe.returncode}"])[-1]
        raise BenchError(
            f"the kernel benchmark compares against libvips through pyvips, which cannot be imported here ({why}). "
            "Run `make bench`: it installs requirements/bench.txt (pyvips and libvips) into .venv and runs the "
            "benchmark. (`--only coldstart` and `--only pipeline` do not need it.)"
        )


def run_case(
    case: Case, repeats: int, work_dir: Path, contenders: Sequence[str] = CONTENDERS
) -> dict[str, dict[str, Any]]:
    """Every one of ``contenders`` on ``case``, ``repeats`` rounds: in each round one run of each,
    one after the other (never two at once), the order turning from round to round, so a busy
    spell of the machine falls on all of them alike. Per contender: ``times_ms`` and ``cpu_ms``
    (one per round), ``peak_mb``, ``peak_method`` and ``outputs`` (:meth:`Worker.finish`)."""
    workers: list[Worker] = []
    try:
        for contender in contenders:  # started one at a time too: no two warm-ups at once
            workers.append(Worker(contender, case, work_dir / contender))
        times: dict[str, list[dict[str, float]]] = {worker.contender: [] for worker in workers}
        for round_number in range(repeats):
            turn = round_number % len(workers)
            for worker in workers[turn:] + workers[:turn]:
                times[worker.contender].append(worker.run())
        results = {}
        for worker in workers:
            runs = times[worker.contender]
            results[worker.contender] = {
                **worker.finish(),
                "times_ms": [run["ms"] for run in runs],
                "cpu_ms": [run["cpu_ms"] for run in runs],
            }
        return results
    finally:
        for worker in workers:
            worker.kill()


def _comparable(im: Image.Image) -> Image.Image:
    """RGB, or premultiplied RGBa when transparent (what shows, not what hides under alpha 0)."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode in ("P", "L", "RGB") and "transparency" in im.info):
        return im.convert("RGBA").convert("RGBa")
    return im.convert("RGB")


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of ``b`` against ``a`` in dB (8-bit peak 255), over all
    channels: RGB, or premultiplied RGBA when either is transparent.

    Identical pixels give :data:`PSNR_IDENTICAL` (100 dB) rather than infinity, so the figure
    stays a plain JSON number; the value is capped there too (100 dB is one level off in about
    one sample in 150,000: nothing an encoder or a filter leaves)."""
    if a.size != b.size:
        raise ValueError(f"PSNR needs images of the same size, not {a.size} and {b.size}")
    a, b = _comparable(a), _comparable(b)
    if a.mode != b.mode:
        a, b = a.convert("RGBA").convert("RGBa"), b.convert("RGBA").convert("RGBa")
    rms = ImageStat.Stat(ImageChops.difference(a, b)).rms
    mse = sum(value * value for value in rms) / len(rms)
    if mse == 0:
        return PSNR_IDENTICAL
    return min(PSNR_IDENTICAL, 10 * math.log10(255 * 255 / mse))


def _open(path: str) -> Image.Image:
    im = Image.open(path)
    im.load()
    return im


def _paired_ratio(top: dict[str, Any], bottom: dict[str, Any]) -> float:
    """The median over rounds of ``top``'s time / ``bottom``'s time in the same round."""
    top_ms: list[float] = top["times_ms"]
    bottom_ms: list[float] = bottom["times_ms"]
    pairs = zip(top_ms, bottom_ms, strict=True)
    return statistics.median(a / b for a, b in pairs)


def _row(case: Case, results: dict[str, dict[str, Any]]) -> dict[str, object]:
    med = {name: statistics.median(result["times_ms"]) for name, result in results.items()}
    cpu = {name: statistics.median(result["cpu_ms"]) for name, result in results.items()}
    peak = {name: float(result["peak_mb"]) for name, result in results.items()}
    first = {name: _open(result["outputs"][0]["path"]) for name, result in results.items()}
    quality = psnr(first["naive"], first["ours"])
    same_curve = None
    if case.data[:3] == b"\xff\xd8\xff":  # a photo: ours applies auto_level's tone curve
        from handlers.imaging.enhancement import auto_level

        same_curve = round(psnr(auto_level(first["naive"].convert("RGB")), first["ours"]), 1)
    vips = "pyvips" in results  # else every pyvips figure is None
    pyvips_quality = None
    if vips and first["pyvips"].size == first["naive"].size:
        pyvips_quality = round(psnr(first["naive"], first["pyvips"]), 1)
    row: dict[str, object] = {
        "case": case.name,
        "megapixels": case.megapixels,
        "ours_ms": round(med["ours"], 1),
        "pyvips_ms": round(med["pyvips"], 1) if vips else None,
        "naive_ms": round(med["naive"], 1),
        "ours_peak_mb": round(peak["ours"], 1),
        "pyvips_peak_mb": round(peak["pyvips"], 1) if vips else None,
        "psnr_db": round(quality, 1),
        # extras: the ratios the targets are about (medians of the ratios within a round),
        # naive's memory, CPU time (all threads, so a contender that is not single-threaded
        # would show cpu > wall), quality figures and output sizes
        "naive_peak_mb": round(peak["naive"], 1),
        "ours_vs_pyvips": round(_paired_ratio(results["ours"], results["pyvips"]), 2) if vips else None,
        "ours_vs_floor": round(_paired_ratio(results["ours"], results["floor"]), 2),
        "naive_vs_ours": round(_paired_ratio(results["naive"], results["ours"]), 2),
        "peak_vs_pyvips": round(peak["ours"] / peak["pyvips"], 2) if vips and peak["pyvips"] > 0 else None,
        "ours_cpu_ms": round(cpu["ours"], 1),
        "pyvips_cpu_ms": round(cpu["pyvips"], 1) if vips else None,
        "naive_cpu_ms": round(cpu["naive"], 1),
        "floor_ms": round(med["floor"], 1),
        "floor_peak_mb": round(peak["floor"], 1),
        "floor_cpu_ms": round(cpu["floor"], 1),
        "format": "JPEG" if case.data[:3] == b"\xff\xd8\xff" else "PNG",
        "transparent": first["ours"].mode in ("RGBA", "LA"),
        "psnr_same_curve_db": same_curve,
        "pyvips_psnr_db": pyvips_quality,
    }
    for name, result in results.items():
        outputs = result["outputs"]
        row[f"{name}_kb"] = [round(o["bytes"] / 1024, 1) for o in outputs]
    return row


def run_kernel(
    progress: Callable[[str], None],
    repeats: int = 5,
    *,
    cases: Sequence[Case] | None = None,
    keep_outputs: Path | None = None,
    contenders: Sequence[str] = CONTENDERS,
) -> list[dict[str, Any]]:
    """One row per case: {"case", "megapixels", "ours_ms", "pyvips_ms", "naive_ms",
    "ours_peak_mb", "pyvips_peak_mb", "psnr_db"} (floats rounded sensibly), plus
    "naive_peak_mb", "floor_ms", "floor_peak_mb", "ours_vs_pyvips" and "ours_vs_floor" (time
    ratios) and "naive_vs_ours" (speed-up), each the median of the ratios within a round
    (steadier than a ratio of medians on a busy machine), "peak_vs_pyvips", "*_cpu_ms" (CPU time
    of all threads), "*_kb" (the sizes of the 1600 and 256 px outputs), "pyvips_psnr_db" (pyvips'
    1600 px output against naive's, when the sizes agree), "format" (of the source, "JPEG" or
    "PNG"), "transparent" (the outputs are PNGs with alpha) and, for photos,
    "psnr_same_curve_db": ours against naive's output put through the same :func:`auto_level`
    first, i.e. how far ours is from naive apart from the deliberate tone curve of the
    enhancement. The targets these figures are held to: :func:`target_notes`.

    ``cases`` defaults to :func:`default_cases`; ``keep_outputs`` keeps every contender's
    outputs under that directory (else they go with a temporary one); ``contenders`` must
    include ``ours``, ``naive`` and ``floor``, and without ``pyvips`` every pyvips figure is
    ``None``. With it, pyvips must import (:func:`require_pyvips`), else nothing runs."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    unknown = set(contenders) - set(CONTENDERS)
    if unknown or not set(REQUIRED_CONTENDERS) <= set(contenders):
        raise ValueError(f"contenders are ours, naive, floor and optionally pyvips, not {tuple(contenders)}")
    if "pyvips" in contenders:
        require_pyvips()
    if cases is None:
        progress("kernel: generating the cases")
        cases = default_cases()
    rows = []
    with tempfile.TemporaryDirectory(prefix="imagepipe-kernel-") as tmp:
        base = keep_outputs if keep_outputs is not None else Path(tmp)
        for number, case in enumerate(cases):
            progress(f"kernel: {case.name} ({case.megapixels} MP), {' / '.join(contenders)} × {repeats}, in turn")
            rows.append(_row(case, run_case(case, repeats, base / f"case{number}", contenders)))
    return rows


# The targets of issue 11 (never asserted in tests: :func:`target_notes` prints them met or not).
JPEG_VS_PYVIPS = 0.75  # every JPEG case: ours / pyvips time at most this …
JPEG_VS_FLOOR = 1.5  # … and ours / floor time at most this
PNG_VS_PYVIPS = 1.0  # an opaque PNG (the 3 MP graphic)
ALPHA_PNG_VS_PYVIPS = 1.2  # a PNG with real transparency
PEAK_VS_PYVIPS = 1.0  # peak memory, every case
PSNR_MIN_DB = 40.0  # ours against naive with the same tone curve
TARGETS = (  # as printed, one target each
    f"every JPEG ≤ {JPEG_VS_PYVIPS:g}× pyvips and ≤ {JPEG_VS_FLOOR:g}× the floor",
    f"PNG ≤ {PNG_VS_PYVIPS:g}× pyvips",
    f"PNG with alpha ≤ {ALPHA_PNG_VS_PYVIPS:g}× pyvips",
    f"peak memory ≤ {PEAK_VS_PYVIPS:g}× pyvips",
    f"PSNR vs naive with the same tone curve ≥ {PSNR_MIN_DB:g} dB",
)


def _kind(row: dict[str, Any]) -> tuple[str, bool]:
    """(source format, transparent outputs) of a row; from its name for rows that lack them."""
    name = str(row["case"]).lower()
    fmt = row.get("format") or ("PNG" if "png" in name else "JPEG")
    transparent = row.get("transparent")
    if transparent is None:
        transparent = fmt == "PNG" and "alpha" in name
    return str(fmt), bool(transparent)


def target_notes(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The targets of issue 11 for the kernel (:data:`TARGETS`), each with the figure measured
    and met or not; a missing figure (pyvips not run) is not met. PSNR: ``psnr_same_curve_db``
    where there is one (photos, whose enhancement applies a tone curve), else ``psnr_db``, which
    for a case without a tone curve is that same figure."""
    notes = []

    def note(label: str, value: float | None, limit: float, *, at_least: bool = False) -> None:
        """A target of at most ``limit`` (``at_least``: at least); no figure (None) is not met."""
        ok = value is not None and (value >= limit if at_least else value <= limit)
        shown = "n/a" if value is None else f"{value:g}"
        notes.append(f"{'met' if ok else 'NOT met'}: {label} = {shown} (target {'≥' if at_least else '≤'} {limit:g})")

    for row in rows:
        name = str(row["case"])
        fmt, transparent = _kind(row)
        if fmt == "JPEG":
            note(f"{name}: ours/pyvips time", row.get("ours_vs_pyvips"), JPEG_VS_PYVIPS)
            note(f"{name}: ours/floor time", row.get("ours_vs_floor"), JPEG_VS_FLOOR)
        elif transparent:
            note(f"{name}: ours/pyvips time", row.get("ours_vs_pyvips"), ALPHA_PNG_VS_PYVIPS)
        else:
            note(f"{name}: ours/pyvips time", row.get("ours_vs_pyvips"), PNG_VS_PYVIPS)
        note(f"{name}: ours/pyvips peak memory", row.get("peak_vs_pyvips"), PEAK_VS_PYVIPS)
        same_curve = row.get("psnr_same_curve_db")
        if same_curve is not None:
            note(f"{name}: PSNR vs naive with the same tone curve, dB", same_curve, PSNR_MIN_DB, at_least=True)
        else:
            note(f"{name}: PSNR vs naive (no tone curve), dB", row.get("psnr_db"), PSNR_MIN_DB, at_least=True)
    return notes


if __name__ == "__main__":  # a quick look without the lead's CLI: python -m harness.bench.kernel [repeats]
    result_rows = run_kernel(lambda line: print(line, file=sys.stderr), int(sys.argv[1]) if len(sys.argv) > 1 else 5)
    for result_row in result_rows:
        print(json.dumps(result_row))
    print("\n".join(target_notes(result_rows)))
