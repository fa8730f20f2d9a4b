"""The formats section of `make bench`: our WebP and AVIF encoding against libvips's for the same
pixels, and what the modern formats add to the enhance stage's render of a 12 MP photo, with its
cost per 1000 images at the enhance function's memory (how each is measured:
harness/bench/formats_worker.py, in a process of its own pinned to one CPU)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from harness.bench import BenchError
from harness.bench.kernel import require_pyvips, worker_environment

ENHANCE_MEMORY_GB: Final = 1.0  # components/enhance.py: memory_size=1024
# Lambda's public price per GB-second, x86_64, first tier (us-east-1, 2026); arm64 is 20 % less.
LAMBDA_PRICE_PER_GB_S: Final = 0.0000166667
_ROOT: Final = Path(__file__).resolve().parents[2]
_TIMEOUT_S: Final = 900


def run_formats(say: Callable[[str], None]) -> dict[str, Any]:
    """The worker's figures, with the cost of each enhance row per 1000 images."""
    require_pyvips()
    say("formats: WebP and AVIF, ours against libvips, on one CPU …")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "formats.json"
        done = subprocess.run(
            [sys.executable, "-m", "harness.bench.formats_worker", str(out)],
            cwd=_ROOT,
            env=worker_environment(),
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"the formats worker failed: {(done.stderr.strip().splitlines() or ['no output'])[-1]}")
        figures: dict[str, Any] = json.loads(out.read_text())
    for row in figures["enhance"]:
        gb_seconds = row["render_ms"] / 1000 * ENHANCE_MEMORY_GB
        row["usd_per_1000"] = round(1000 * gb_seconds * LAMBDA_PRICE_PER_GB_S, 5)
    return figures
