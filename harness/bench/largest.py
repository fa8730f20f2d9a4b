"""The largest image the stack takes (`imagepipe:maxPixels`, 50 MP by default), through the deployed
pipeline at the functions' own memory settings: a photo-like JPEG, an opaque PNG and a PNG with
transparency of that many pixels, uploaded one at a time, each to `processed`.

For each, the ingest and enhance invocations' own REPORT lines (the executor writes them as Lambda
does, from the worker's peak resident memory, and kills a worker that passes the function's memory
size) give their duration and the most memory they used, beside the function's memory size and
timeout: how much room the largest permitted image leaves, which is what the enhance function's
memory default is chosen by (docs/benchmarks.md). Lambda's CPU share grows with memory (a whole
vCPU at 1769 MB), so the durations on AWS at 1024 MB are about this machine's times over 0.58.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.imaging.inspect import Limits
from harness import emulator
from harness.aws import AwsTarget
from harness.bench import BenchError
from harness.bench.pipeline import Uploader
from harness.polling import wait_until
from harness.samples import alpha_png, graphic_png, photo_jpeg

REPORT = re.compile(r"REPORT RequestId: \S+\tDuration: ([\d.]+) ms.*?Max Memory Used: (\d+) MB")
STAGES = ("ingest", "enhance")


@dataclass(frozen=True)
class Invocations:
    """What one function's log says of its invocations since `offset`."""

    path: Path
    offset: int

    @classmethod
    def from_now(cls, function_name: str) -> Invocations:
        path = emulator.layout().lambda_log(function_name)
        return cls(path, path.stat().st_size if path.exists() else 0)

    def reports(self) -> list[tuple[float, int]]:
        """(duration ms, max memory used MB) of each invocation ended since."""
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            text = handle.read().decode(errors="replace")
        return [(float(ms), int(mb)) for ms, mb in REPORT.findall(text)]


def largest_side(max_pixels: int, aspect: float = 1.5) -> tuple[int, int]:
    """The largest width × height of `aspect` (3:2, a camera's) within `max_pixels`."""
    height = math.isqrt(int(max_pixels / aspect))
    width = int(height * aspect)
    while width * height > max_pixels:
        width -= 1
    return width, height


def cases(max_pixels: int) -> list[tuple[str, bytes, str]]:
    width, height = largest_side(max_pixels)
    megapixels = f"{width * height / 1e6:.0f}MP"
    return [
        (f"photo {megapixels} jpeg", photo_jpeg(width, height, seed=50), "image/jpeg"),
        (f"graphic {megapixels} png", graphic_png(width, height, seed=50), "image/png"),
        (f"alpha {megapixels} png", alpha_png(width, height, seed=50), "image/png"),
    ]


def run_largest(
    outputs: dict[str, Any], progress: Callable[[str], None], max_pixels: int | None = None
) -> list[dict[str, Any]]:
    """A row per case: {"case", "key", "mb", stage + "_ms", stage + "_used_mb", stage + "_memory_mb",
    stage + "_timeout_s"} for the stack whose outputs are given; its images of `max_pixels` (the
    stack's default limit when None). Each upload is deleted once measured (the removal stage then
    withdraws what was published); the cases run in order of growing demand, since a function's
    REPORT gives the most its worker held since it started, as Lambda's does."""
    target = AwsTarget(outputs["endpoint_url"], outputs["region"])
    lambda_ = target.client("lambda")
    functions = {stage: outputs[f"{stage}_function"] for stage in STAGES}
    settings = {stage: lambda_.get_function_configuration(FunctionName=name) for stage, name in functions.items()}
    uploader = Uploader(target, outputs["images_bucket"], outputs["images_table"])
    rows = []
    for name, data, content_type in cases(max_pixels or Limits().max_pixels):
        progress(f"largest: {name} ({len(data) / 1e6:.1f} MB) through ingest and enhance")
        logs = {stage: Invocations.from_now(function) for stage, function in functions.items()}
        key = f"uploads/bench/largest-{secrets.token_hex(3)}.{content_type.split('/')[1].replace('jpeg', 'jpg')}"
        started = uploader.put(key, data, content_type)
        uploader.processed_at(key, started, timeout=180)
        row: dict[str, Any] = {"case": name, "key": key, "mb": round(len(data) / 1e6, 1)}
        for stage in STAGES:
            # The record says `processed` before enhance's invocation has ended and been reported.
            reports = wait_until(
                logs[stage].reports,
                timeout=30,
                what=f"{functions[stage]}'s REPORT line for {key}",
                error=BenchError,
            )
            row[f"{stage}_ms"] = max(ms for ms, _ in reports)
            row[f"{stage}_used_mb"] = max(mb for _, mb in reports)
            row[f"{stage}_memory_mb"] = settings[stage]["MemorySize"]
            row[f"{stage}_timeout_s"] = settings[stage]["Timeout"]
        rows.append(row)
        uploader.s3.delete_object(Bucket=outputs["images_bucket"], Key=key)
    return rows
