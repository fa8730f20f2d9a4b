"""What a deployed stack's instances tier is, read as the stand-ins need it: each load balancer the
deploy recorded (its ARN and the loopback port the harness serves it on), its listener's target
group and health check, as the emulator's ELBv2 has them, and each auto-scaling group of the stack
registered in that target group, with its launch template's version: the user data, the instance
type and the instance profile's role, as the emulator's Auto Scaling, EC2 and IAM have them.

What the stand-ins cannot serve is refused naming the resource: a balancer without exactly one
listener, a listener that does more than forward, a group without a launch template.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from harness.aws import AwsTarget
from harness.deploy.provisioners.autoscaling import GROUP_TYPE
from harness.deployed.loopback_ports import LOCAL_PORT_OUTPUT
from harness.deployed.stack_state import StackState
from harness.edge.model import LOAD_BALANCER_TYPE
from harness.fleet.balancer import HealthCheck


class TierError(RuntimeError):
    """A deployed balancer or group the stand-ins cannot serve: the message names it."""


@dataclass(frozen=True)
class DeployedGroup:
    name: str
    desired: int
    grace: float
    min_healthy_percentage: int
    version: str  # the launch template's version the group launches
    user_data: str
    instance_type: str
    zones: tuple[str, ...]
    role_arn: str | None  # the instance profile's role


@dataclass(frozen=True)
class DeployedBalancer:
    arn: str
    port: int  # where the harness serves it
    target_group_arn: str
    check: HealthCheck
    groups: tuple[DeployedGroup, ...]


def read_tier(state: StackState, target: AwsTarget) -> list[DeployedBalancer]:
    """Every balancer of the stack with what it forwards to (none for a serverless stack)."""
    group_names = [record.id for record in state.of_type(GROUP_TYPE)]
    refreshes = {record.id: record.outputs.get("instanceRefresh") or {} for record in state.of_type(GROUP_TYPE)}
    groups = (
        target.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=group_names)[
            "AutoScalingGroups"
        ]
        if group_names
        else []
    )
    balancers = []
    for record in state.of_type(LOAD_BALANCER_TYPE):
        target_group = _forwarded_to(target, record.id)
        check = _health_check(target, target_group)
        served = tuple(
            _group(target, group, refreshes.get(group["AutoScalingGroupName"], {}))
            for group in groups
            if target_group in group["TargetGroupARNs"]
        )
        balancers.append(
            DeployedBalancer(record.id, int(record.outputs[LOCAL_PORT_OUTPUT]), target_group, check, served)
        )
    return balancers


def _forwarded_to(target: AwsTarget, balancer_arn: str) -> str:
    """The target group the balancer's one listener forwards everything to."""
    listeners = target.client("elbv2").describe_listeners(LoadBalancerArn=balancer_arn)["Listeners"]
    if len(listeners) != 1:
        raise TierError(f"balancer {balancer_arn} has {len(listeners)} listeners; the stand-in serves one")
    actions = listeners[0]["DefaultActions"]
    if len(actions) != 1 or actions[0]["Type"] != "forward":
        raise TierError(f"the listener of {balancer_arn} does more than forward; the stand-in only forwards")
    return str(actions[0]["TargetGroupArn"])


def _health_check(target: AwsTarget, target_group_arn: str) -> HealthCheck:
    (group,) = target.client("elbv2").describe_target_groups(TargetGroupArns=[target_group_arn])["TargetGroups"]
    return HealthCheck(
        path=group.get("HealthCheckPath", "/"),
        interval=float(group.get("HealthCheckIntervalSeconds", 30)),
        healthy_threshold=int(group.get("HealthyThresholdCount", 5)),
        unhealthy_threshold=int(group.get("UnhealthyThresholdCount", 2)),
        timeout=float(group.get("HealthCheckTimeoutSeconds", 5)),
        matcher=int(group.get("Matcher", {}).get("HttpCode", "200")),
    )


def _group(target: AwsTarget, group: dict[str, Any], refresh: dict[str, Any]) -> DeployedGroup:
    name = group["AutoScalingGroupName"]
    template = group.get("LaunchTemplate")
    if not template:
        raise TierError(f"auto-scaling group {name} has no launch template; the stand-in launches from one")
    (version,) = target.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=template["LaunchTemplateId"], Versions=[str(template["Version"])]
    )["LaunchTemplateVersions"]
    data = version["LaunchTemplateData"]
    return DeployedGroup(
        name=name,
        desired=int(group["DesiredCapacity"]),
        grace=float(group.get("HealthCheckGracePeriod", 300)),
        min_healthy_percentage=int(refresh.get("preferences", {}).get("minHealthyPercentage", 90)),
        version=str(version["VersionNumber"]),
        user_data=base64.b64decode(data.get("UserData", "")).decode(),
        instance_type=data.get("InstanceType", "t3.micro"),
        zones=tuple(group.get("AvailabilityZones", ())),
        role_arn=_profile_role(target, data.get("IamInstanceProfile", {}).get("Arn")),
    )


def _profile_role(target: AwsTarget, profile_arn: str | None) -> str | None:
    """The role an instance profile passes to its instances."""
    if not profile_arn:
        return None
    profile = target.client("iam").get_instance_profile(InstanceProfileName=profile_arn.rsplit("/", 1)[1])
    roles = profile["InstanceProfile"]["Roles"]
    return str(roles[0]["Arn"]) if roles else None
