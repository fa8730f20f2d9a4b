"""Cold start: how long each handler module takes to import in a fresh interpreter, as Lambda
starts it: the deployment package (handlers and their wheels) first on the path, the Lambda
runtime's Python with only what AWS provides beside it (boto3), the function's environment set.

The handlers load the AWS SDK on their first invocation (`handlers.stage`), so the same interpreter
then times that setup (`stage.prepare()`: boto3, its clients, the idempotency store): a cold start
costs import + setup, and a lower import time must not hide a cost moved to the first call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from components.package import PackageSpec, build_package
from handlers.contract import METRICS_NAMESPACE, Env
from harness.bench.stats import median
from harness.emulator import Paths

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ("handlers.ingest", "handlers.enhance", "handlers.removal", "handlers.notify", "handlers.commands")
_PROBE = (
    "import importlib, json, sys, time\n"
    "started = time.perf_counter()\n"
    "module = importlib.import_module(sys.argv[1])\n"
    "imported = time.perf_counter()\n"
    "stage = getattr(module, 'stage', None)\n"
    "if stage is not None:\n"
    "    stage.prepare()\n"
    "prepared = time.perf_counter()\n"
    "print(json.dumps([(imported - started) * 1000, (prepared - imported) * 1000]))\n"
)
# What Lambda and the stack give the functions (values only need to be well formed: nothing is called).
FUNCTION_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_LAMBDA_FUNCTION_NAME": "imagepipe-bench",
    Env.IMAGES_TABLE: "imagepipe-bench-images",
    Env.IDEMPOTENCY_TABLE: "imagepipe-bench-idempotency",
    Env.ENHANCE_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/imagepipe-bench-enhance",
    Env.NOTIFICATIONS_TOPIC_ARN: "arn:aws:sns:us-east-1:000000000000:imagepipe-bench-notifications",
    Env.COMMAND_REJECTIONS_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/imagepipe-bench-command-rejections",
    Env.SENDER_EMAIL: "imagepipe@example.com",
    Env.OWNER_EMAILS: '{"bench": "bench@example.com"}',
    Env.SERVICE_NAME: "bench",
    Env.METRICS_NAMESPACE: METRICS_NAMESPACE,
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


def cold_start_ms(module: str, package: Path, python: str) -> tuple[float, float]:
    """Milliseconds to import `module` in a fresh interpreter, the package first on the path, and
    then to run its stage's first-invocation setup (0 for a module without a `stage`)."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **FUNCTION_ENVIRONMENT}
    environment["PYTHONPATH"] = str(package)
    environment["PYTHONDONTWRITEBYTECODE"] = "1"  # Lambda's /var/task is read-only
    result = subprocess.run(
        [python, "-s", "-c", _PROBE, module], capture_output=True, text=True, env=environment, cwd=package
    )
    if result.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{result.stderr.strip()[-2000:]}")
    imported, prepared = json.loads(result.stdout.strip().splitlines()[-1])
    return imported, prepared


def run_coldstart(progress: Callable[[str], None], repeats: int = 7) -> list[dict]:
    """One row per handler: {"handler", "import_ms", "setup_ms", "init_ms"}, each the median of
    `repeats` fresh interpreters (init is import + setup, per interpreter)."""
    package = unpacked_package(ROOT / "build" / "bench")
    python = runtime_python()
    progress(f"cold start: importing each handler {repeats}× with {python}")
    # Interleaved (ingest, enhance, notify, ingest, …), so a slow spell of the machine hits both alike.
    runs: dict[str, list[tuple[float, float]]] = {module: [] for module in HANDLERS}
    for _ in range(repeats):
        for module in HANDLERS:
            runs[module].append(cold_start_ms(module, package, python))
    rows = []
    for module, samples in runs.items():
        rows.append(
            {
                "handler": module,
                "import_ms": round(median([i for i, _ in samples]), 1),
                "setup_ms": round(median([s for _, s in samples]), 1),
                "init_ms": round(median([i + s for i, s in samples]), 1),
                "samples_ms": [[round(i, 1), round(s, 1)] for i, s in samples],
            }
        )
    return rows


if __name__ == "__main__":
    print(json.dumps(run_coldstart(print), indent=2))
