"""What the provisioners' tests share: the CloudFront policies a distribution names, and a VPC."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from tests.unit.harness.deploy.provisioners.cloudfront_inputs import (
    ACCESS,
    CACHE,
    REQUESTS,
    access_inputs,
    cache_inputs,
    request_policy_inputs,
)


@pytest.fixture
def cdn_policies(provisioned, unique) -> dict[str, str]:
    """An origin access control, a cache policy and an origin request policy: their ids."""
    return {
        "access": provisioned.apply(ACCESS, "access", access_inputs(unique("oac"))).id,
        "cache": provisioned.apply(CACHE, "cache", cache_inputs(unique("cache"))).id,
        "requests": provisioned.apply(REQUESTS, "requests", request_policy_inputs(unique("requests"))).id,
    }


@dataclass(frozen=True)
class MadeNetwork:
    vpc: str
    subnets: tuple[str, str]
    security_group: str


@pytest.fixture
def network(moto) -> Iterator[MadeNetwork]:
    """A VPC of the moto server with a subnet in each of two zones and a security group, made with
    boto3 (not the provisioners under test), deleted afterwards."""
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnets = tuple(
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.2.{index}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab")
    )
    group = ec2.create_security_group(GroupName=f"web-{vpc}", Description="web", VpcId=vpc)["GroupId"]
    yield MadeNetwork(vpc, (subnets[0], subnets[1]), group)
    with contextlib.suppress(ClientError):  # best effort: what a test left in it may hold them
        ec2.delete_security_group(GroupId=group)
        for subnet in subnets:
            ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)
