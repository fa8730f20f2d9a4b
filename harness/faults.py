"""`python -m harness faults`: inject errors and delays into a share of a function's invocations on
the local stack, as AWS FIS's Lambda actions do on AWS (README: "Fault injection").

    faults set FUNCTION --error-rate R [--delay-ms D] [--delay-rate S] [--prevent-execution]
    faults clear [FUNCTION]          one function's fault, or every one
    faults list [--json]             what is set, per function

FUNCTION is a stage of the stack (ingest, enhance, removal, notify, mail, metadata, review, web: the
stack output `<stage>_function` names it) or a function's deployed name (`imagepipe-local-enhance`,
or any function in the emulator). Each command takes `--stack S` (default local) and `--port P` (the
emulator's; default: the one the stack is deployed in).

The faults live in one file of the emulator's (`<state>/tmp/<port>/lambda-faults.json`), which its
Lambda executor reads again at every invocation: a fault counts from the next invocation on, without
a redeploy, and ends with `clear` or when the emulator stops. What the executor does with it:
harness/lambda_executor/imagepipe_lambda_executor/faults.py.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError

from harness import emulator
from harness.aws import AwsTarget
from harness.deployed.stack_state import DEFAULT_STACK, StackState

MAX_DELAY_MS = 900_000  # Lambda's longest timeout (the executor's faults.py holds the same bound)
FAULTS_FILE_VARIABLE = "IMAGEPIPE_LAMBDA_FAULTS_FILE"  # how the emulator tells its executor (emulator/process.py)
FUNCTION_OUTPUT_SUFFIX = "_function"  # the stack outputs naming functions: `enhance_function`, …
LOOPBACK = frozenset({"127.0.0.1", "localhost"})


class FaultsError(RuntimeError):
    """A fault, function or emulator that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Fault:
    """One function's fault, as the executor reads it (error_rate and delay_rate are shares, 0 to 1)."""

    error_rate: float
    delay_ms: int = 0
    delay_rate: float = 1.0
    prevent_execution: bool = False
    set_at: str = ""

    def check(self) -> Fault:
        """This fault if its numbers are in range; FaultsError naming the first that is not."""
        if not 0 <= self.error_rate <= 1:
            raise FaultsError(f"--error-rate is a share of invocations, from 0 to 1: not {self.error_rate:g}")
        if not 0 <= self.delay_rate <= 1:
            raise FaultsError(f"--delay-rate is a share of invocations, from 0 to 1: not {self.delay_rate:g}")
        if not 0 <= self.delay_ms <= MAX_DELAY_MS:
            raise FaultsError(f"--delay-ms is from 0 to {MAX_DELAY_MS} (Lambda's longest timeout): not {self.delay_ms}")
        return self

    def describe(self) -> str:
        """In words, for `set` and `list`."""
        parts = []
        if self.error_rate:
            how = "the handler does not run" if self.prevent_execution else "the handler runs and sees it"
            parts.append(f"{self.error_rate:.0%} of invocations fail with InjectedFault ({how})")
        if self.delay_ms and self.delay_rate:
            parts.append(f"{self.delay_rate:.0%} of invocations wait {self.delay_ms} ms before the handler runs")
        return "; ".join(parts) or "nothing injected (error rate 0, no delay)"

    def as_fis(self) -> str:
        """The FIS actions and parameters that inject the same on AWS."""
        actions = []
        if self.error_rate:
            actions.append(
                f"aws:lambda:invocation-error invocationPercentage={self.error_rate * 100:g} "
                f"preventExecution={str(self.prevent_execution).lower()}"
            )
        if self.delay_ms and self.delay_rate:
            actions.append(
                f"aws:lambda:invocation-add-delay invocationPercentage={self.delay_rate * 100:g} "
                f"startupDelayMilliseconds={self.delay_ms}"
            )
        return "; ".join(actions) or "no action"


class FaultsFile:
    """The emulator's faults file: `{"functions": {name: fault}}`, changed under a lock and replaced
    whole, so the executor never reads half of it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Fault]:
        try:
            data = json.loads(self.path.read_text() or "{}")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise FaultsError(f"{self.path} cannot be read ({error}): `faults clear` starts it anew") from None
        functions = data.get("functions") if isinstance(data, dict) else None
        try:
            return {name: Fault(**entry) for name, entry in sorted(dict(functions or {}).items())}
        except (TypeError, ValueError):  # not an object of objects with a fault's fields
            raise FaultsError(f"{self.path} is not a faults file: `faults clear` starts it anew") from None

    @contextlib.contextmanager
    def changing(self) -> Iterator[dict[str, Fault]]:
        """The faults to change in place, written back when the block ends (one writer at a time)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                faults = self.read()
            except FaultsError:  # unreadable: what it held is lost either way
                faults = {}
            yield faults
            partial = self.path.with_name(self.path.name + ".partial")
            body = {"functions": {name: asdict(fault) for name, fault in sorted(faults.items())}}
            partial.write_text(json.dumps(body, indent=2) + "\n")
            os.replace(partial, self.path)


@dataclass(frozen=True)
class LocalStack:
    """Where the faults go: the emulator's port and endpoint, and the stack's functions by stage."""

    port: int
    endpoint_url: str
    region: str
    functions: dict[str, str]  # stage -> deployed name, from the stack's outputs

    @property
    def faults(self) -> FaultsFile:
        return FaultsFile(emulator.layout().lambda_faults(self.port))


def stack_state(stack: str) -> StackState | None:
    """What `python -m harness up` deployed of `stack` (None: not deployed)."""
    return StackState.load(emulator.layout().root / "stacks" / f"{stack}.json")


def local_stack(stack: str, port: int | None) -> LocalStack:
    """The emulator the stack is deployed in (or the one on `port`) and the stack's functions."""
    state = stack_state(stack)
    outputs: Mapping[str, Any] = state.outputs if state else {}
    if port is None:
        if state is None:
            port = emulator.DEFAULT_PORT
        else:
            parsed = urlparse(state.endpoint_url)
            if parsed.hostname not in LOOPBACK or parsed.port is None:
                raise FaultsError(
                    f"stack '{stack}' is deployed at {state.endpoint_url}, not in the harness's emulator: "
                    "faults are injected by its Lambda executor, so they work there only"
                )
            port = parsed.port
    functions = {
        key.removesuffix(FUNCTION_OUTPUT_SUFFIX): value
        for key, value in outputs.items()
        if key.endswith(FUNCTION_OUTPUT_SUFFIX) and isinstance(value, str)
    }
    region = str(outputs.get("region") or "us-east-1")
    return LocalStack(port, f"http://127.0.0.1:{port}", region, functions)


def function_exists(local: LocalStack, name: str) -> bool:
    """Whether the emulator has a function called `name`."""
    try:
        AwsTarget(local.endpoint_url, local.region).client("lambda").get_function(FunctionName=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise FaultsError(f"the emulator at {local.endpoint_url} cannot say whether {name} exists: {error}") from None
    except BotoCoreError as error:
        raise FaultsError(f"the emulator at {local.endpoint_url} does not answer: {error}") from None
    return True


def resolve(local: LocalStack, name: str, known: Mapping[str, Fault]) -> str:
    """The deployed name of FUNCTION `name`: a stage's function, a function with a fault set, or a
    function of the emulator; FaultsError naming the stages otherwise."""
    if name in local.functions:
        return local.functions[name]
    if name in local.functions.values() or name in known:
        return name
    if running(local) and function_exists(local, name):
        return name
    stages = ", ".join(sorted(local.functions)) or "none: the stack is not deployed (`python -m harness up`)"
    raise FaultsError(f"no function {name!r} here: give a function's name or a stage of the stack ({stages})")


def running(local: LocalStack) -> bool:
    return emulator.running(local.port) is not None


def check_injecting(local: LocalStack) -> None:
    """FaultsError unless the harness's emulator runs on the port and was started telling its Lambda
    executor where the faults are (one started by an older harness was not: it would ignore them)."""
    running = emulator.running(local.port)
    if running is None:
        raise FaultsError(
            f"no emulator of the harness runs on port {local.port}: `python -m harness up` first "
            "(faults are the running emulator's, and end when it stops)"
        )
    try:
        environment = Path(f"/proc/{running.pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return  # cannot tell: let it be
    if not any(entry.startswith(FAULTS_FILE_VARIABLE.encode() + b"=") for entry in environment):
        raise FaultsError(
            f"the emulator on port {local.port} was started by a harness without fault injection, and would "
            "ignore faults: restart it (`make down`, then `make up`)"
        )


# --- the commands ------------------------------------------------------------------------------


def set_fault(local: LocalStack, name: str, fault: Fault) -> str:
    """Set FUNCTION's fault (replacing the one it had): what `set` prints."""
    fault.check()
    check_injecting(local)
    with local.faults.changing() as faults:
        function = resolve(local, name, faults)
        faults[function] = Fault(**{**asdict(fault), "set_at": now()})
    return f"{function}: {fault.describe()}, from its next invocation on\n  on AWS with FIS: {fault.as_fis()}"


def clear_faults(local: LocalStack, name: str | None) -> str:
    """Clear FUNCTION's fault, or every one: what `clear` prints."""
    with local.faults.changing() as faults:
        if name is None:
            cleared = sorted(faults)
            faults.clear()
            return f"cleared the faults of {', '.join(cleared)}" if cleared else "no faults were set"
        function = resolve(local, name, faults)
        if faults.pop(function, None) is None:
            return f"{function} had no fault"
        return f"cleared the fault of {function}"


def list_faults(local: LocalStack, as_json: bool) -> str:
    faults = local.faults.read()
    if as_json:
        return json.dumps([{"function": name, **asdict(fault)} for name, fault in faults.items()], indent=2)
    if not faults:
        return f"no faults set (emulator on port {local.port})"
    return "\n".join(f"{name}: {fault.describe()} (set {fault.set_at})" for name, fault in faults.items())


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def add_faults_command(commands: Any) -> None:
    """Add `faults set|clear|list` to a command line's subparsers (harness/cli.py's)."""
    faults = commands.add_parser("faults", help="inject errors and delays into a function's invocations (local)")
    actions = faults.add_subparsers(dest="faults_action", required=True)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--stack", default=DEFAULT_STACK, help=f"the local stack (default: {DEFAULT_STACK})")
    where.add_argument("--port", type=int, help="the emulator's port (default: the one the stack is deployed in)")
    set_ = actions.add_parser("set", parents=[where], help="set a function's fault (replacing its last)")
    set_.add_argument("function", metavar="FUNCTION", help="a stage (enhance, …) or a function's name")
    set_.add_argument("--error-rate", type=float, required=True, metavar="R", help="share of invocations that fail")
    set_.add_argument("--delay-ms", type=int, default=0, metavar="D", help="milliseconds before the handler runs")
    set_.add_argument("--delay-rate", type=float, default=1.0, metavar="S", help="share of invocations delayed")
    set_.add_argument("--prevent-execution", action="store_true", help="a failing invocation does not run the handler")
    clear = actions.add_parser("clear", parents=[where], help="clear a function's fault, or every one")
    clear.add_argument("function", metavar="FUNCTION", nargs="?")
    listing = actions.add_parser("list", parents=[where], help="the faults set, per function")
    listing.add_argument("--json", action="store_true", help="as a JSON list of objects")


def run_faults(args: argparse.Namespace) -> None:
    """Run the parsed `faults` command; an unusable fault or function prints `error: …` and exits 1."""
    try:
        local = local_stack(args.stack, args.port)
        if args.faults_action == "set":
            fault = Fault(args.error_rate, args.delay_ms, args.delay_rate, args.prevent_execution)
            print(set_fault(local, args.function, fault), flush=True)
        elif args.faults_action == "clear":
            print(clear_faults(local, args.function), flush=True)
        else:
            print(list_faults(local, args.json), flush=True)
    except FaultsError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
