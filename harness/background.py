"""Background processes the harness starts and stops: the emulator, the CDN edge (each found again
by a later command through a state file, so they outlive the command that started them), and the
processes a benchmark or a test serves from for a while.

One lifecycle for all: `launch` starts a process in a session of its own with its output appended
to a log, and keeps its handle so that it is reaped (a zombie never looks alive); `alive` and
`runs_module` tell a live process of ours from a pid reused by another; `stop` asks it to end
(SIGTERM), waits, kills what is left (SIGKILL), its process group and every descendant it started
too when asked; `log_tail` quotes the end of a log in an error.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.polling import TimedOut, wait_until

_children: dict[int, subprocess.Popen[bytes]] = {}  # started by this process: reaped, so no zombie looks alive


def launch(
    command: Sequence[str], *, log: Path, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `command` in a session of its own (it outlives the command that started it, and its
    group can be ended at once), its stdout and stderr appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as output:
        process = subprocess.Popen(
            list(command),
            env=dict(env) if env is not None else None,
            cwd=str(cwd),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _children[process.pid] = process
    return process


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat as fields: pid, comm, state, ppid, …"""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    head, _, tail = raw.rpartition(")")  # comm may hold spaces: split after its closing parenthesis
    return [head.split(" (", 1)[0], head.split(" (", 1)[-1], *tail.split()]


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    stat = _stat(pid)
    return stat is not None and stat[2] not in ("Z", "X")


def runs_module(pid: int, module: str) -> bool:
    """Whether `pid`'s command line runs `python -m <module>` (ours, not a reused pid)."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return module.encode() in arguments


def descendants(pid: int) -> list[int]:
    """Every process started by `pid`, by its children, and so on."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is not None:
            children.setdefault(int(stat[3]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _signal(pid: int, sig: int, *, group: bool = False) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group:
            os.killpg(pid, sig)
        os.kill(pid, sig)


def stop(pid: int, grace: float, *, family: bool = False) -> None:
    """SIGTERM `pid`, SIGKILL after `grace` seconds; with `family`, its process group and whatever
    it started and left behind (in sessions of their own) too."""
    kin = descendants(pid) if family else []
    _signal(pid, signal.SIGTERM)
    with contextlib.suppress(TimedOut):
        wait_until(lambda: not alive(pid), timeout=grace, interval=0.05)
    if alive(pid):
        _signal(pid, signal.SIGKILL, group=family)
    if family:
        kin += [p for p in descendants(pid) if p not in kin]
    child = _children.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
    for orphan in kin:
        if alive(orphan):
            _signal(orphan, signal.SIGKILL, group=True)


def log_tail(path: Path, lines: int = 30) -> str:
    """The last `lines` of the log at `path`, indented, for an error message."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "    (no log)"
    return "\n".join("    " + line for line in text[-lines:])
