"""Starting, finding and stopping the embedded emulator (LocalStack community as a host process).

`start()` launches `python -m localstack.runtime.main` from the harness's LocalStack virtualenv,
detached in its own session (it outlives the command that started it: `harness up` leaves it
running), with every path redirected into the state folder and Lambda run by our host-process
executor; it returns once the services answer. `stop()` ends it and everything it started.
`attach()` uses an emulator someone else runs (e.g. LocalStack in Docker) without starting anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

from harness import background
from harness.polling import TimedOut, wait_until

from .install import Progress, _print_progress, ensure_installed
from .prerequisites import EmulatorError, check_start_prerequisites
from .state_folder import DEFAULT_PORT, REPO_ROOT, Paths
from .state_folder import layout as default_layout

if TYPE_CHECKING:
    import subprocess

    from harness.aws import AwsTarget

DEFAULT_REGION = "us-east-1"
EXECUTOR_NAME = "imagepipe-host"
# What the stack uses; nothing else is loaded. dynamodbstreams pulls in kinesis (LocalStack's
# own dependency), which stays idle.
SERVICES = (
    "s3",
    "sns",
    "sqs",
    "dynamodb",
    "dynamodbstreams",
    "lambda",
    "iam",
    "sts",
    "logs",
    "ses",
    "cloudwatch",
    "apigateway",
    "ssm",
    "secretsmanager",
    "events",
    # the instances tier: EC2 (moto's, in LocalStack), ELBv2 and Auto Scaling (moto's, through our
    # plugin: imagepipe_lambda_executor/moto_services.py)
    "ec2",
    "elbv2",
    "autoscaling",
)
START_TIMEOUT = 90.0
STOP_GRACE = 15.0
_MAIN_MODULE = "localstack.runtime.main"
# Processes this Python process started: waited for in stop(), so no zombie is taken for alive.


@dataclass
class Emulator:
    """A running emulator. `embedded`: the harness's own LocalStack (our Lambda executor, logs in
    the state folder; `pid` set), else one someone else runs, attached by URL. `launched`: this
    process started it (`start()` launched it, rather than finding it running), so it is this
    process's to stop."""

    endpoint_url: str
    port: int
    pid: int | None = None
    region: str = DEFAULT_REGION
    embedded: bool = False
    launched: bool = field(default=False, compare=False)
    _target: AwsTarget | None = field(default=None, repr=False, compare=False)

    def target(self) -> AwsTarget:
        """The harness's client factory (harness.aws.AwsTarget) for this endpoint and region."""
        from harness.aws import AwsTarget

        if self._target is None or self._target.region != self.region:
            self._target = AwsTarget(endpoint_url=self.endpoint_url, region=self.region)
        return self._target

    def client(self, service: str) -> Any:
        """A boto3 client for this endpoint (cached): `self.target().client(service)`."""
        return self.target().client(service)

    def stop(self) -> bool:
        """Stop it if it is the harness's embedded emulator; one someone else runs is left alone."""
        return stop(self.port) if self.embedded else False


# health -------------------------------------------------------------------------------------------
def health(endpoint_url: str, timeout: float = 5.0) -> dict[str, Any] | None:
    """LocalStack's `/_localstack/health` as a dict, or None if nothing (healthy) answers."""
    url = endpoint_url.rstrip("/") + "/_localstack/health"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return cast(dict[str, Any], json.loads(response.read() or b"{}"))
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _services_ready(report: dict[str, Any] | None, services: tuple[str, ...] = SERVICES) -> bool:
    if not report:
        return False
    states = report.get("services") or {}
    return all(states.get(name) in ("running", "available") for name in services)


# processes ----------------------------------------------------------------------------------------
# state file ---------------------------------------------------------------------------------------
def _read_state(layout: Paths, port: int) -> dict[str, Any] | None:
    try:
        return cast(dict[str, Any], json.loads(layout.state_file(port).read_text()))
    except (OSError, ValueError):
        return None


def _emulator_from_state(state: dict[str, Any]) -> Emulator:
    return Emulator(
        endpoint_url=state["endpoint_url"],
        port=int(state["port"]),
        pid=int(state["pid"]),
        region=state.get("region", DEFAULT_REGION),
        embedded=True,
    )


def running(port: int = DEFAULT_PORT, *, layout: Paths | None = None) -> Emulator | None:
    """The emulator this harness started on `port`, if its process is alive and its health answers."""
    layout = layout or default_layout()
    state = _read_state(layout, port)
    if not state:
        return None
    pid = int(state.get("pid") or 0)
    if not pid or not background.alive(pid) or not background.runs_module(pid, _MAIN_MODULE):
        layout.state_file(port).unlink(missing_ok=True)  # stale: the process is gone
        return None
    if health(state["endpoint_url"], timeout=3) is None:
        return None
    return _emulator_from_state(state)


def attach(endpoint_url: str, *, region: str = DEFAULT_REGION, timeout: float = 10.0) -> Emulator:
    """Use an emulator that already runs at `endpoint_url` (LocalStack in Docker, or any
    AWS-compatible endpoint); nothing is started, and stopping it is left to whoever runs it."""
    parsed = urlparse(endpoint_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise EmulatorError(f"--endpoint {endpoint_url!r} is not a URL like http://localhost:4566")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if parsed.hostname in ("127.0.0.1", "localhost"):
        ours = running(port)
        if ours is not None:  # the harness's own emulator (e.g. left by `harness up`)
            ours.region = region
            return ours
    emulator = Emulator(endpoint_url=endpoint_url.rstrip("/"), port=port, region=region)
    last: list[Exception] = []  # STS's last answer

    def answers() -> bool:
        if health(emulator.endpoint_url, timeout=3) is not None:
            return True
        try:  # not LocalStack: any AWS-compatible endpoint that answers STS will do
            emulator.client("sts").get_caller_identity()
            return True
        except Exception as error:
            last[:] = [error]
            return False

    def nothing_answers(_: str) -> EmulatorError:
        return EmulatorError(
            f"Nothing answers at {endpoint_url}: neither LocalStack's /_localstack/health nor "
            f"STS ({type(last[0]).__name__}: {last[0]}). Is the emulator running there?"
        )

    wait_until(answers, timeout=timeout, interval=0.5, error=nothing_answers)
    return emulator


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def emulator_environment(layout: Paths, port: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """LocalStack's environment: every path in the state folder, only the pipeline's services,
    Lambda on our host executor, event source mappings polling idle queues about every 0.5 s."""
    base = dict(os.environ if base is None else base)
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH"):
        base.pop(key, None)
    tmp = layout.instance_tmp(port)
    base.update(
        {
            "GATEWAY_LISTEN": f"127.0.0.1:{port}",
            "LOCALSTACK_HOST": f"127.0.0.1:{port}",
            "SQS_ENDPOINT_STRATEGY": "path",  # queue URLs that resolve without DNS: <endpoint>/queue/...
            "OVERRIDE_IN_DOCKER": "0",
            "FILESYSTEM_ROOT": str(layout.filesystem_root),
            "XDG_CACHE_HOME": str(layout.filesystem_root / "cache"),  # plux's entry point cache
            "TMPDIR": str(tmp),
            # DynamoDB Local's JVM: temp files here, no /tmp/hsperfdata_*, quicker start (C1 only)
            "JAVA_TOOL_OPTIONS": (f"-Djava.io.tmpdir={tmp} -XX:-UsePerfData -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "DNS_ADDRESS": "0",
            "LOCALSTACK_TELEMETRY_DISABLED": "1",
            "EAGER_SERVICE_LOADING": "1",
            "SERVICES": ",".join(SERVICES),
            "DYNAMODB_IN_MEMORY": "1",  # no tables left over from an earlier run, no shared files
            # streams from DynamoDB Local itself; the default provider runs kinesis-mock (Node,
            # fetched from npm at first use) and loses records written right after CreateTable
            "PROVIDER_OVERRIDE_DYNAMODB": "v2",
            "PROVIDER_OVERRIDE_DYNAMODBSTREAMS": "v2",
            "PROVIDER_OVERRIDE_ELBV2": "imagepipe",
            "PROVIDER_OVERRIDE_AUTOSCALING": "imagepipe",
            "LAMBDA_RUNTIME_EXECUTOR": EXECUTOR_NAME,
            "LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT": "30",
            "LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC": "0.2",
            "LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC": "0.5",
            "LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_ERROR_SEC": "5",
            # queues' message counts to CloudWatch every 5 s (60 by default): within each period of the
            # local stacks' alarms (10 s), so a parked message keeps its alarm in ALARM instead of
            # flapping to OK and back (and mailing) between reports
            "SQS_CLOUDWATCH_METRICS_REPORT_INTERVAL": "5",
            # read by our executor plugin and start hook
            "IMAGEPIPE_LAMBDA_RUNTIMES": json.dumps(layout.lambda_runtimes()),
            "IMAGEPIPE_LAMBDA_LOG_DIR": str(layout.lambda_logs),
            "IMAGEPIPE_LAMBDA_TMP_DIR": str(layout.lambda_tmp(port)),
            "IMAGEPIPE_S3_STORAGE_DIR": str(layout.s3_storage(port)),
            "IMAGEPIPE_EARLY_DYNAMODB": "1",
            "IMAGEPIPE_BIND_GATEWAY_HOST": "1",  # 127.0.0.1 only, not every interface
            "IMAGEPIPE_ROLE_CALLS": str(layout.role_calls(port)),
            "IMAGEPIPE_LAMBDA_FAULTS_FILE": str(layout.lambda_faults(port)),
        }
    )
    return base


def start(
    port: int = DEFAULT_PORT,
    *,
    progress: Progress | None = None,
    layout: Paths | None = None,
) -> Emulator:
    """Start the embedded emulator on `port` (installing first if needed) and return once its
    services answer (`launched` set); returns the one already running there if this harness
    started it (`launched` not set: another command or process did).

    Raises PrerequisiteError (Java missing, port taken by something else, ...) or EmulatorError
    (it did not become healthy: the message has the end of its log)."""
    progress = progress or _print_progress
    layout = layout or default_layout()
    with _start_lock(layout, port):
        return _start_locked(port, progress, layout)


@contextlib.contextmanager
def _start_lock(layout: Paths, port: int) -> Iterator[None]:
    """One start at a time per port and state folder: a second caller waits, then finds it running."""
    layout.tmp.mkdir(parents=True, exist_ok=True)
    with open(layout.tmp / f"emulator-{port}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _start_locked(port: int, progress: Progress, layout: Paths) -> Emulator:
    existing = running(port, layout=layout)
    if existing is not None:
        return existing
    _stop_unanswering(port, progress, layout)
    check_start_prerequisites(port)
    ensure_installed(progress, layout)
    tmp, log_path = _fresh_folders(port, layout)
    endpoint_url = f"http://127.0.0.1:{port}"
    progress(f"starting the emulator (LocalStack) on {endpoint_url}…")
    started = time.monotonic()
    # In a session of its own: it survives the command that started it, and stop() ends its group.
    process = background.launch(
        [str(layout.localstack_python), "-m", _MAIN_MODULE],
        log=log_path,
        cwd=tmp,
        env=emulator_environment(layout, port),
    )
    state = {
        "pid": process.pid,
        "port": port,
        "endpoint_url": endpoint_url,
        "region": DEFAULT_REGION,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "log": str(log_path),
    }
    layout.state_file(port).write_text(json.dumps(state, indent=2) + "\n")
    emulator = _emulator_from_state(state)
    emulator.launched = True
    _await_healthy(process, port, layout, log_path, deadline=started + START_TIMEOUT)
    healthy = time.monotonic() - started
    _await_dynamodb(emulator, port, layout, log_path)
    progress(
        f"emulator ready on {endpoint_url} (healthy in {healthy:.1f} s, DynamoDB in "
        f"{time.monotonic() - started - healthy:.1f} s more; log: {_display(log_path)})"
    )
    return emulator


def _stop_unanswering(port: int, progress: Progress, layout: Paths) -> None:
    """Stop an emulator this harness started on `port` earlier that no longer answers."""
    state = _read_state(layout, port)
    if (
        state
        and background.alive(int(state.get("pid") or 0))
        and background.runs_module(int(state["pid"]), _MAIN_MODULE)
    ):
        progress(f"an earlier emulator on port {port} does not answer; stopping it…")
        stop(port, layout=layout)


def _fresh_folders(port: int, layout: Paths) -> tuple[Path, Path]:
    """The emulator's working folder, emptied of an earlier run's S3 objects, code and environments,
    with the folders it writes to; and its log, the earlier run's kept beside it as `.1`."""
    tmp = layout.instance_tmp(port)
    shutil.rmtree(tmp, ignore_errors=True)
    for directory in (
        tmp,
        layout.s3_storage(port),
        layout.lambda_tmp(port),
        layout.lambda_logs,
        layout.filesystem_root,
    ):
        directory.mkdir(parents=True, exist_ok=True)
    log_path = layout.localstack_log(port)
    if log_path.exists():
        log_path.replace(log_path.with_name(log_path.name + ".1"))
    return tmp, log_path


def _await_healthy(process: subprocess.Popen[bytes], port: int, layout: Paths, log_path: Path, deadline: float) -> None:
    """Wait for the emulator's services to answer; EmulatorError with its log's end when it exits
    first or the `deadline` (a monotonic time) passes."""
    endpoint_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if _services_ready(health(endpoint_url, timeout=2)):
            return True
        if process.poll() is not None:
            layout.state_file(port).unlink(missing_ok=True)
            raise EmulatorError(
                f"The emulator exited during start (exit {process.returncode}). "
                f"The end of {_display(log_path)}:\n{background.log_tail(log_path)}"
            )
        return False

    try:
        wait_until(ready, timeout=deadline - time.monotonic(), interval=0.1)
    except TimedOut:
        stop(port, layout=layout)
        raise EmulatorError(
            f"The emulator did not become healthy within {START_TIMEOUT:.0f} s. "
            f"The end of {_display(log_path)}:\n{background.log_tail(log_path)}"
        ) from None


def _await_dynamodb(emulator: Emulator, port: int, layout: Paths, log_path: Path) -> None:
    """DynamoDB Local (Java) starts on first use: pay that now, not in the first real call."""
    try:
        emulator.client("dynamodb").list_tables(Limit=1)
    except Exception as error:
        stop(port, layout=layout)
        raise EmulatorError(
            f"The emulator started but DynamoDB does not answer ({error}). "
            f"The end of {_display(log_path)}:\n{background.log_tail(log_path)}"
        ) from None


def stop(port: int = DEFAULT_PORT, *, grace: float = STOP_GRACE, layout: Paths | None = None) -> bool:
    """Stop the emulator this harness started on `port`: SIGTERM, then SIGKILL after `grace`
    seconds, its children included (DynamoDB Local, Lambda runtimes). Removes its state file and
    its tmp folder. Returns whether there was one to stop."""
    layout = layout or default_layout()
    state = _read_state(layout, port)
    state_file = layout.state_file(port)
    if not state:
        return False
    pid = int(state.get("pid") or 0)
    stopped = False
    if pid and background.alive(pid) and background.runs_module(pid, _MAIN_MODULE):
        # SIGTERM: LocalStack shuts its services, DynamoDB and Lambdas down; then whatever it started
        # and left behind (Lambda runtimes live in their own sessions).
        background.stop(pid, grace, family=True)
        stopped = True
    state_file.unlink(missing_ok=True)
    tmp = layout.instance_tmp(port)
    shutil.rmtree(tmp, ignore_errors=True)
    # LocalStack's own tmp folder is FILESYSTEM_ROOT + TMPDIR (it empties it, but leaves the tree)
    shutil.rmtree(layout.filesystem_root / str(tmp).lstrip("/"), ignore_errors=True)
    return stopped
