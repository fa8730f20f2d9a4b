"""Auto Scaling: groups and their scaling policies, in the emulator's Auto Scaling (moto's, served by
our LocalStack plugin beside its EC2 and ELBv2: subnets, launch templates and target groups are
checked against the deploy's).

The group is recorded as declared, instance refresh included; moto runs none (its instances are
records, and it has no instance refresh): the harness's fleet (harness/fleet) runs the group's
instances as local processes, keeps its desired count and refreshes them when the group's launch
template version changes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name, wait_until
from harness.deploy.provisioners.cloudfront_policies import only
from harness.deployed.stack_state import ResourceRecord

GROUP_TYPE = "aws:autoscaling/group:Group"


@dataclass(frozen=True)
class GroupSpec:
    name: str
    settings: dict[str, Any]  # as CreateAutoScalingGroup takes them, the name aside
    target_groups: tuple[str, ...]
    metrics: tuple[str, ...]
    granularity: str
    instance_refresh: dict[str, Any]
    tags: tuple[dict[str, Any], ...]


class Group(Provisioner[GroupSpec]):
    type_token = GROUP_TYPE

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> GroupSpec:
        group = physical_name(inputs, name, previous, max_length=255)
        template = inputs.sub("launchTemplate")
        if template is None:
            raise DeployError(
                f"{inputs.where}: a group here is launched from a launch template (input 'launchTemplate')"
            )
        settings = {
            "MinSize": int(inputs.take("minSize")),
            "MaxSize": int(inputs.take("maxSize")),
            "DesiredCapacity": int(inputs.take("desiredCapacity")),
            "VPCZoneIdentifier": ",".join(inputs.take("vpcZoneIdentifiers")),
            "HealthCheckType": only(inputs, "healthCheckType", ("EC2", "ELB"), "EC2"),
            "HealthCheckGracePeriod": int(inputs.take("healthCheckGracePeriod", 300)),
            "LaunchTemplate": {"LaunchTemplateId": template.take("id"), "Version": str(template.take("version"))},
        }
        return GroupSpec(
            group,
            settings,
            tuple(inputs.take("targetGroupArns", [])),
            tuple(inputs.take("enabledMetrics", [])),
            inputs.take("metricsGranularity", "1Minute"),
            _instance_refresh(inputs.sub("instanceRefresh")),
            tuple(
                {
                    "Key": tag.take("key"),
                    "Value": tag.take("value"),
                    "PropagateAtLaunch": bool(tag.take("propagateAtLaunch")),
                }
                for tag in inputs.each("tags")
            ),
        )

    def apply(self, ctx: Context, spec: GroupSpec, previous: ResourceRecord | None) -> Applied:
        autoscaling = ctx.client("autoscaling")
        if previous is not None and previous.id != spec.name:
            self.delete(ctx, previous)
            previous = None
        tags = [{**tag, "ResourceId": spec.name, "ResourceType": "auto-scaling-group"} for tag in spec.tags]
        if previous is None:
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=spec.name, TargetGroupARNs=list(spec.target_groups), Tags=tags, **spec.settings
            )
        else:
            autoscaling.update_auto_scaling_group(AutoScalingGroupName=spec.name, **spec.settings)
            _retarget(autoscaling, spec.name, set(previous.outputs["targetGroupArns"]), set(spec.target_groups))
            if tags:
                autoscaling.create_or_update_tags(Tags=tags)
        if spec.metrics:
            autoscaling.enable_metrics_collection(
                AutoScalingGroupName=spec.name, Metrics=list(spec.metrics), Granularity=spec.granularity
            )
        (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[spec.name])["AutoScalingGroups"]
        return Applied(
            spec.name,
            {
                "name": spec.name,
                "arn": group["AutoScalingGroupARN"],
                "minSize": spec.settings["MinSize"],
                "maxSize": spec.settings["MaxSize"],
                "desiredCapacity": spec.settings["DesiredCapacity"],
                "vpcZoneIdentifiers": spec.settings["VPCZoneIdentifier"].split(","),
                "healthCheckType": spec.settings["HealthCheckType"],
                "healthCheckGracePeriod": spec.settings["HealthCheckGracePeriod"],
                "launchTemplate": {
                    "id": spec.settings["LaunchTemplate"]["LaunchTemplateId"],
                    "version": spec.settings["LaunchTemplate"]["Version"],
                },
                "targetGroupArns": list(spec.target_groups),
                "enabledMetrics": list(spec.metrics),
                "metricsGranularity": spec.granularity,
                "instanceRefresh": spec.instance_refresh,
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        autoscaling = ctx.client("autoscaling")
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName=record.id, ForceDelete=True)

        def gone() -> bool:
            groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[record.id])["AutoScalingGroups"]
            return not groups

        wait_until(gone, f"auto-scaling group {record.id} to be deleted")


def _tag(tag: Inputs) -> dict[str, Any]:
    return {
        "Key": tag.take("key"),
        "Value": tag.take("value"),
        "PropagateAtLaunch": bool(tag.take("propagateAtLaunch")),
    }


def _instance_refresh(refresh: Inputs | None) -> dict[str, Any]:
    """The instance refresh the group declares: a rolling one, and how many instances stay healthy."""
    if refresh is None:
        return {}
    strategy = only(refresh, "strategy", ("Rolling",))
    preferences = refresh.sub("preferences")
    minimum = int(preferences.take("minHealthyPercentage", 90)) if preferences is not None else 90
    return {"strategy": strategy, "preferences": {"minHealthyPercentage": minimum}}


def _retarget(autoscaling: Any, group: str, before: set[str], after: set[str]) -> None:
    """Attach the group to the target groups it now names, detach it from those it no longer does."""
    if after - before:
        autoscaling.attach_load_balancer_target_groups(
            AutoScalingGroupName=group, TargetGroupARNs=sorted(after - before)
        )
    if before - after:
        autoscaling.detach_load_balancer_target_groups(
            AutoScalingGroupName=group, TargetGroupARNs=sorted(before - after)
        )


@dataclass(frozen=True)
class PolicySpec:
    name: str
    group: str
    target_tracking: dict[str, Any]


class Policy(Provisioner[PolicySpec]):
    """A target-tracking scaling policy on one predefined metric."""

    type_token = "aws:autoscaling/policy:Policy"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> PolicySpec:
        policy = physical_name(inputs, name, previous, max_length=255)
        only(inputs, "policyType", ("TargetTrackingScaling",))
        tracking = inputs.sub("targetTrackingConfiguration")
        if tracking is None:
            raise DeployError(f"{inputs.where}: input 'targetTrackingConfiguration' is required")
        metric = tracking.sub("predefinedMetricSpecification")
        if metric is None:
            raise DeployError(f"{inputs.where}: the policy tracks a predefined metric (predefinedMetricSpecification)")
        predefined = {"PredefinedMetricType": metric.take("predefinedMetricType")}
        if (label := metric.take("resourceLabel", None)) is not None:
            predefined["ResourceLabel"] = label
        configuration = {
            "PredefinedMetricSpecification": predefined,
            "TargetValue": float(tracking.take("targetValue")),
            "DisableScaleIn": bool(tracking.take("disableScaleIn", False)),
        }
        return PolicySpec(policy, inputs.take("autoscalingGroupName"), configuration)

    def apply(self, ctx: Context, spec: PolicySpec, previous: ResourceRecord | None) -> Applied:
        autoscaling = ctx.client("autoscaling")
        if previous is not None and (previous.outputs["name"], previous.outputs["autoscalingGroupName"]) != (
            spec.name,
            spec.group,
        ):
            self.delete(ctx, previous)
        autoscaling.put_scaling_policy(
            AutoScalingGroupName=spec.group,
            PolicyName=spec.name,
            PolicyType="TargetTrackingScaling",
            TargetTrackingConfiguration=spec.target_tracking,
        )
        (policy,) = autoscaling.describe_policies(AutoScalingGroupName=spec.group, PolicyNames=[spec.name])[
            "ScalingPolicies"
        ]
        arn = policy["PolicyARN"]
        return Applied(
            arn,
            {
                "arn": arn,
                "name": spec.name,
                "autoscalingGroupName": spec.group,
                "policyType": "TargetTrackingScaling",
                "targetTrackingConfiguration": spec.target_tracking,
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        autoscaling = ctx.client("autoscaling")
        with contextlib.suppress(autoscaling.exceptions.ClientError):  # gone with its group
            autoscaling.delete_policy(
                AutoScalingGroupName=record.outputs["autoscalingGroupName"], PolicyName=record.outputs["name"]
            )
