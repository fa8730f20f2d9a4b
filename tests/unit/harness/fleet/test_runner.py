"""The instances tier of a stack deployed into the moto server, run here by the fleet process's
runner: the balancer serves the app from the group's desired count of instances, booted from the
launch template's user data with the instance profile's role; a killed instance is replaced by one
with a new id; a new template version is rolled out while the balancer keeps answering."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.aws import AwsTarget
from harness.deployed.stack_state import StackState
from harness.edge.model import LOAD_BALANCER_TYPE
from harness.fleet import runner as runner_module
from harness.fleet.listing import instance_rows, table
from harness.fleet.runner import TierRunner
from harness.polling import wait_until
from tests.replaying import ROOT, replay
from tests.unit.conftest import free_port

NAMES = {"imagepipe:namePrefix": "fleet-run", "imagepipe:imagesBucketName": "fleet-run-images"}


@pytest.fixture(scope="module")
def deployed(moto: AwsTarget, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local-instances stack (its own names) deployed into the moto server, its balancer moved to
    a port free now (another stack's fleet may hold the one the deploy chose). The bucket's policy is
    taken off: moto applies its Deny on aws:SecureTransport, a condition key it does not know, to
    every request (S3 and LocalStack do not), so no instance could fetch its bundle."""
    state_path = tmp_path_factory.mktemp("fleet-run") / "local-instances.json"
    result = replay(ROOT, "local-instances", moto.endpoint_url, state_path, overrides=NAMES)
    assert "error" not in result, result
    moto.client("s3").delete_bucket_policy(Bucket=NAMES["imagepipe:imagesBucketName"])
    state = StackState.load(state_path)
    assert state is not None
    (balancer,) = state.of_type(LOAD_BALANCER_TYPE)
    balancer.outputs["localPort"] = free_port()
    state.save(state_path)
    return state_path


@pytest.fixture
def tier(deployed: Path, tmp_path: Path) -> Iterator[TierRunner]:
    running = TierRunner(deployed, tmp_path / "instances", tmp_path / "listing.json", "us-east-1")
    running.start()
    for served in running.running:  # the declared check (every 10 s) made quicker: the same logic, sooner
        served.balancer.group.check = dataclasses.replace(served.deployed.check, interval=0.5)
    yield running
    running.stop()


def _healthy(tier: TierRunner, version: str | None = None) -> list[dict]:
    """One pass of the runner; the instances once the group has its desired count healthy (of `version`)."""
    tier.step()
    (balancer,) = tier.running
    (fleet,) = balancer.fleets.values()
    rows = [row for row in fleet.listing() if row["health"] == "healthy" and version in (None, row["version"])]
    return rows if len(rows) == fleet.desired and len(fleet.instances) == fleet.desired else []


def test_the_balancer_serves_the_app_from_the_groups_instances_and_replaces_one_killed(tier):
    first = wait_until(lambda: _healthy(tier), timeout=120, what="two healthy instances")
    (balancer,) = tier.running
    assert len(first) == 2 and balancer.deployed.check.path == "/api/health"
    answer = requests.get(f"{balancer.url}/api/health", timeout=10)
    assert answer.status_code == 200 and answer.headers["Server"] == "gunicorn"
    listing = json.loads(Path(tier.listing_path).read_text())
    rows = instance_rows(listing)
    assert {row["id"] for row in rows} == {row["id"] for row in first} and listing["pid"] == os.getpid()
    assert table(rows).splitlines()[0].split() == ["id", "state", "health", "pid", "url", "launched_at", "requests"]

    killed = first[0]
    os.kill(killed["pid"], signal.SIGKILL)
    after = wait_until(
        lambda: (rows := _healthy(tier)) and killed["id"] not in {r["id"] for r in rows} and rows,
        timeout=120,
        what="a healthy replacement",
    )
    assert len(after) == 2 and len({row["id"] for row in after} - {row["id"] for row in first}) == 1


def test_a_new_launch_template_version_is_rolled_out_while_the_balancer_answers(tier, moto, monkeypatch):
    before = wait_until(lambda: _healthy(tier), timeout=120, what="two healthy instances")
    (balancer,) = tier.running
    (group,) = balancer.deployed.groups
    ec2, autoscaling = moto.client("ec2"), moto.client("autoscaling")
    template_id = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group.name])["AutoScalingGroups"][0][
        "LaunchTemplate"
    ]["LaunchTemplateId"]
    script = group.user_data.replace("set -euo pipefail", "set -euo pipefail\n# version 2")
    made = ec2.create_launch_template_version(
        LaunchTemplateId=template_id, LaunchTemplateData={"UserData": base64.b64encode(script.encode()).decode()}
    )
    version = str(made["LaunchTemplateVersion"]["VersionNumber"])
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName=group.name, LaunchTemplate={"LaunchTemplateId": template_id, "Version": version}
    )
    monkeypatch.setattr(runner_module, "REREAD_SECONDS", 0.0)
    failures: list[int] = []

    def rolled_out() -> list[dict]:
        status = requests.get(f"{balancer.url}/api/health", timeout=10).status_code
        if status != 200:
            failures.append(status)
        return _healthy(tier, version)

    after = wait_until(rolled_out, timeout=180, what=f"every instance on version {version}")
    assert not {row["id"] for row in after} & {row["id"] for row in before}
    assert failures == []  # at least one instance stayed in service all along
