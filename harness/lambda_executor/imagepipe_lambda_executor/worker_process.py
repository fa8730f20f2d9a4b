"""One Lambda worker process (worker.py) as the supervisor keeps it: its pipes, its output cut into
segments at the end markers the worker writes, its memory read from /proc, and how its exit reads in
Go's words, as AWS reports them. Standard library only: it runs with the Lambda runtime's Python."""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time

# typing.TYPE_CHECKING without importing typing at run time: the names below are for the type checker
# only (annotations are not evaluated at run time).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
POLL_SECONDS = 0.02
MARKER_WAIT_SECONDS = 5.0
DRAIN_SECONDS = 1.0
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def log(message: str) -> None:
    """A line of the supervisor's own on its stderr (kept by the executor for get_logs)."""
    sys.stderr.write(f"[imagepipe-supervisor {os.getpid()}] {message}\n")
    sys.stderr.flush()


def rss_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


def peak_rss_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def exit_description(returncode: int | None) -> str:
    """Go's wording, as AWS reports it: "exit status 1", "signal: killed"."""
    if returncode is None:
        return "unknown"
    if returncode < 0:
        names: dict[int, str] = {
            signal.SIGKILL: "killed",
            signal.SIGSEGV: "segmentation fault",
            signal.SIGABRT: "aborted",
            signal.SIGTERM: "terminated",
            signal.SIGBUS: "bus error",
        }
        number = -returncode
        try:
            name = names.get(number) or signal.Signals(number).name.lower().removeprefix("sig")
        except ValueError:
            name = str(number)
        return f"signal: {name}"
    return f"exit status {returncode}"


class Outcome:
    """How waiting for the worker ended."""

    MESSAGE = "message"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    EXIT = "exit"


class WorkerProcess:
    """One worker.py process with its output stream cut into segments at the end markers."""

    def __init__(self, python: str, env: dict[str, str], cwd: str):
        self.nonce = secrets.token_hex(8)
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        self.process = subprocess.Popen(
            [python, "-P", "-u", WORKER, str(request_read), str(result_write), self.nonce],
            pass_fds=(request_read, result_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
        )
        os.close(request_read)
        os.close(result_write)
        self.requests = os.fdopen(request_write, "wb", buffering=0)
        self.results: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._cond = threading.Condition()
        self._pending: list[tuple[float, str]] = []
        self._segments: dict[str, list[tuple[float, str]]] = {}
        self._eof = False
        self.peak_rss = 0
        self.init_done = False
        self.init_error: dict[str, Any] | None = None  # the handler could not be loaded (AWS's error shape)
        self.init_failure: str | None = None  # the worker died during init: timeout, memory, exit
        self.init_exit = ""
        self.init_ms: float | None = None
        self.init_lines: list[tuple[float, str]] = []
        self.init_reported = False
        threading.Thread(target=self._read_output, daemon=True).start()
        threading.Thread(target=self._read_results, args=(os.fdopen(result_read, "rb"),), daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_output(self) -> None:
        prefix = b"\x1e" + self.nonce.encode() + b":"
        stream = self.process.stdout
        assert stream is not None
        for raw in iter(stream.readline, b""):
            now = time.time()
            index = raw.find(prefix)
            with self._cond:
                if index < 0:
                    self._pending.append((now, raw.decode("utf-8", "replace").rstrip("\n")))
                    continue
                if index > 0:
                    self._pending.append((now, raw[:index].decode("utf-8", "replace")))
                body = raw[index + len(prefix) :].rstrip(b"\n").rstrip(b"\x1e").decode("utf-8", "replace")
                self._segments[body] = self._pending
                self._pending = []
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def _read_results(self, stream: IO[bytes]) -> None:
        for line in stream:
            try:
                self.results.put(json.loads(line))
            except ValueError:
                log(f"unreadable message from the worker: {line[:200]!r}")
        self.results.put(None)

    def take_segment(self, key: str, timeout: float = MARKER_WAIT_SECONDS) -> list[tuple[float, str]]:
        """The output up to the marker `key` (or all there is, if the marker never comes)."""
        end = time.monotonic() + timeout
        with self._cond:
            while key not in self._segments and not self._eof:
                remaining = end - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if key in self._segments:
                return self._segments.pop(key)
            lines, self._pending = self._pending, []
            return lines

    def drain(self, timeout: float = DRAIN_SECONDS) -> list[tuple[float, str]]:
        """After the worker died: everything it wrote that no marker closed."""
        end = time.monotonic() + timeout
        with self._cond:
            while not self._eof and time.monotonic() < end:
                self._cond.wait(max(0.0, end - time.monotonic()))
            lines = [line for key in list(self._segments) for line in self._segments.pop(key)]
            lines += self._pending
            self._pending = []
            return lines

    def next_message(self, deadline: float | None, memory_limit: int) -> tuple[str, dict[str, Any] | None]:
        """The worker's next message, or why there is none: timeout (past `deadline`, a monotonic
        time), memory (its RSS over `memory_limit` bytes), exit."""
        while True:
            timeout = POLL_SECONDS
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return Outcome.TIMEOUT, None
                timeout = min(timeout, remaining)
            try:
                message = self.results.get(timeout=timeout)
            except queue.Empty:
                if self.sample_memory() > memory_limit:
                    return Outcome.MEMORY, None
                continue
            if message is None:
                self.process.wait()
                return Outcome.EXIT, None
            self.sample_memory()
            return Outcome.MESSAGE, message

    def await_init(self, deadline: float | None, memory_limit: int) -> str:
        """Wait for the handler's import (the init) to end, and keep what it said and logged."""
        outcome, message = self.next_message(deadline, memory_limit)
        self.init_done = True
        if outcome == Outcome.MESSAGE and message and message.get("type") == "init":
            self.init_ms = message.get("init_ms")
            self.init_error = None if message.get("ok") else message.get("error")
            self.init_lines = self.take_segment("init:")
            return outcome
        if outcome in (Outcome.TIMEOUT, Outcome.MEMORY):
            self.kill()
        self.init_lines = self.drain()
        self.init_failure = outcome
        self.init_exit = "signal: killed" if outcome != Outcome.EXIT else exit_description(self.process.returncode)
        return outcome

    def send(self, message: dict[str, Any]) -> None:
        self.requests.write(json.dumps(message).encode() + b"\n")

    def sample_memory(self) -> int:
        rss = rss_bytes(self.pid)
        if rss is not None:
            self.peak_rss = max(self.peak_rss, rss)
        return rss or 0

    def max_memory_used_mb(self) -> int:
        peak = peak_rss_bytes(self.pid)
        if peak is not None:
            self.peak_rss = max(self.peak_rss, peak)
        return max(1, math.ceil(self.peak_rss / (1024 * 1024)))

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        with contextlib.suppress(OSError):
            self.requests.close()
