"""The auto-scaling group's stand-in keeps its desired count of local instances healthy in the
target group: an instance that dies is replaced by one with a new id, one that stays unhealthy past
its grace period is terminated and replaced; a launch that cannot boot is recorded, not retried in a
loop."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.instance_boot import BootSpec, user_data
from harness.fleet.balancer import HealthCheck, TargetGroup
from harness.fleet.keeper import Fleet, LaunchSpec
from harness.polling import wait_until
from tests.unit.conftest import free_port

FAST = HealthCheck("/api/health", interval=0.1, healthy_threshold=2, unhealthy_threshold=2, timeout=2.0)


@pytest.fixture
def fleet(tmp_path: Path, bundle_key: str, app_environment: dict[str, str], reach: dict[str, str]) -> Iterator[Fleet]:
    script = user_data(BootSpec("fleet-bundles", bundle_key, app_environment))
    launch = LaunchSpec(script, sys.executable, reach, tmp_path / "instances", free_port)
    kept = Fleet(launch, TargetGroup(FAST), desired=2, grace=30.0)
    yield kept
    kept.terminate_all()


def healthy_count(fleet: Fleet) -> int:
    fleet.group.check_all()
    return sum(1 for row in fleet.listing() if row["health"] == "healthy")


def test_the_group_keeps_its_desired_count_and_replaces_an_instance_that_dies(fleet):
    fleet.reconcile()
    wait_until(lambda: healthy_count(fleet) == 2, timeout=60, what="two healthy instances")
    rows = fleet.listing()
    assert [row["state"] for row in rows] == ["running", "running"]
    assert all(row["url"].startswith("http://127.0.0.1:") and row["launched_at"] for row in rows)
    dead = rows[0]
    os.kill(dead["pid"], signal.SIGKILL)
    wait_until(lambda: fleet.reconcile() or dead["id"] not in fleet.instances, timeout=10, what="the dead one out")
    assert len(fleet.instances) == 2 and dead["id"] not in fleet.instances
    wait_until(lambda: healthy_count(fleet) == 2, timeout=60, what="the replacement healthy")


def test_an_instance_unhealthy_past_its_grace_period_is_replaced(fleet):
    fleet.desired, fleet.grace = 1, 0.0
    fleet.reconcile()
    (first,) = fleet.instances
    fleet.group.targets[first].healthy = False  # as if its checks had failed
    fleet.group.check = HealthCheck("/nowhere", interval=0.1, healthy_threshold=2, unhealthy_threshold=2, timeout=1)
    fleet.reconcile()
    assert first not in fleet.instances and len(fleet.instances) == 1


def test_a_launch_that_cannot_boot_is_recorded(tmp_path, reach):
    launch = LaunchSpec("#!/bin/bash\nexit 3\n", sys.executable, reach, tmp_path / "instances", free_port)
    fleet = Fleet(launch, TargetGroup(FAST), desired=2)
    fleet.reconcile()
    assert fleet.instances == {} and fleet.launch_failures == ["the user data exited 3: "]
