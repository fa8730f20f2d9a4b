"""Cold start: how long each handler module takes to import in a fresh interpreter, as Lambda
starts it: the deployment package (handlers and their wheels) first on the path, the Lambda
runtime's Python with only what AWS provides beside it (boto3), the function's environment set.

The handlers load the AWS SDK on their first invocation (`handlers.runtime.stage`), so the same interpreter
then times that setup (`stage.prepare()`: boto3, its clients, the idempotency store): a cold start
costs import + setup, and a lower import time must not hide a cost moved to the first call.

The web function (`handlers.web.lambda_entry`) is timed the same way, its first call being a first request (an
API Gateway proxy event): that builds the app and reads the session key, against a moto server
(`harness/bench/webstart.py`). It is timed twice, for `GET /api/health` and for a signed-in
`GET /api/images`; a second, warm request in the same interpreter shows what the first one added.

Beside them, the floor (:data:`SDK_FLOOR`): an empty module whose first call imports boto3 and makes
one client, the least any of the functions can cost, since each of them calls DynamoDB. Each row says
how far above it the handler is, and where its imports' time goes by distribution (`footprint.py`),
which also gives each function's package size and what of it the function loads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from components.package import build_package, handlers_spec, package_names
from handlers.contract import METRICS_NAMESPACE, PACKAGES, Env
from harness.bench import footprint, webstart
from harness.bench.stats import median
from harness.emulator import Paths

ROOT = Path(__file__).resolve().parents[2]
# The stages' entry points (every function's but the web one, which is probed by its requests).
HANDLERS = tuple(handler for handler in PACKAGES if handler != webstart.HANDLER)
SETUP = "stage.prepare()"
# Run with `-c` in the package's folder: argv[1] the module, argv[2] (optional) a JSON list of API
# Gateway events for its `handler`, else its stage's first-call setup. Prints its timings as JSON.
_PROBE = (
    "import importlib, json, sys, time\n"
    "class Context:\n"
    "    function_name = 'imagepipe-bench'\n"
    "    function_version = '$LATEST'\n"
    "    memory_limit_in_mb = 512\n"
    "    invoked_function_arn = 'arn:aws:lambda:us-east-1:000000000000:function:imagepipe-bench'\n"
    "    aws_request_id = 'bench'\n"
    "    log_group_name = '/aws/lambda/imagepipe-bench'\n"
    "    log_stream_name = 'bench'\n"
    "    def get_remaining_time_in_millis(self):\n"
    "        return 29000\n"
    f"print({footprint.PROBE_MARK!r}, file=sys.stderr, flush=True)\n"
    "started = time.perf_counter()\n"
    "module = importlib.import_module(sys.argv[1])\n"
    "imported = time.perf_counter()\n"
    "calls, answers, sdk_ms = [], [], None\n"
    "if len(sys.argv) > 2:\n"
    "    for event in json.loads(sys.argv[2]):\n"
    "        before = time.perf_counter()\n"
    "        answer = module.handler(event, Context())\n"
    "        calls.append((time.perf_counter() - before) * 1000)\n"
    "        cookies = (answer.get('multiValueHeaders') or {}).get('Set-Cookie') or [None]\n"
    "        answers.append([answer['statusCode'], cookies[0], str(answer.get('body'))[:300]])\n"
    "else:\n"
    "    stage = getattr(module, 'stage', None)\n"
    "    if stage is not None:\n"
    "        import boto3\n"
    "        sdk_ms = (time.perf_counter() - imported) * 1000\n"
    "        stage.prepare()\n"
    "    calls.append((time.perf_counter() - imported) * 1000)\n"
    "modules = sorted({name.split('.')[0] for name in sys.modules})\n"
    "print(json.dumps({'import_ms': (imported - started) * 1000, 'calls_ms': calls, 'answers': answers,\n"
    "                  'sdk_ms': sdk_ms, 'modules': modules}))\n"
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
    Env.FINGERPRINTS_TABLE: "imagepipe-bench-fingerprints",
    Env.ENHANCE_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/imagepipe-bench-enhance",
    Env.NOTIFICATIONS_TOPIC_ARN: "arn:aws:sns:us-east-1:000000000000:imagepipe-bench-notifications",
    Env.COMMAND_REJECTIONS_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/imagepipe-bench-command-rejections",
    Env.SENDER_EMAIL: "imagepipe@example.com",
    Env.MAIL_OUTBOX_TABLE: "imagepipe-bench-notify-mail-outbox",
    Env.SERVICE_NAME: "bench",
    Env.METRICS_NAMESPACE: METRICS_NAMESPACE,
}


def deployed_packages() -> dict[str, Path]:
    """The python3.11/x86_64 deployment packages the program deploys, by name (built once per content)."""
    cache = ROOT / "build" / "lambda-packages"
    return {name: build_package(handlers_spec(ROOT, "python3.11", "x86_64", name), cache) for name in package_names()}


def unpacked_package(cache: Path, package: Path) -> Path:
    """`package` unzipped under `cache` (once per content); the same package's older contents there,
    unzipped by earlier runs, are removed."""
    folder = cache / package.stem
    if not folder.exists():
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)  # left by a run that was stopped
        with zipfile.ZipFile(package) as archive:
            archive.extractall(partial)
        partial.rename(folder)
    kind = package.stem.rpartition("-")[0]  # handlers-<name>-<runtime>-<architecture>
    for stale in cache.glob(f"{kind}-*"):
        if stale != folder and stale.name.rpartition("-")[0] == kind:
            shutil.rmtree(stale, ignore_errors=True)
    return folder


def runtime_python() -> str:
    """The Lambda runtime's Python the emulator runs functions with, else this interpreter."""
    python = Paths.default().runtime_python("python3.11")
    return str(python) if python.exists() else sys.executable


class Start(NamedTuple):
    """One fresh interpreter's timings (ms): the import, its first call, a second call (the web
    function's warm request; None for a stage's setup, which happens once), and the part of a
    stage's first call that is `import boto3` (None for the web function, which imports it first)."""

    import_ms: float
    first_ms: float
    warm_ms: float | None = None
    sdk_ms: float | None = None


@dataclass(frozen=True)
class Probe:
    """What one cold start runs: a handler module, and its first call: its stage's setup (no
    `events`), or these API Gateway events in turn, each answered 200."""

    handler: str
    first_call: str = SETUP
    events: tuple[dict[str, Any], ...] = ()
    environment: dict[str, str] = field(default_factory=dict)


def probe(
    module: str,
    package: Path,
    python: str,
    events: tuple[dict[str, Any], ...] = (),
    environment: dict[str, str] | None = None,
    *,
    importtime: bool = False,
) -> dict[str, Any]:
    """Import `module` in a fresh interpreter, the package first on the path, the function's
    environment (and `environment`) set; then run its stage's setup (`import boto3`, timed as
    "sdk_ms", then `stage.prepare()`), or call its handler with `events`. {"import_ms", "calls_ms",
    "sdk_ms", "answers": [[status, set-cookie, body], …], "modules": the top-level modules loaded}, and
    with `importtime` the interpreter's `-X importtime` report as "importtime" (its timings are
    then slowed down by the report itself)."""
    variables = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **FUNCTION_ENVIRONMENT}
    variables.update(environment or {})
    after = variables.get("PYTHONPATH")  # an `environment`'s own path comes after the package
    variables["PYTHONPATH"] = os.pathsep.join([str(package), *([after] if after else [])])
    variables["PYTHONDONTWRITEBYTECODE"] = "1"  # Lambda's /var/task is read-only
    flags = ["-X", "importtime"] if importtime else []
    command = [python, "-s", *flags, "-c", _PROBE, module, *([json.dumps(list(events))] if events else [])]
    result = subprocess.run(command, capture_output=True, text=True, env=variables, cwd=package)
    if result.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{result.stderr.strip()[-2000:]}")
    timings: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    if importtime:
        timings["importtime"] = result.stderr
    for event, (status, _, body) in zip(events, timings["answers"], strict=True):
        if status != 200:
            raise RuntimeError(f"{module} answered {event['httpMethod']} {event['path']} with {status}: {body}")
    return timings


def cold_start_ms(
    module: str,
    package: Path,
    python: str,
    events: tuple[dict[str, Any], ...] = (),
    environment: dict[str, str] | None = None,
) -> Start:
    """Milliseconds to import `module` in a fresh interpreter, then for its first call (its stage's
    setup: 0 for a module without a `stage`; or its handler's first event), and for a second event."""
    timings = probe(module, package, python, events, environment)
    calls = timings["calls_ms"]
    return Start(timings["import_ms"], calls[0], calls[1] if len(calls) > 1 else None, timings["sdk_ms"])


def web_probes(package: Path, python: str, backend: webstart.WebBackend) -> list[Probe]:
    """The web function's two cold starts: its first request `GET /api/health`, and a signed-in
    `GET /api/images` (the session signed in beforehand, by an interpreter of its own, which also
    makes the session key as the first sign-in of a new stack does)."""
    signed_in = probe(webstart.HANDLER, package, python, (webstart.sign_in_event(),), backend.environment)
    set_cookie = signed_in["answers"][0][1]
    if not set_cookie:
        raise RuntimeError(f"signing in through {webstart.HANDLER} answered no session cookie")
    cookie = webstart.session_cookie(set_cookie)
    first_requests = {
        "GET /api/health": webstart.proxy_event("GET", "/api/health"),
        "GET /api/images?limit=1": webstart.proxy_event("GET", "/api/images", cookie=cookie, query={"limit": "1"}),
    }
    environment = backend.environment
    return [Probe(webstart.HANDLER, call, (event, event), environment) for call, event in first_requests.items()]


def row(probe: Probe, samples: list[Start]) -> dict[str, Any]:
    """A probe's medians (init is import + first call, per interpreter), and every sample."""
    figures: dict[str, Any] = {
        "handler": probe.handler,
        "first_call": probe.first_call,
        "import_ms": round(median([s.import_ms for s in samples]), 1),
        "setup_ms": round(median([s.first_ms for s in samples]), 1),
        "init_ms": round(median([s.import_ms + s.first_ms for s in samples]), 1),
    }
    for key in ("warm_ms", "sdk_ms"):
        values = [getattr(s, key) for s in samples if getattr(s, key) is not None]
        if values:
            figures[key] = round(median(values), 1)
    figures["samples_ms"] = [[round(v, 1) for v in s[:3] if v is not None] for s in samples]
    return figures


# The least a cold start of a function that calls AWS can cost: an empty module, whose first call
# imports boto3 (from the package) and makes one client, DynamoDB's, which every stage and the web
# function make. What a handler's total is above it is what the handler itself adds.
SDK_FLOOR = "sdk_floor"
_SDK_FLOOR_SOURCE = (
    '"""The cold start floor: no imports; the first call makes the SDK and one client."""\n'
    "class Floor:\n"
    "    def prepare(self):\n"
    "        import boto3\n"
    "        boto3.client('dynamodb')\n"
    "stage = Floor()\n"
)


def floor_probe(folder: Path) -> Probe:
    """The SDK floor's probe, its module written to `folder` (put on the path after the package)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{SDK_FLOOR}.py").write_text(_SDK_FLOOR_SOURCE)
    return Probe(SDK_FLOOR, "import boto3; client('dynamodb')", environment={"PYTHONPATH": str(folder)})


def package_of(handler: str) -> str:
    """The package a probe runs with: its function's (the floor: the one every package builds on)."""
    return "stage" if handler == SDK_FLOOR else PACKAGES[handler]


def function_of(handler: str) -> str:
    """The stack's function a handler module is the entry point of: handlers.imaging_functions.ingest
    → ingest, the web function's handlers.web.lambda_entry → web."""
    return "web" if handler == webstart.HANDLER else handler.rpartition(".")[2]


class ColdStart(NamedTuple):
    """The coldstart section's figures: a row per probe, and a row per function for its package."""

    starts: list[dict[str, Any]]
    packages: list[dict[str, Any]]


def run_coldstart(progress: Callable[[str], None], repeats: int = 7) -> ColdStart:
    """`starts`: one row per handler (two for the web function, one per first request): {"handler",
    "first_call", "import_ms", "setup_ms", "init_ms"}, a stage's "sdk_ms" (the first call's
    `import boto3`) and the web function's "warm_ms", each the median of `repeats` fresh interpreters
    (init is import + first call, per interpreter), and "import_shares" (:func:`footprint.import_shares`
    of one more cold start under `-X importtime`); the last row is the SDK floor (:func:`floor_probe`),
    and every other row's "over_floor_ms" is its total above the floor's. `packages`:
    :func:`footprint.package_row` per function, its package and what its cold start loaded of it."""
    archives = deployed_packages()
    folders = {name: unpacked_package(ROOT / "build" / "bench", archive) for name, archive in archives.items()}
    python = runtime_python()
    with (
        webstart.web_backend(FUNCTION_ENVIRONMENT[Env.IMAGES_TABLE]) as backend,
        tempfile.TemporaryDirectory(prefix="imagepipe-floor-") as floor,
    ):
        probes = [Probe(module) for module in HANDLERS]
        probes += web_probes(folders[package_of(webstart.HANDLER)], python, backend)
        probes.append(floor_probe(Path(floor)))
        package = [folders[package_of(each.handler)] for each in probes]
        progress(f"cold start: importing each handler {repeats}× with {python} (the web function's AWS: moto)")
        # Interleaved (ingest, enhance, …, ingest, …), so a slow spell of the machine hits all alike.
        runs: list[list[Start]] = [[] for _ in probes]
        for _ in range(repeats):
            for index, each in enumerate(probes):
                start = cold_start_ms(each.handler, package[index], python, each.events, each.environment)
                runs[index].append(start)
        progress("cold start: where each import's time goes (-X importtime), once each")
        looks = [
            probe(each.handler, package[index], python, each.events, each.environment, importtime=True)
            for index, each in enumerate(probes)
        ]
    dists = {name: footprint.distributions(folder) for name, folder in folders.items()}
    starts = [
        {
            **row(each, samples),
            "import_shares": footprint.import_shares(look["importtime"], dists[package_of(each.handler)]),
        }
        for each, samples, look in zip(probes, runs, looks, strict=True)
    ]
    floor_ms = starts[-1]["init_ms"]
    for entry in starts[:-1]:
        entry["over_floor_ms"] = round(entry["init_ms"] - floor_ms, 1)
    # The web function's last probe is the signed-in request, which loads the most.
    loaded = {each.handler: look["modules"] for each, look in zip(probes, looks, strict=True)}
    packages = []
    for handler, modules in loaded.items():
        if handler != SDK_FLOOR:
            name = package_of(handler)
            function = function_of(handler)
            packages.append(footprint.package_row(function, handler, name, archives[name], dists[name], modules))
    return ColdStart(starts, packages)


if __name__ == "__main__":
    print(json.dumps(run_coldstart(print)._asdict(), indent=2))
