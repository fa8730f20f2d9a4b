"""The runtime side of LocalStack's executor protocol, for one Lambda execution environment.
Standard library only: it runs with the Lambda runtime's Python (not LocalStack's).

    python -P supervisor.py --port PORT --log-file FILE [--faults-file FILE]

Its environment is the function's (the executor builds it clean), including LocalStack's
LOCALSTACK_RUNTIME_ID / LOCALSTACK_RUNTIME_ENDPOINT, _HANDLER, AWS_LAMBDA_FUNCTION_TIMEOUT and
AWS_LAMBDA_FUNCTION_MEMORY_SIZE.

- Keeps one worker process (worker.py, held by worker_process.py) that imports the handler once and
  runs invocations one at a time; posts `<endpoint>/status/<runtime id>/ready` once listening and
  the worker's init is over.
- Receives each invocation as `POST /invoke` and answers 202 at once (runtime_api.py); the result
  goes back as `POST <endpoint>/invocations/<id>/logs` then `.../response` or `.../error`.
- Enforces the function timeout (kills the worker, answers AWS's "Task timed out after N.NN seconds",
  the next invocation gets a fresh worker) and the memory size (the worker's RSS from /proc; over it:
  killed, "Runtime exited with error: signal: killed", Runtime.ExitError).
- Injects the faults `python -m harness faults` sets for its function (faults.py): a delay before the
  handler, an error instead of the invocation's result, each logged as a `[FAULT]` line.
- Cuts the worker's stdout+stderr per invocation at the end marker the worker writes, and appends it,
  with START/END/REPORT lines like Lambda's, to the function's log file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

# typing.TYPE_CHECKING without importing typing at run time: the names below are for the type checker
# only (annotations are not evaluated at run time).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

HARNESS_ENV_PREFIXES = ("IMAGEPIPE_RUNTIME_",)

# Run as a script (`python -P supervisor.py`, as the executor starts it), its folder is not on the path:
# it is put there for the sibling runtime_api.py and worker_process.py alone (nothing else of the package is imported
# here: the rest needs LocalStack). Imported as a module of the package (mypy), the relative import.
if __package__:
    from .faults import SEED_VARIABLE, FaultSource, Injection
    from .runtime_api import RuntimeApi
    from .worker_process import Outcome, WorkerProcess, exit_description, log
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from faults import SEED_VARIABLE, FaultSource, Injection  # type: ignore[import-not-found,no-redef]
    from runtime_api import RuntimeApi  # type: ignore[import-not-found,no-redef]
    from worker_process import (  # type: ignore[import-not-found,no-redef]
        Outcome,
        WorkerProcess,
        exit_description,
        log,
    )


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def exit_error(request_id: str, description: str) -> dict[str, Any]:
    """The error Lambda answers when the runtime exited."""
    return {
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {description}",
        "errorType": "Runtime.ExitError",
    }


@dataclass
class Invocation:
    """One invocation under way: its id, when it started (monotonic and wall clock), its worker, and
    the worker's init lines and time when it is the worker's first invocation."""

    request_id: str
    started: float
    started_wall: float
    worker: WorkerProcess
    preamble: list[tuple[float, str]] = field(default_factory=list)
    init_ms: float | None = None
    injected: list[tuple[float, str]] = field(default_factory=list)  # the [FAULT] lines, after START


class Supervisor:
    def __init__(
        self, port: int, log_file: str | None, env: dict[str, str] | None = None, faults_file: str | None = None
    ):
        self.env = dict(os.environ if env is None else env)
        self.port = port
        self.log_file = log_file
        self.runtime_id = self.env.get("LOCALSTACK_RUNTIME_ID", "")
        self.timeout = float(self.env.get("AWS_LAMBDA_FUNCTION_TIMEOUT") or 3)
        self.memory_mb = int(float(self.env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 128))
        self.memory_limit = self.memory_mb * 1024 * 1024
        self.version = self.env.get("AWS_LAMBDA_FUNCTION_VERSION") or "$LATEST"
        self.task_root = self.env.get("LAMBDA_TASK_ROOT") or os.getcwd()
        self.worker_env = {k: v for k, v in self.env.items() if not k.startswith(HARNESS_ENV_PREFIXES)}
        self.python = sys.executable
        self.api = RuntimeApi(port, self.env.get("LOCALSTACK_RUNTIME_ENDPOINT", ""), log)
        self.worker: WorkerProcess | None = None
        function_name = self.env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.faults = FaultSource(faults_file, function_name, self.env.get(SEED_VARIABLE), log)

    # lifecycle
    def serve(self) -> None:
        self.api.listen()
        self.worker = WorkerProcess(self.python, self.worker_env, self.task_root)
        self.worker.await_init(None, self.memory_limit)
        self.api.post(f"/status/{self.runtime_id}/ready", b"", retries=20)
        self.run_invocations()

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.kill()
        self.api.close()

    # the worker
    def run_invocations(self) -> None:
        while True:
            request = self.api.invocations.get()
            if request is None:
                return
            try:
                self.invoke(request)
            except Exception as error:  # never leave LocalStack waiting
                log(f"invocation failed inside the supervisor: {error!r}")
                request_id = request.get("invoke-id", "")
                self.api.post(
                    f"/invocations/{request_id}/error",
                    json.dumps(
                        {
                            "errorMessage": f"imagepipe runtime supervisor failed: {error!r}",
                            "errorType": "Runtime.Unknown",
                        }
                    ).encode(),
                )

    def invoke(self, request: dict[str, Any]) -> None:
        started = time.monotonic()
        deadline = started + self.timeout
        worker = self._ready_worker(deadline)
        call = Invocation(request["invoke-id"], started, time.time(), worker)
        if not worker.init_reported:  # the first invocation of a worker reports its init
            worker.init_reported = True
            call.preamble, call.init_ms = worker.init_lines, worker.init_ms
        if worker.init_error is not None or worker.init_failure is not None:
            self._fail_init(call)
            return
        injection = self.faults.next_injection()
        if injection is not None and not self._inject(call, injection, deadline):
            return
        environment = injection.function_environment(call.request_id) if injection else {}
        try:
            deadline_ms = int((call.started_wall + self.timeout) * 1000)
            worker.send({**request, "deadline-ms": deadline_ms, "invocation-environment": environment})
            outcome, message = worker.next_message(deadline, self.memory_limit)
        except OSError:  # the worker died since its last invocation
            worker.process.wait()
            outcome, message = Outcome.EXIT, None
        if outcome == Outcome.MESSAGE and message and message.get("type") == "result":
            lines = worker.take_segment(f"end:{call.request_id}")
            if message.get("ok") and injection is not None and injection.error:  # ran, and fails all the same
                self.finish(call, lines, error=injection.error_body(call.request_id))
            elif message.get("ok"):
                self.finish(call, lines, body=message["body"].encode())
            else:  # the function's own exception: AWS's REPORT line has no status for it
                self.finish(call, lines, error=message["error"])
            return
        self._lose_worker(call, outcome)

    def _inject(self, call: Invocation, injection: Injection, deadline: float) -> bool:
        """Log the injection and sleep its delay; answer at once what ends the invocation before its
        handler runs (the delay reaching the timeout, or an error that prevents execution): whether
        the handler is to run."""
        call.injected = [(time.time(), line) for line in injection.log_lines()]
        if not injection.wait(deadline):
            self.finish_timeout(call, [])
            return False
        if injection.prevents_execution:
            self.finish(call, [], error=injection.error_body(call.request_id))
            return False
        return True

    def _ready_worker(self, deadline: float) -> WorkerProcess:
        """The worker, its init over (a new one if there is none or it exited)."""
        worker = self.worker
        if worker is None or worker.process.poll() is not None:
            worker = self.worker = WorkerProcess(self.python, self.worker_env, self.task_root)
        if not worker.init_done:
            worker.await_init(deadline, self.memory_limit)
        return worker

    def _fail_init(self, call: Invocation) -> None:
        """Answer an invocation whose worker's init failed; AWS runs the init again at the next one."""
        worker = call.worker
        if worker.init_failure == Outcome.TIMEOUT:
            self.finish_timeout(call, [])
        else:
            error = worker.init_error or exit_error(call.request_id, worker.init_exit)
            self.finish(call, [], error=error, status="error")
        worker.kill()
        self.worker = None

    def _lose_worker(self, call: Invocation, outcome: str) -> None:
        """Answer an invocation whose worker is gone or must go (timeout, memory, crash, or a
        confused protocol), and start the next worker."""
        worker = call.worker
        if outcome == Outcome.TIMEOUT:
            worker.kill()
            self.finish_timeout(call, worker.drain())
        else:
            if outcome == Outcome.EXIT:
                description = exit_description(worker.process.returncode)
            else:
                worker.kill()
                description = "signal: killed"
            self.finish(call, worker.drain(), error=exit_error(call.request_id, description), status="error")
        self.worker = None
        self.respawn()

    def respawn(self) -> None:
        """Start the next worker now, so its init overlaps the wait for the next invocation."""
        try:
            self.worker = WorkerProcess(self.python, self.worker_env, self.task_root)
        except OSError as error:
            log(f"could not start a worker: {error}")
            self.worker = None

    def finish_timeout(self, call: Invocation, lines: list[tuple[float, str]]) -> None:
        now = time.time()
        message = f"{_iso(now)} {call.request_id} Task timed out after {self.timeout:.2f} seconds"
        error = {"errorMessage": message, "errorType": "Sandbox.Timedout"}
        self.finish(call, [*lines, (now, message)], error=error, status="timeout")

    def finish(
        self,
        call: Invocation,
        lines: list[tuple[float, str]],
        body: bytes | None = None,
        error: dict[str, Any] | None = None,
        status: str | None = None,
    ) -> None:
        request_id = call.request_id
        duration_ms = (time.monotonic() - call.started) * 1000
        ended = time.time()
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(duration_ms))} ms\tMemory Size: {self.memory_mb} MB\t"
            f"Max Memory Used: {call.worker.max_memory_used_mb()} MB"
        )
        if call.init_ms is not None:
            report += f"\tInit Duration: {call.init_ms:.2f} ms"
        if status:
            report += f"\tStatus: {status}"
            if error and status == "error" and error.get("errorType", "").startswith("Runtime."):
                report += f"\tError Type: {error['errorType']}"
        entries = [
            *list(call.preamble),
            (call.started_wall, f"START RequestId: {request_id} Version: {self.version}"),
            *call.injected,
            *list(lines),
            (ended, f"END RequestId: {request_id}"),
            (ended, report),
        ]
        text = "".join(f"{line}\n" for _, line in entries)
        self.append_log_file(entries)
        self.api.post(f"/invocations/{request_id}/logs", json.dumps({"logs": text}).encode())
        if error is None:
            self.api.post(f"/invocations/{request_id}/response", body if body is not None else b"null")
        else:
            self.api.post(f"/invocations/{request_id}/error", json.dumps(error).encode())

    def append_log_file(self, entries: list[tuple[float, str]]) -> None:
        if not self.log_file:
            return
        block = "".join(f"{_iso(ts)} {line}\n" for ts, line in entries).encode("utf-8", "replace")
        try:
            os.makedirs(os.path.dirname(self.log_file) or ".", exist_ok=True)
            fd = os.open(self.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, block)  # one write per invocation: concurrent environments do not interleave
            finally:
                os.close(fd)
        except OSError as error:
            log(f"could not write {self.log_file}: {error}")


def _watch_parent(supervisor: Supervisor) -> None:
    """Leave with LocalStack: if the process that started us is gone, stop the worker and exit."""
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            supervisor.shutdown()
            os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-file")
    parser.add_argument("--faults-file", help="the emulator's faults file (faults.py), read at every invocation")
    args = parser.parse_args(argv)
    supervisor = Supervisor(args.port, args.log_file, faults_file=args.faults_file)

    def terminate(signum: int, frame: FrameType | None) -> None:
        supervisor.shutdown()
        os._exit(0)

    signal.signal(signal.SIGTERM, terminate)
    threading.Thread(target=_watch_parent, args=(supervisor,), daemon=True).start()
    supervisor.serve()


if __name__ == "__main__":
    main()
