"""Cold start: how long each handler module takes to import in a fresh interpreter, as Lambda
starts it: the deployment package (handlers and their wheels) first on the path, the Lambda
runtime's Python with only what AWS provides beside it (boto3), the function's environment set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from components.package import PackageSpec, build_package
from harness.bench.stats import median
from harness.emulator import Paths

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ("handlers.ingest", "handlers.enhance")
_PROBE = (
    "import sys, time\n"
    "started = time.perf_counter()\n"
    "__import__(sys.argv[1])\n"
    "print((time.perf_counter() - started) * 1000)\n"
)
# What the stack gives the functions (values only need to be well formed: nothing is called).
FUNCTION_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_LAMBDA_FUNCTION_NAME": "imagepipe-bench",
    "IMAGES_BUCKET": "imagepipe-bench-images",
    "IMAGES_TABLE": "imagepipe-bench-images",
    "IDEMPOTENCY_TABLE": "imagepipe-bench-idempotency",
    "ENHANCE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/imagepipe-bench-enhance",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "imagepipe",
}


def unpacked_package(cache: Path) -> Path:
    """The python3.11/x86_64 deployment package the program deploys, unzipped (cached by content)."""
    package = build_package(
        PackageSpec(ROOT / "handlers", ROOT / "handlers" / "requirements.txt", "python3.11", "x86_64"),
        cache_dir=ROOT / "build" / "lambda-packages",
    )
    folder = cache / package.stem
    if not folder.exists():
        partial = folder.with_suffix(".partial")
        with zipfile.ZipFile(package) as archive:
            archive.extractall(partial)
        partial.rename(folder)
    return folder


def runtime_python() -> str:
    """The Lambda runtime's Python the emulator runs functions with, else this interpreter."""
    python = Paths.default().runtime_python("python3.11")
    return str(python) if python.exists() else sys.executable


def import_ms(module: str, package: Path, python: str) -> float:
    """Milliseconds to import `module` in a fresh interpreter, the package first on the path."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **FUNCTION_ENVIRONMENT}
    environment["PYTHONPATH"] = str(package)
    environment["PYTHONDONTWRITEBYTECODE"] = "1"  # Lambda's /var/task is read-only
    result = subprocess.run(
        [python, "-s", "-c", _PROBE, module], capture_output=True, text=True, env=environment, cwd=package
    )
    if result.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{result.stderr.strip()[-2000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def run_coldstart(progress: Callable[[str], None], repeats: int = 7) -> list[dict]:
    """One row per handler: {"handler", "import_ms"} (median of `repeats` fresh interpreters)."""
    package = unpacked_package(ROOT / "build" / "bench")
    python = runtime_python()
    progress(f"cold start: importing each handler {repeats}× with {python}")
    rows = []
    for module in HANDLERS:
        times = [import_ms(module, package, python) for _ in range(repeats)]
        rows.append({"handler": module, "import_ms": round(median(times), 1), "samples_ms": [round(t, 1) for t in times]})
    return rows


if __name__ == "__main__":
    print(json.dumps(run_coldstart(print), indent=2))
