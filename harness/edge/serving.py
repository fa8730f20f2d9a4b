"""Starting, finding and stopping the edge process (harness/background.py's lifecycle), as
harness/emulator/process.py does the emulator's.

`serve(state)` (what `python -m harness up` calls after each deploy) starts `python -m harness.edge`
for the stack's distributions, detached in its own session so that it outlives the command, after
stopping the edge serving the stack's previous deploy: a redeploy's configuration applies at once.
With no distribution in the stack it only stops the old edge. `stop()` ends it (`python -m harness
down`). Each stack has its edge, so two stacks deployed into one emulator are served at once.

The state folder holds `edge.json` (pid, ports, deploy state, the emulator session it serves) and
`logs/edge.log` (every request, and why an origin failed) for the `local` stack, and
`edge-<stack>.json`, `logs/edge-<stack>.log` for another.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from harness import background
from harness.deployed.loopback_ports import answers, bindable
from harness.deployed.stack_state import DEFAULT_STACK
from harness.edge.stack import EdgeConfigError, load_stack
from harness.emulator.state_folder import REPO_ROOT, Paths
from harness.emulator.state_folder import layout as default_layout
from harness.polling import TimedOut, wait_until

START_TIMEOUT = 20.0
STOP_GRACE = 5.0
_MODULE = "harness.edge"


class EdgeError(RuntimeError):
    """The edge could not start (a port taken, a distribution it cannot serve): the message says why."""


@dataclass(frozen=True)
class RunningEdge:
    """The edge process and what it serves."""

    pid: int
    ports: tuple[int, ...]
    state: str
    session: str | None
    log: str
    started_at: str

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]


def _named(stack: str) -> str:
    return "edge" if stack == DEFAULT_STACK else f"edge-{stack}"


def state_file(layout: Paths, stack: str = DEFAULT_STACK) -> Path:
    return layout.root / f"{_named(stack)}.json"


def log_file(layout: Paths, stack: str = DEFAULT_STACK) -> Path:
    return layout.logs / f"{_named(stack)}.log"


def running(layout: Paths | None = None, stack: str = DEFAULT_STACK) -> RunningEdge | None:
    """The edge this harness started for `stack`, if its process is alive."""
    layout = layout or default_layout()
    try:
        data = json.loads(state_file(layout, stack).read_text())
        edge = RunningEdge(**{**data, "ports": tuple(data["ports"])})
    except (OSError, ValueError, TypeError):
        return None
    return edge if background.alive(edge.pid) and background.runs_module(edge.pid, _MODULE) else None


def serve(
    state_path: Path, *, progress: Callable[[str], None] = lambda _: None, layout: Paths | None = None
) -> RunningEdge | None:
    """Serve the distributions of the deploy state at `state_path`, replacing the edge serving the
    stack's earlier deploy; None (and no edge) when it has none."""
    layout = layout or default_layout()
    try:
        stack = load_stack(state_path)  # a configuration it cannot serve stops here, the old edge kept
    except EdgeConfigError as error:
        raise EdgeError(f"the CDN edge cannot serve this deploy: {error}") from None
    name = stack.stack
    if stop(layout=layout, stack=name):
        progress("stopped the edge serving the previous deploy")
    if not stack.sites:
        return None
    taken = [port for port in stack.ports if not bindable(port)]
    if taken:
        raise EdgeError(
            f"the CDN edge cannot serve on port(s) {', '.join(map(str, taken))}: another program listens there"
            f"{_held_by_other_stacks(layout, name, taken)}"
        )
    log_path = log_file(layout, name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')} serving {state_path}\n".encode())
    # `-m` finds the harness from the repository; outlives `harness up`, `harness down` stops it.
    process = background.launch(
        [sys.executable, "-m", _MODULE, "--state", str(state_path)], log=log_path, cwd=REPO_ROOT
    )
    edge = RunningEdge(
        pid=process.pid,
        ports=stack.ports,
        state=str(state_path),
        session=stack.session,
        log=str(log_path),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    state_file(layout, name).write_text(json.dumps(asdict(edge), indent=2) + "\n")

    def ready() -> bool:
        if process.poll() is not None:
            state_file(layout, name).unlink(missing_ok=True)
            tail = background.log_tail(log_path, 20)
            raise EdgeError(f"the CDN edge exited at start (exit {process.returncode}); the end of {log_path}:\n{tail}")
        return all(answers(port) for port in stack.ports)

    try:
        wait_until(ready, timeout=START_TIMEOUT, interval=0.05, what="the CDN edge to listen")
    except TimedOut:
        stop(layout=layout, stack=name)
        raise EdgeError(f"the CDN edge did not listen within {START_TIMEOUT:.0f} s; see {log_path}") from None
    return edge


def stop_if_stale(session: str | None, layout: Paths | None = None, stack: str = DEFAULT_STACK) -> bool:
    """Stop the stack's edge if it serves a deploy into another emulator session (one that was
    restarted): the ports it holds are the redeploy's to claim again."""
    edge = running(layout, stack)
    if edge is None or edge.session == session:
        return False
    return stop(layout=layout, stack=stack)


def stop(layout: Paths | None = None, stack: str = DEFAULT_STACK) -> bool:
    """Stop the edge this harness started for `stack`: SIGTERM, SIGKILL after a grace period.
    Whether one ran."""
    layout = layout or default_layout()
    edge = running(layout, stack)
    state_file(layout, stack).unlink(missing_ok=True)
    if edge is None:
        return False
    background.stop(edge.pid, STOP_GRACE)
    return True


def served_stacks(layout: Paths | None = None) -> list[str]:
    """The stacks an edge of this harness serves now."""
    layout = layout or default_layout()
    names = [path.stem for path in layout.root.glob("edge*.json")]
    stacks = [DEFAULT_STACK if name == "edge" else name.removeprefix("edge-") for name in names]
    return sorted(stack for stack in stacks if running(layout, stack) is not None)


def stop_all(layout: Paths | None = None) -> list[str]:
    """Stop every stack's edge; the stacks whose edge ran."""
    return [stack for stack in served_stacks(layout) if stop(layout, stack)]


def _held_by_other_stacks(layout: Paths, stack: str, ports: list[int]) -> str:
    """Which other stack's edge holds `ports`, for the error that says they are taken."""
    holders = []
    for other in served_stacks(layout):
        edge = running(layout, other)
        if other != stack and edge is not None and set(ports) & set(edge.ports):
            holders.append(other)
    return f" (the edge of stack {', '.join(repr(h) for h in holders)})" if holders else ""
