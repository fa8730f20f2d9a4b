"""The auto-scaling group's stand-in: keeps the desired number of local instances running and in
the target group, each booted from the launch template's user data (harness/fleet/local_instance.py).

One `reconcile()` is one pass of what Auto Scaling does: an instance whose process died is
terminated; after its grace period, one its target group does not count healthy is terminated
(health checks of type ELB); during an instance refresh (`refresh(launch)`: a new launch template
version), one instance of an older version is terminated once every instance of the new one is
healthy and enough stay healthy (`min_healthy_percentage`, rounded up, but one at a time at least);
then instances are launched until the group has its desired count. A replacement gets a new id, as
on EC2. What it does not do: scaling policies, zones, lifecycle hooks, warm pools.
"""

from __future__ import annotations

import math
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
from harness.fleet.metadata import METADATA_ENDPOINT_VARIABLE, Credentials, InstanceMetadata, MetadataService

STOP_GRACE = 5.0
KEPT_FAILURES = 20  # the last launch failures kept (a broken user data fails every pass)


@dataclass(frozen=True)
class Identity:
    """What EC2 gives a launched instance through its metadata (harness/fleet/metadata.py): served
    by `service`, its type and zone, its instance profile's role and how to get its credentials."""

    service: MetadataService
    instance_type: str
    zone: str
    role_name: str
    credentials: Callable[[], Credentials]


@dataclass(frozen=True)
class LaunchSpec:
    """How to launch an instance here: the launch template's user data (and its version), the
    interpreter that stands for the instance's, the way to the emulator, where instances live, and
    what the instance metadata says (without it, `reach` must hold credentials)."""

    user_data: str
    python: str
    reach: dict[str, str]
    folder: Path
    free_port: Callable[[], int]
    version: str = "1"
    identity: Identity | None = None


@dataclass
class Instance:
    id: str
    pid: int
    port: int
    launched: float  # monotonic
    launched_at: str  # ISO 8601, for people
    version: str = "1"  # of the launch template
    state: str = "running"
    boot_s: float = 0.0  # the user data's run and the service's start
    healthy_after_s: float | None = None  # from launch to the target group's first healthy

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
    min_healthy_percentage: int = 90
    clock: Callable[[], float] = time.monotonic
    instances: dict[str, Instance] = field(default_factory=dict)
    launch_failures: list[str] = field(default_factory=list)

    def reconcile(self) -> None:
        """One pass: terminate the dead and the unhealthy, then launch up to the desired count."""
        for instance in list(self.instances.values()):
            if self._failing(instance):
                self.terminate(instance.id)
            elif instance.healthy_after_s is None and self._healthy(instance):
                instance.healthy_after_s = round(self.clock() - instance.launched, 1)
        self._refresh_one()
        for instance in sorted(self.instances.values(), key=lambda i: i.launched, reverse=True)[self.desired :]:
            self.terminate(instance.id)  # the group was made smaller: the oldest go
        while len(self.instances) < self.desired:
            try:
                self._launch()
            except BootFailed as failure:
                self.launch_failures = [*self.launch_failures[-(KEPT_FAILURES - 1) :], str(failure)]
                return

    def refresh(self, launch: LaunchSpec) -> None:
        """Launch from now on with `launch` (a new template version), replacing the instances of
        older versions one pass at a time (rolling)."""
        self.launch = launch

    @property
    def refreshing(self) -> bool:
        return any(instance.version != self.launch.version for instance in self.instances.values())

    def terminate(self, instance_id: str) -> None:
        instance = self.instances.pop(instance_id)
        if self.launch.identity is not None:
            self.launch.identity.service.remove(instance_id)
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
                    "version": instance.version,
                    "boot_s": instance.boot_s,
                    "healthy_after_s": instance.healthy_after_s,
                }
            )
        return rows

    def _failing(self, instance: Instance) -> bool:
        if not background.alive(instance.pid):
            return True
        target = self.group.targets.get(instance.id)
        past_grace = self.clock() - instance.launched > self.grace
        return target is not None and not target.healthy and past_grace

    def _refresh_one(self) -> None:
        """During a refresh: terminate one instance of an older version, once every instance of the
        new one is healthy and the healthy ones left would be enough."""
        old = sorted((i for i in self.instances.values() if i.version != self.launch.version), key=lambda i: i.launched)
        new = [i for i in self.instances.values() if i.version == self.launch.version]
        if not old or not all(self._healthy(i) for i in new):
            return
        healthy = sum(1 for i in self.instances.values() if self._healthy(i))
        keep = min(math.ceil(self.desired * self.min_healthy_percentage / 100), self.desired - 1)
        if healthy - 1 >= keep or len(self.instances) > self.desired:
            self.terminate(old[0].id)

    def _healthy(self, instance: Instance) -> bool:
        target = self.group.targets.get(instance.id)
        return target is not None and target.healthy

    def _launch(self) -> None:
        instance_id = f"i-{secrets.token_hex(8)}"
        root = self.launch.folder / instance_id
        reach = dict(self.launch.reach)
        identity = self.launch.identity
        if identity is not None:
            metadata = InstanceMetadata(
                instance_id, identity.zone, identity.instance_type, identity.role_name, identity.credentials
            )
            identity.service.add(metadata)
            reach[METADATA_ENDPOINT_VARIABLE] = identity.service.url_for(instance_id)
        launched = self.clock()
        try:
            service = boot(self.launch.user_data, root, self.launch.python, reach)
        except BootFailed:
            if identity is not None:
                identity.service.remove(instance_id)
            raise
        port = self.launch.free_port()
        process = start(service, port, root / "service.log", reach)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        booted = round(self.clock() - launched, 2)
        self.instances[instance_id] = Instance(
            instance_id, process.pid, port, launched, now, version=self.launch.version, boot_s=booted
        )
        self.group.register(Target(instance_id, port))
