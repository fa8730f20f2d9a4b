"""ELBv2 and Auto Scaling in the emulator (moto's, served by our LocalStack plugin,
harness/lambda_executor/imagepipe_lambda_executor/moto_services.py): checked against the same EC2
state as the rest, the group's recorded instances registered in its target group. Everything made
here is named for the test and removed after it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def network(emulator: Any) -> Iterator[dict[str, Any]]:
    """A VPC with a private subnet in each of two zones, and a security group; removed afterwards."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{128 + i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName=f"lb-{uuid.uuid4().hex[:8]}", Description="lb", VpcId=vpc)["GroupId"]
    yield {"vpc": vpc, "subnets": subnets, "group": group, "name": f"e2e-{uuid.uuid4().hex[:8]}"}
    ec2.delete_security_group(GroupId=group)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_a_group_behind_a_balancer_registers_its_instances_in_the_target_group(emulator, network):
    elb, scaling, ec2 = emulator.client("elbv2"), emulator.client("autoscaling"), emulator.client("ec2")
    name = network["name"]
    balancer = elb.create_load_balancer(
        Name=name, Subnets=network["subnets"], SecurityGroups=[network["group"]], Scheme="internal"
    )["LoadBalancers"][0]
    target_group = elb.create_target_group(
        Name=name, Protocol="HTTP", Port=8000, VpcId=network["vpc"], HealthCheckPath="/api/health"
    )["TargetGroups"][0]
    template = ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"ImageId": "ami-12345678", "InstanceType": "t3.micro", "UserData": "IyEvYmluL2Jhc2gK"},
    )["LaunchTemplate"]
    try:
        assert balancer["Scheme"] == "internal" and balancer["VpcId"] == network["vpc"]
        scaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "$Latest"},
            MinSize=1,
            MaxSize=4,
            DesiredCapacity=2,
            VPCZoneIdentifier=",".join(network["subnets"]),
            TargetGroupARNs=[target_group["TargetGroupArn"]],
            HealthCheckType="ELB",
            HealthCheckGracePeriod=60,
        )
        (group,) = scaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        instances = sorted(instance["InstanceId"] for instance in group["Instances"])
        health = elb.describe_target_health(TargetGroupArn=target_group["TargetGroupArn"])
        assert len(instances) == 2
        assert sorted(t["Target"]["Id"] for t in health["TargetHealthDescriptions"]) == instances
    finally:
        scaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
        ec2.delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])
        elb.delete_target_group(TargetGroupArn=target_group["TargetGroupArn"])
        elb.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])


def test_a_balancer_in_a_subnet_ec2_does_not_have_is_refused(emulator):
    with pytest.raises(ClientError, match=r"InvalidSubnetID\.NotFound"):
        emulator.client("elbv2").create_load_balancer(Name=f"e2e-{uuid.uuid4().hex[:8]}", Subnets=["subnet-nothere"])
