"""Starting, finding and stopping a stack's fleet process (`python -m harness.fleet`, harness/fleet/
__main__.py), as harness/edge/serving.py does the edge's, through harness/background.py.

`serve(state)` (what `python -m harness up` calls after each deploy) stops the fleet of the
stack's previous deploy, then, when the stack has a load balancer, starts one for this deploy and
waits until its balancers listen and each group has its desired count of healthy instances.
`stop(stack)` ends it (`python -m harness down`). The state folder holds `fleet-<stack>.json` (the
process's listing of balancers, groups and instances, rewritten every second), `logs/fleet-
<stack>.log`, and the instances' folders under `fleet/<stack>/`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness import background
from harness.deployed.loopback_ports import answers
from harness.deployed.stack_state import DEFAULT_STACK, StackState
from harness.edge.model import LOAD_BALANCER_TYPE
from harness.emulator.state_folder import REPO_ROOT, Paths
from harness.emulator.state_folder import layout as default_layout
from harness.polling import TimedOut, wait_until

LISTEN_TIMEOUT = 30.0
HEALTHY_TIMEOUT = 180.0
STOP_GRACE = 15.0  # its instances stop first
_MODULE = "harness.fleet"


class FleetError(RuntimeError):
    """The fleet could not start, or its instances did not become healthy: the message says why."""


def listing_file(layout: Paths, stack: str = DEFAULT_STACK) -> Path:
    return layout.root / f"fleet-{stack}.json"


def log_file(layout: Paths, stack: str = DEFAULT_STACK) -> Path:
    return layout.logs / f"fleet-{stack}.log"


def running(stack: str = DEFAULT_STACK, layout: Paths | None = None) -> dict[str, Any] | None:
    """The listing of the stack's fleet, if its process is alive."""
    layout = layout or default_layout()
    try:
        listing: dict[str, Any] = json.loads(listing_file(layout, stack).read_text())
    except (OSError, ValueError):
        return None
    pid = int(listing.get("pid", 0))
    return listing if pid and background.alive(pid) and background.runs_module(pid, _MODULE) else None


def serve(
    state_path: Path, region: str, *, progress: Callable[[str], None] = lambda _: None, layout: Paths | None = None
) -> dict[str, Any] | None:
    """Run the instances tier of the deploy state at `state_path`, replacing the fleet of the
    stack's earlier deploy; its listing once healthy, or None when the stack has no balancer."""
    layout = layout or default_layout()
    state = StackState.load(state_path)
    if state is None:
        raise FleetError(f"no deploy state at {state_path}")
    stack = state.stack
    if stop(stack, layout):
        progress(f"stopped the fleet of stack '{stack}''s previous deploy")
    if not state.of_type(LOAD_BALANCER_TYPE):
        return None
    listing, log = listing_file(layout, stack), log_file(layout, stack)
    folder = layout.root / "fleet" / stack
    command = [sys.executable, "-m", _MODULE, "--state", str(state_path), "--listing", str(listing)]
    process = background.launch([*command, "--folder", str(folder), "--region", region], log=log, cwd=REPO_ROOT)

    def listening() -> bool:
        if process.poll() is not None:
            tail = background.log_tail(log, 20)
            raise FleetError(f"the fleet exited at start (exit {process.returncode}); the end of {log}:\n{tail}")
        shown = running(stack, layout)
        return shown is not None and all(answers(urlsplit(b["url"]).port or 80) for b in shown["balancers"])

    try:
        wait_until(listening, timeout=LISTEN_TIMEOUT, interval=0.1, what="the fleet's balancers to listen")
        progress("booting the instances from the launch template's user data …")
        return wait_until(
            lambda: _healthy(stack, layout), timeout=HEALTHY_TIMEOUT, interval=0.5, what="healthy instances"
        )
    except TimedOut:
        shown = running(stack, layout) or {}
        failures = [f for b in shown.get("balancers", []) for g in b["groups"] for f in g["launch_failures"]]
        stop(stack, layout)
        why = f": {failures[-1]}" if failures else f"; see {log}"
        raise FleetError(f"the fleet of stack '{stack}' did not become healthy{why}") from None


def stop(stack: str = DEFAULT_STACK, layout: Paths | None = None) -> bool:
    """Stop the stack's fleet (its instances first); whether one ran."""
    layout = layout or default_layout()
    shown = running(stack, layout)
    listing_file(layout, stack).unlink(missing_ok=True)
    if shown is None:
        return False
    background.stop(int(shown["pid"]), STOP_GRACE)
    return True


def stop_all(layout: Paths | None = None) -> list[str]:
    """Stop every stack's fleet; the stacks whose fleet ran."""
    layout = layout or default_layout()
    stacks = [path.stem.removeprefix("fleet-") for path in layout.root.glob("fleet-*.json")]
    return [stack for stack in sorted(stacks) if stop(stack, layout)]


def _healthy(stack: str, layout: Paths) -> dict[str, Any] | None:
    """The listing once every group has its desired count of healthy instances."""
    shown = running(stack, layout)
    if shown is None:
        raise FleetError(f"the fleet of stack '{stack}' stopped; see {log_file(layout, stack)}")
    groups = [group for balancer in shown["balancers"] for group in balancer["groups"]]
    healthy = all(
        sum(1 for row in group["instances"] if row["health"] == "healthy") >= group["desired"] for group in groups
    )
    return shown if healthy else None
