"""Faults injected into a function's invocations, as AWS FIS's Lambda actions inject them
(`aws:lambda:invocation-error`, `aws:lambda:invocation-add-delay`), for the local stack only.
Standard library only: the supervisor (the Lambda runtime's Python) imports it.

`python -m harness faults set|clear|list` (harness/faults.py) writes them into one JSON file per
emulator, `<state>/tmp/<port>/lambda-faults.json`, which the emulator's start and stop empty::

    {"functions": {"imagepipe-local-enhance": {"error_rate": 1.0, "delay_ms": 0, "delay_rate": 1.0,
                                               "prevent_execution": false, "set_at": "…"}}}

The executor gives each execution environment's supervisor the file's path (`--faults-file`); the
supervisor reads it again at every invocation of its function (no redeploy, no restart) and draws:

- a delay of `delay_ms` for a `delay_rate` share of invocations, before the handler gets the event
  (FIS: startupDelayMilliseconds and that action's invocationPercentage); it counts against the
  function's timeout, as there;
- an error for an `error_rate` share (FIS: invocationPercentage / 100). The invocation then ends as a
  function error (errorType `InjectedFault`), so an event source retries it as it would any failure.
  With `prevent_execution` (FIS: preventExecution=true) the handler does not run. Without, the
  handler runs with the fault in its environment (FUNCTION_VARIABLE: JSON {"request_id",
  "message"}): the stage skeleton (handlers/runtime/stage.py) raises it where each message's attempt
  starts, so the stage fails that message as its own, and records the failure on its last attempt;
  code that does not look runs to its end, and the invocation is reported failed all the same (FIS:
  preventExecution=false).

Every injection is a `[FAULT]` line in the invocation's log (the function's log file, between START
and END).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass

# typing.TYPE_CHECKING without importing typing at run time (annotations are not evaluated).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

FUNCTION_VARIABLE = "IMAGEPIPE_INJECTED_FAULT"  # handlers/runtime/stage.py INJECTED_FAULT
ERROR_TYPE = "InjectedFault"
MAX_DELAY_MS = 900_000  # Lambda's longest timeout: a longer delay could only time every invocation out
SEED_VARIABLE = "IMAGEPIPE_RUNTIME_FAULT_SEED"  # the supervisor's draws, reproducible (tests); never the function's


class FaultFileError(ValueError):
    """The faults file, or a function's entry in it, is not what harness/faults.py writes."""


@dataclass(frozen=True)
class Fault:
    """What is injected into a function's invocations (see the module docstring)."""

    error_rate: float = 0.0
    delay_ms: int = 0
    delay_rate: float = 1.0
    prevent_execution: bool = False

    @classmethod
    def from_entry(cls, entry: object) -> Fault:
        """A function's entry of the faults file; FaultFileError if it is not one."""
        if not isinstance(entry, dict):
            raise FaultFileError(f"a function's fault should be an object, not {entry!r}")
        error_rate, delay_rate = entry.get("error_rate", 0.0), entry.get("delay_rate", 1.0)
        delay_ms, prevent = entry.get("delay_ms", 0), entry.get("prevent_execution", False)
        for name, rate in (("error_rate", error_rate), ("delay_rate", delay_rate)):
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise FaultFileError(f"{name} should be a number from 0 to 1, not {rate!r}")
        if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or not 0 <= delay_ms <= MAX_DELAY_MS:
            raise FaultFileError(f"delay_ms should be a whole number from 0 to {MAX_DELAY_MS}, not {delay_ms!r}")
        if not isinstance(prevent, bool):
            raise FaultFileError(f"prevent_execution should be true or false, not {prevent!r}")
        return cls(float(error_rate), delay_ms, float(delay_rate), prevent)


def read_fault(path: str, function_name: str) -> Fault | None:
    """The fault set for `function_name` in the faults file at `path`: None when the file or the
    function's entry is missing; FaultFileError when the file cannot be read as one."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read() or b"{}")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise FaultFileError(f"{path} cannot be read: {error}") from None
    functions = data.get("functions") if isinstance(data, dict) else None
    if not isinstance(functions, dict):
        raise FaultFileError(f"{path} has no object `functions`")
    entry = functions.get(function_name)
    return None if entry is None else Fault.from_entry(entry)


@dataclass(frozen=True)
class Injection:
    """What one invocation gets of its function's fault: an error, a delay, or both."""

    fault: Fault
    error: bool
    delay_ms: int

    @property
    def prevents_execution(self) -> bool:
        return self.error and self.fault.prevent_execution

    def message(self) -> str:
        """The injected error's message: the stage records it as the reason on a last attempt."""
        return f"fault injected by `python -m harness faults` (error rate {self.fault.error_rate:g})"

    def error_body(self, request_id: str) -> dict[str, Any]:
        """The invocation's error, in AWS's shape."""
        return {"errorMessage": self.message(), "errorType": ERROR_TYPE, "requestId": request_id, "stackTrace": []}

    def function_environment(self, request_id: str) -> dict[str, str]:
        """What the function's process gets in its environment while this invocation runs."""
        if not self.error or self.prevents_execution:
            return {}
        return {FUNCTION_VARIABLE: json.dumps({"request_id": request_id, "message": self.message()})}

    def log_lines(self) -> list[str]:
        """What the function's log says of this injection, one `[FAULT]` line per action."""
        lines = []
        if self.delay_ms:
            lines.append(f"[FAULT] aws:lambda:invocation-add-delay: {self.delay_ms} ms before the handler runs")
        if self.error:
            how = "the handler does not run" if self.fault.prevent_execution else "the handler runs and sees it"
            lines.append(
                f"[FAULT] aws:lambda:invocation-error: this invocation fails with {ERROR_TYPE} "
                f"(error rate {self.fault.error_rate:g}; {how})"
            )
        return lines

    def wait(self, deadline: float) -> bool:
        """Sleep the delay, at most until `deadline` (a monotonic time, the function's timeout):
        whether the invocation still has time after it."""
        if self.delay_ms:
            time.sleep(max(0.0, min(self.delay_ms / 1000, deadline - time.monotonic())))
        return time.monotonic() < deadline


def draw(fault: Fault, rng: random.Random) -> Injection:
    """One invocation's share of `fault`: an error with probability error_rate (1 always, 0 never),
    the delay with probability delay_rate."""
    error = rng.random() < fault.error_rate
    delayed = fault.delay_ms > 0 and rng.random() < fault.delay_rate
    return Injection(fault, error, fault.delay_ms if delayed else 0)


class FaultSource:
    """One execution environment's faults: the file re-read at every invocation, its own draws.
    `warn` says once per distinct problem that the file cannot be used (no fault is injected then)."""

    def __init__(self, path: str | None, function_name: str, seed: str | None, warn: Callable[[str], None]) -> None:
        self.path = path
        self.function_name = function_name
        self.random = random.Random(seed)  # seed None: from the system's entropy
        self.warn = warn
        self._warned: set[str] = set()

    def next_injection(self) -> Injection | None:
        """What the next invocation gets, or None (no fault set, or nothing drawn)."""
        if not self.path or not self.function_name:
            return None
        try:
            fault = read_fault(self.path, self.function_name)
        except FaultFileError as error:
            if str(error) not in self._warned:
                self._warned.add(str(error))
                self.warn(f"no fault injected: {error}")
            return None
        if fault is None:
            return None
        injection = draw(fault, self.random)
        return injection if injection.error or injection.delay_ms else None
