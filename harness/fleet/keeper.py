"""The auto-scaling group's stand-in: keeps the desired number of local instances running and in
the target group, each booted from the launch template's user data (harness/fleet/local_instance.py).

One `reconcile()` is one pass of what Auto Scaling does: an instance whose process died is
terminated; after its grace period, one its target group does not count healthy is terminated
(health checks of type ELB); then instances are launched until the
group has its desired count. A replacement gets a new id, as on EC2. What it does not do: scaling
policies, zones, lifecycle hooks, warm pools.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import background
from harness.fleet.balancer import Target, TargetGroup
from harness.fleet.local_instance import BootFailed, boot, start

STOP_GRACE = 5.0


@dataclass(frozen=True)
class LaunchSpec:
    """How to launch an instance here: the launch template's user data, the interpreter that stands
    for the instance's, what its metadata and role would give it, and where instances live."""

    user_data: str
    python: str
    reach: dict[str, str]
    folder: Path
    free_port: Callable[[], int]


@dataclass
class Instance:
    id: str
    pid: int
    port: int
    launched: float  # monotonic
    launched_at: str  # ISO 8601, for people
    state: str = "running"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Fleet:
    """The group's instances, kept at `desired` and registered in `group`."""

    launch: LaunchSpec
    group: TargetGroup
    desired: int
    grace: float = 300.0
    clock: Callable[[], float] = time.monotonic
    instances: dict[str, Instance] = field(default_factory=dict)
    launch_failures: list[str] = field(default_factory=list)

    def reconcile(self) -> None:
        """One pass: terminate the dead and the unhealthy, then launch up to the desired count."""
        for instance in list(self.instances.values()):
            if self._failing(instance):
                self.terminate(instance.id)
        while len(self.instances) < self.desired:
            try:
                self._launch()
            except BootFailed as failure:
                self.launch_failures.append(str(failure))
                return

    def terminate(self, instance_id: str) -> None:
        instance = self.instances.pop(instance_id)
        self.group.deregister(instance_id)
        background.stop(instance.pid, STOP_GRACE, family=True)
        shutil.rmtree(self.launch.folder / instance_id, ignore_errors=True)

    def terminate_all(self) -> None:
        for instance_id in list(self.instances):
            self.terminate(instance_id)

    def listing(self) -> list[dict[str, Any]]:
        """Each instance as `python -m harness instances` shows it."""
        rows = []
        for instance in sorted(self.instances.values(), key=lambda i: i.launched):
            target = self.group.targets.get(instance.id)
            rows.append(
                {
                    "id": instance.id,
                    "state": instance.state,
                    "health": "healthy" if target and target.healthy else "unhealthy",
                    "pid": instance.pid,
                    "url": instance.url,
                    "launched_at": instance.launched_at,
                    "requests": target.requests if target else 0,
                }
            )
        return rows

    def _failing(self, instance: Instance) -> bool:
        if not background.alive(instance.pid):
            return True
        target = self.group.targets.get(instance.id)
        past_grace = self.clock() - instance.launched > self.grace
        return target is not None and not target.healthy and past_grace

    def _launch(self) -> None:
        instance_id = f"i-{secrets.token_hex(8)}"
        root = self.launch.folder / instance_id
        service = boot(self.launch.user_data, root, self.launch.python, self.launch.reach)
        port = self.launch.free_port()
        process = start(service, port, root / "service.log", self.launch.reach)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.instances[instance_id] = Instance(instance_id, process.pid, port, self.clock(), now)
        self.group.register(Target(instance_id, port))
