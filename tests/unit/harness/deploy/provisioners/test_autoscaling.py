"""Auto-scaling groups and their target-tracking policies, provisioned into moto's Auto Scaling beside
its EC2 and ELBv2, and read back; resized in place, deleted with what it launched."""

from __future__ import annotations

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import autoscaling, ec2_launch_template, elbv2
from tests.unit.harness.deploy.provisioners.test_ec2_launch_template import template_inputs

GROUP = autoscaling.Group.type_token
POLICY = autoscaling.Policy.type_token


@pytest.fixture
def launched(provisioned, unique, network) -> tuple[str, str]:
    """A launch template and a target group: their id and ARN."""
    template = provisioned.apply(
        ec2_launch_template.LaunchTemplate.type_token, "web", template_inputs(unique("lt"), network.security_group)
    )
    group = provisioned.apply(
        elbv2.TargetGroup.type_token,
        "app",
        {"name": unique("tg"), "port": 8000.0, "protocol": "HTTP", "vpcId": network.vpc},
    )
    return template.id, group.id


def group_inputs(name: str, network, template_id: str, target_group: str, **changes) -> dict:
    return {
        "name": name,
        "minSize": 1.0,
        "desiredCapacity": 2.0,
        "maxSize": 4.0,
        "vpcZoneIdentifiers": list(network.subnets),
        "targetGroupArns": [target_group],
        "healthCheckType": "ELB",
        "healthCheckGracePeriod": 300.0,
        "launchTemplate": {"id": template_id, "version": "1"},
        "enabledMetrics": ["GroupDesiredCapacity", "GroupInServiceInstances"],
        "metricsGranularity": "1Minute",
        "instanceRefresh": {"strategy": "Rolling", "preferences": {"minHealthyPercentage": 50.0}},
        "tags": [{"key": "Name", "value": name, "propagateAtLaunch": True}],
        **changes,
    }


def _described(moto, name: str) -> dict:
    (group,) = moto.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
        "AutoScalingGroups"
    ]
    return group


def test_a_group_launches_from_its_template_into_its_target_group(moto, provisioned, unique, network, launched):
    template_id, target_group = launched
    name = unique("asg")
    group = provisioned.apply(GROUP, "web", group_inputs(name, network, template_id, target_group))
    described = _described(moto, name)
    assert (described["MinSize"], described["DesiredCapacity"], described["MaxSize"]) == (1, 2, 4)
    assert described["HealthCheckType"] == "ELB" and described["HealthCheckGracePeriod"] == 300
    assert described["TargetGroupARNs"] == [target_group]
    assert described["LaunchTemplate"]["LaunchTemplateId"] == template_id
    assert {m["Metric"] for m in described["EnabledMetrics"]} == {"GroupDesiredCapacity", "GroupInServiceInstances"}
    assert group.outputs["instanceRefresh"] == {"strategy": "Rolling", "preferences": {"minHealthyPercentage": 50}}

    provisioned.apply(GROUP, "web", group_inputs(name, network, template_id, target_group, desiredCapacity=3.0))
    assert _described(moto, name)["DesiredCapacity"] == 3
    provisioned.delete(GROUP, "web")
    assert (
        moto.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"] == []
    )


def test_a_group_without_a_launch_template_or_with_another_refresh_is_refused(provisioned, unique, network, launched):
    template_id, target_group = launched
    inputs = group_inputs(unique("asg"), network, template_id, target_group)
    del inputs["launchTemplate"]
    with pytest.raises(DeployError, match="launched from a launch template"):
        provisioned.apply(GROUP, "web", inputs)
    other = group_inputs(unique("asg"), network, template_id, target_group, instanceRefresh={"strategy": "ReplaceRoot"})
    with pytest.raises(UnsupportedInput, match="strategy"):
        provisioned.apply(GROUP, "web", other)


def test_a_target_tracking_policy_is_put_on_the_group(moto, provisioned, unique, network, launched):
    template_id, target_group = launched
    name = unique("asg")
    provisioned.apply(GROUP, "web", group_inputs(name, network, template_id, target_group))
    label = "app/web/50dc6c495c0c9188/targetgroup/app/73e2d6bc24d8a067"
    tracking = {
        "predefinedMetricSpecification": {"predefinedMetricType": "ALBRequestCountPerTarget", "resourceLabel": label},
        "targetValue": 1000.0,
    }
    policy = provisioned.apply(
        POLICY,
        "requests",
        {"autoscalingGroupName": name, "policyType": "TargetTrackingScaling", "targetTrackingConfiguration": tracking},
    )
    (described,) = moto.client("autoscaling").describe_policies(AutoScalingGroupName=name)["ScalingPolicies"]
    assert described["PolicyARN"] == policy.id
    configuration = described["TargetTrackingConfiguration"]
    assert configuration["TargetValue"] == 1000
    assert configuration["PredefinedMetricSpecification"]["ResourceLabel"] == label
    with pytest.raises(UnsupportedInput, match="policyType"):
        provisioned.apply(POLICY, "steps", {"autoscalingGroupName": name, "policyType": "StepScaling"})
