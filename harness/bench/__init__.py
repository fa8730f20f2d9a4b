"""`make bench`: what an image costs in our pipeline, against libvips and naive Pillow.

Eight sections, each runnable alone (`--only`): the image kernel (`kernel.py`), the modern formats'
encoding against libvips's and their cost in the enhance stage (`formats.py`), the handlers' cold
start, the web function's included (`coldstart.py`), the deployed pipeline in the emulator
(`pipeline.py`), the largest image it takes at the functions' memory settings (`largest.py`),
the web tier's image list through the CDN edge, serverless and on instances (`api.py`,
`instances_api.py`), the duplicate lookup's DynamoDB reads per ingest (`duplicates.py`), and a burst
of uploads while enhance fails a share of its invocations, then its repair (`faults_burst.py`).

The kernel's libvips contender (pyvips) is not part of the project's environment: `make bench`
installs it from requirements/bench.txt. Nothing here imports it; only the kernel's pyvips worker
does, in a process of its own, and the kernel section checks first that it can."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.bench.report import render, write_json
from harness.deployed.stack_state import DEFAULT_STACK

SECTIONS = ("kernel", "formats", "coldstart", "pipeline", "largest", "api", "duplicates", "faults")


class BenchError(RuntimeError):
    """Something the user can fix (a contender not installed, an upload not processed in time, the
    emulator misbehaving); printed as one message, not a traceback."""


def run_bench(
    sections: tuple[str, ...],
    json_path: Path,
    say: Callable[[str], None],
    stack_outputs: Callable[[str], dict[str, Any]],
) -> dict[str, Any]:
    """Run `sections`, print the table, write the JSON; `stack_outputs(name)` brings a stack up (once
    each, for the sections that need it: the default stack, and the 3-tier one for the API's)."""
    results: dict[str, Any] = {}
    outputs: dict[str, dict[str, Any]] = {}

    def stack(name: str = DEFAULT_STACK) -> dict[str, Any]:
        if name not in outputs:
            outputs[name] = stack_outputs(name)
        return outputs[name]

    if "kernel" in sections:
        from harness.bench.kernel import run_kernel

        results["kernel"] = run_kernel(say)
    if "formats" in sections:
        from harness.bench.formats import run_formats

        results["formats"] = run_formats(say)
    if "coldstart" in sections:
        from harness.bench.coldstart import run_coldstart

        results["coldstart"], results["packages"] = run_coldstart(say)
    if "pipeline" in sections:
        from harness.bench.pipeline import run_pipeline

        results["pipeline"] = run_pipeline(stack(), say)
    if "largest" in sections:
        from harness.bench.largest import run_largest

        results["largest"] = run_largest(stack(), say)
    if "api" in sections:
        from harness.bench.api import INSTANCES_STACK, run_api

        results["api"] = run_api(stack(), say, instances=stack(INSTANCES_STACK))
    if "duplicates" in sections:
        from harness.bench.duplicates import run_duplicates

        results["duplicates"] = run_duplicates(say)
    if "faults" in sections:
        from harness.bench.faults_burst import run_faults_burst

        results["faults"] = run_faults_burst(stack(), say)
    say("\n" + render(results))
    write_json(results, json_path)
    say(f"\nfigures written to {json_path}")
    return results
