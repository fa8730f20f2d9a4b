"""The instances tier of a deployed stack, run on this machine: for each load balancer the stack
recorded, a stand-in on its loopback port (harness/fleet/balancer.py) over the target group its
listener forwards to, and for each auto-scaling group registered there, a fleet of local instances
(harness/fleet/keeper.py) booted from the group's launch template version, each with the instance
metadata stand-in (harness/fleet/metadata.py) giving it its instance profile's role.

`step()` is one pass: every few seconds the tier is read again from the emulator (a new desired
count applies; a new launch template version starts a rolling instance refresh), then every fleet
reconciles, and the listing `python -m harness instances` shows is written (atomically) to the
listing file.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.aws import TEST_ENVIRONMENT, AwsTarget
from harness.deployed.loopback_ports import free_port
from harness.deployed.stack_state import StackState
from harness.fleet.balancer import HOST, Balancer, TargetGroup
from harness.fleet.deployed import DeployedBalancer, DeployedGroup, TierError, read_tier
from harness.fleet.keeper import Fleet, Identity, LaunchSpec
from harness.fleet.metadata import MetadataService, assumed_role

LOG = logging.getLogger(__name__)
REREAD_SECONDS = 5.0
NO_SHARED_FILES = {"AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull}


@dataclass
class RunningBalancer:
    deployed: DeployedBalancer
    balancer: Balancer
    fleets: dict[str, Fleet] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.balancer.port}"


class TierRunner:
    """The stand-ins of one deployed stack's instances tier, from `start()` to `stop()`."""

    def __init__(self, state_path: Path, folder: Path, listing: Path, region: str, python: str = sys.executable):
        self.state_path = state_path
        self.folder = folder
        self.listing_path = listing
        self.region = region
        self.python = python
        self.running: list[RunningBalancer] = []
        self.metadata = MetadataService(0)
        self._read_at = 0.0
        self._stack = ""

    def start(self) -> None:
        state = StackState.load(self.state_path)
        if state is None:
            raise FileNotFoundError(f"no deploy state at {self.state_path}")
        self._stack = state.stack
        self.target = AwsTarget(state.endpoint_url, self.region)
        self.metadata.start()
        for deployed in read_tier(state, self.target):
            balancer = Balancer(TargetGroup(deployed.check), deployed.port)
            balancer.start()
            running = RunningBalancer(deployed, balancer)
            for group in deployed.groups:
                running.fleets[group.name] = self._fleet(running.balancer.group, group)
            self.running.append(running)
        self._read_at = time.monotonic()

    def step(self) -> None:
        """Read the tier again when it is time, reconcile every fleet, write the listing."""
        if time.monotonic() - self._read_at >= REREAD_SECONDS:
            try:
                self._reread()
            except (TierError, ClientError, BotoCoreError) as error:  # kept as it was; said in the log
                LOG.warning("the tier could not be read again: %s", error)
        for running in self.running:
            for fleet in running.fleets.values():
                fleet.reconcile()
        self.write_listing()

    def stop(self) -> None:
        for running in self.running:
            for fleet in running.fleets.values():
                fleet.terminate_all()
            running.balancer.stop()
        self.metadata.stop()

    def write_listing(self) -> None:
        listing = {
            "pid": os.getpid(),
            "stack": self._stack,
            "state": str(self.state_path),
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "balancers": [
                {
                    "arn": running.deployed.arn,
                    "url": running.url,
                    "groups": [_group_listing(name, fleet) for name, fleet in running.fleets.items()],
                }
                for running in self.running
            ],
        }
        partial = self.listing_path.with_suffix(".partial")
        partial.write_text(json.dumps(listing, indent=2) + "\n")
        os.replace(partial, self.listing_path)

    def _reread(self) -> None:
        state = StackState.load(self.state_path)
        self._read_at = time.monotonic()
        if state is None:
            return
        for deployed in read_tier(state, self.target):
            running = next((r for r in self.running if r.deployed.arn == deployed.arn), None)
            if running is None:
                continue  # a balancer added since: the next `up` serves it
            for group in deployed.groups:
                fleet = running.fleets.get(group.name)
                if fleet is None:
                    running.fleets[group.name] = self._fleet(running.balancer.group, group)
                    continue
                fleet.desired = group.desired
                if group.version != fleet.launch.version:
                    fleet.refresh(self._launch_spec(group))

    def _fleet(self, target_group: TargetGroup, group: DeployedGroup) -> Fleet:
        return Fleet(
            self._launch_spec(group),
            target_group,
            desired=group.desired,
            grace=group.grace,
            min_healthy_percentage=group.min_healthy_percentage,
        )

    def _launch_spec(self, group: DeployedGroup) -> LaunchSpec:
        reach = {"AWS_ENDPOINT_URL": self.target.endpoint_url, "AWS_DEFAULT_REGION": self.region, **NO_SHARED_FILES}
        identity = None
        if group.role_arn is not None:
            zone = group.zones[0] if group.zones else f"{self.region}a"
            credentials = assumed_role(self.target.client("sts"), group.role_arn, group.name)
            identity = Identity(self.metadata, group.instance_type, zone, group.role_arn.rsplit("/", 1)[1], credentials)
        else:
            reach.update(TEST_ENVIRONMENT)  # no instance profile: no role, the emulator's test credentials
        return LaunchSpec(
            group.user_data,
            self.python,
            reach,
            self.folder / group.name,
            free_port,
            version=group.version,
            identity=identity,
        )


def _group_listing(name: str, fleet: Fleet) -> dict[str, Any]:
    return {
        "name": name,
        "desired": fleet.desired,
        "version": fleet.launch.version,
        "refreshing": fleet.refreshing,
        "launch_failures": fleet.launch_failures[-5:],
        "instances": fleet.listing(),
    }
