"""VPCs, internet gateways, subnets, elastic IPs and NAT gateways, provisioned into moto and read back."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from harness.deploy.inputs import UnsupportedInput
from harness.deploy.provisioners import ec2_vpc

VPC = ec2_vpc.Vpc.type_token
GATEWAY = ec2_vpc.InternetGateway.type_token
SUBNET = ec2_vpc.Subnet.type_token
EIP = ec2_vpc.Eip.type_token
NAT = ec2_vpc.NatGateway.type_token


def _vpc_inputs(cidr: str = "10.20.0.0/16", **extra):
    return {"cidrBlock": cidr, "enableDnsSupport": True, "enableDnsHostnames": True, **extra}


def _dns(ec2, vpc_id: str) -> tuple[bool, bool]:
    support = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"]
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
    return support, hostnames


def _tags(described) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in described.get("Tags") or []}


def _vpc_ids(ec2, vpc_id: str) -> list[str]:
    return [vpc["VpcId"] for vpc in ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"]]


def test_a_vpc_is_created_with_its_dns_attributes_and_tags(moto, provisioned, unique):
    ec2 = moto.client("ec2")
    name = unique("vpc")
    vpc = provisioned.apply(VPC, "vpc", _vpc_inputs(tags={"Name": name}))

    (described,) = ec2.describe_vpcs(VpcIds=[vpc.id])["Vpcs"]
    assert described["CidrBlock"] == vpc.outputs["cidrBlock"] == "10.20.0.0/16"
    assert _tags(described) == vpc.outputs["tags"] == {"Name": name}
    assert _dns(ec2, vpc.id) == (True, True)
    assert vpc.outputs["arn"].endswith(f":vpc/{vpc.id}")
    in_vpc = {"Name": "vpc-id", "Values": [vpc.id]}
    (default_group,) = ec2.describe_security_groups(Filters=[in_vpc, {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ]
    assert vpc.outputs["defaultSecurityGroupId"] == default_group["GroupId"]
    main = ec2.describe_route_tables(Filters=[in_vpc, {"Name": "association.main", "Values": ["true"]}])
    assert vpc.outputs["mainRouteTableId"] == main["RouteTables"][0]["RouteTableId"]


def test_a_vpc_is_updated_in_place_and_replaced_when_its_block_changes(moto, provisioned, unique):
    ec2 = moto.client("ec2")
    first = provisioned.apply(VPC, "vpc", _vpc_inputs(tags={"Name": "a", "team": "photos"}))

    second = provisioned.apply(VPC, "vpc", _vpc_inputs(enableDnsHostnames=False, tags={"Name": "b"}))
    assert second.id == first.id
    assert _dns(ec2, first.id) == (True, False)
    assert _tags(ec2.describe_vpcs(VpcIds=[first.id])["Vpcs"][0]) == {"Name": "b"}

    third = provisioned.apply(VPC, "vpc", _vpc_inputs("10.21.0.0/16", tags={"Name": "b"}))
    assert third.id != first.id
    assert _vpc_ids(ec2, first.id) == []
    assert ec2.describe_vpcs(VpcIds=[third.id])["Vpcs"][0]["CidrBlock"] == "10.21.0.0/16"


def test_a_deleted_vpc_is_gone(moto, provisioned):
    vpc = provisioned.apply(VPC, "vpc", _vpc_inputs())
    provisioned.delete(VPC, "vpc")
    assert _vpc_ids(moto.client("ec2"), vpc.id) == []


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"assignGeneratedIpv6CidrBlock": True}, "'assignGeneratedIpv6CidrBlock'"),
        ({"instanceTenancy": "dedicated"}, "'instanceTenancy' = 'dedicated'"),
    ],
)
def test_a_vpc_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, extra, named):
    tag = unique("strict")
    with pytest.raises(UnsupportedInput, match=rf"^aws:ec2/vpc:Vpc 'strict': .*{named}"):
        provisioned.apply(VPC, "strict", _vpc_inputs(tags={"Name": tag}, **extra))
    assert moto.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [tag]}])["Vpcs"] == []


def test_an_internet_gateway_is_attached_moved_detached_and_deleted(moto, provisioned):
    ec2 = moto.client("ec2")
    first = provisioned.apply(VPC, "first", _vpc_inputs("10.30.0.0/16"))
    second = provisioned.apply(VPC, "second", _vpc_inputs("10.31.0.0/16"))

    gateway = provisioned.apply(GATEWAY, "internet", {"vpcId": first.id, "tags": {"Name": "igw"}})
    (described,) = ec2.describe_internet_gateways(InternetGatewayIds=[gateway.id])["InternetGateways"]
    assert [a["VpcId"] for a in described["Attachments"]] == [first.id]
    assert _tags(described) == {"Name": "igw"}
    assert gateway.outputs["vpcId"] == first.id

    moved = provisioned.apply(GATEWAY, "internet", {"vpcId": second.id, "tags": {"Name": "moved"}})
    assert moved.id == gateway.id
    (described,) = ec2.describe_internet_gateways(InternetGatewayIds=[gateway.id])["InternetGateways"]
    assert [a["VpcId"] for a in described["Attachments"]] == [second.id]
    assert _tags(described) == {"Name": "moved"}

    provisioned.delete(GATEWAY, "internet")  # detached first: moto refuses to delete an attached one
    with pytest.raises(ClientError, match=r"InvalidInternetGatewayID\.NotFound"):
        ec2.describe_internet_gateways(InternetGatewayIds=[gateway.id])


def test_an_internet_gateway_input_not_applied_stops_the_deploy_naming_it(provisioned):
    with pytest.raises(UnsupportedInput, match=r"^aws:ec2/internetGateway:InternetGateway 'igw': .*'region'"):
        provisioned.apply(GATEWAY, "igw", {"region": "us-west-2"})


def test_a_subnet_is_created_in_its_zone_updated_in_place_and_replaced(moto, provisioned):
    ec2 = moto.client("ec2")
    vpc = provisioned.apply(VPC, "vpc", _vpc_inputs("10.40.0.0/16"))
    inputs = {"vpcId": vpc.id, "cidrBlock": "10.40.1.0/24", "availabilityZone": "us-east-1b", "tags": {"Name": "a"}}
    subnet = provisioned.apply(SUBNET, "subnet", {**inputs, "mapPublicIpOnLaunch": False})

    (described,) = ec2.describe_subnets(SubnetIds=[subnet.id])["Subnets"]
    assert (described["VpcId"], described["CidrBlock"], described["AvailabilityZone"]) == (
        vpc.id,
        "10.40.1.0/24",
        "us-east-1b",
    )
    assert described["MapPublicIpOnLaunch"] is False
    assert subnet.outputs["arn"] == described["SubnetArn"]
    assert (subnet.outputs["vpcId"], subnet.outputs["availabilityZone"]) == (vpc.id, "us-east-1b")

    updated = provisioned.apply(SUBNET, "subnet", {**inputs, "mapPublicIpOnLaunch": True, "tags": {"Name": "b"}})
    assert updated.id == subnet.id
    (described,) = ec2.describe_subnets(SubnetIds=[subnet.id])["Subnets"]
    assert described["MapPublicIpOnLaunch"] is True
    assert _tags(described) == {"Name": "b"}

    moved = provisioned.apply(SUBNET, "subnet", {**inputs, "availabilityZone": "us-east-1c"})
    assert moved.id != subnet.id
    assert ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet.id]}])["Subnets"] == []
    assert ec2.describe_subnets(SubnetIds=[moved.id])["Subnets"][0]["AvailabilityZone"] == "us-east-1c"

    provisioned.delete(SUBNET, "subnet")
    assert ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [moved.id]}])["Subnets"] == []


def test_a_subnet_input_not_applied_stops_the_deploy_naming_it(moto, provisioned):
    vpc = provisioned.apply(VPC, "vpc", _vpc_inputs("10.41.0.0/16"))
    inputs = {"vpcId": vpc.id, "cidrBlock": "10.41.1.0/24", "ipv6Native": True}
    with pytest.raises(UnsupportedInput, match=r"^aws:ec2/subnet:Subnet 'subnet': .*'ipv6Native'"):
        provisioned.apply(SUBNET, "subnet", inputs)
    assert moto.client("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc.id]}])["Subnets"] == []


def test_an_elastic_ip_is_allocated_retagged_and_released(moto, provisioned):
    ec2 = moto.client("ec2")
    address = provisioned.apply(EIP, "nat", {"domain": "vpc", "tags": {"Name": "a"}})
    (described,) = ec2.describe_addresses(AllocationIds=[address.id])["Addresses"]
    assert address.outputs["allocationId"] == address.id == described["AllocationId"]
    assert address.outputs["publicIp"] == described["PublicIp"]
    assert described["Domain"] == "vpc"
    assert _tags(described) == {"Name": "a"}

    retagged = provisioned.apply(EIP, "nat", {"domain": "vpc", "tags": {"Name": "b"}})
    assert retagged.id == address.id
    assert _tags(ec2.describe_addresses(AllocationIds=[address.id])["Addresses"][0]) == {"Name": "b"}

    provisioned.delete(EIP, "nat")
    assert ec2.describe_addresses(Filters=[{"Name": "allocation-id", "Values": [address.id]}])["Addresses"] == []


def test_an_elastic_ip_outside_a_vpc_is_refused_by_name(provisioned):
    with pytest.raises(UnsupportedInput, match=r"^aws:ec2/eip:Eip 'classic': .*'domain' = 'standard'"):
        provisioned.apply(EIP, "classic", {"domain": "standard"})


def _public_subnet(provisioned, cidr: str):
    vpc = provisioned.apply(VPC, f"vpc-{cidr}", _vpc_inputs(f"{cidr}.0.0/16"))
    return provisioned.apply(SUBNET, f"public-{cidr}", {"vpcId": vpc.id, "cidrBlock": f"{cidr}.0.0/24"})


def test_a_nat_gateway_is_created_available_with_its_address_and_replaced_on_another_subnet(moto, provisioned):
    ec2 = moto.client("ec2")
    subnet = _public_subnet(provisioned, "10.50")
    address = provisioned.apply(EIP, "nat", {"domain": "vpc"})
    inputs = {"subnetId": subnet.id, "allocationId": address.id, "tags": {"Name": "a"}}
    nat = provisioned.apply(NAT, "nat", inputs)

    (described,) = ec2.describe_nat_gateways(NatGatewayIds=[nat.id])["NatGateways"]
    assert described["State"] == "available"
    assert described["SubnetId"] == nat.outputs["subnetId"] == subnet.id
    assert described["NatGatewayAddresses"][0]["AllocationId"] == address.id
    assert nat.outputs["publicIp"] == address.outputs["publicIp"]
    assert _tags(described) == {"Name": "a"}

    retagged = provisioned.apply(NAT, "nat", {**inputs, "tags": {"Name": "b"}})
    assert retagged.id == nat.id
    assert _tags(ec2.describe_nat_gateways(NatGatewayIds=[nat.id])["NatGateways"][0]) == {"Name": "b"}

    other = _public_subnet(provisioned, "10.51")
    moved = provisioned.apply(NAT, "nat", {**inputs, "subnetId": other.id})
    assert moved.id != nat.id
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat.id])["NatGateways"][0]["State"] == "deleted"
    assert ec2.describe_nat_gateways(NatGatewayIds=[moved.id])["NatGateways"][0]["SubnetId"] == other.id

    provisioned.delete(NAT, "nat")
    assert ec2.describe_nat_gateways(NatGatewayIds=[moved.id])["NatGateways"][0]["State"] == "deleted"
    # its address is free again (moto keeps it associated with a deleted gateway's interface)
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[address.id])["Addresses"][0]
    provisioned.delete(EIP, "nat")


def test_a_private_nat_gateway_is_refused_by_name(provisioned):
    subnet = _public_subnet(provisioned, "10.52")
    address = provisioned.apply(EIP, "nat", {"domain": "vpc"})
    inputs = {"subnetId": subnet.id, "allocationId": address.id, "connectivityType": "private"}
    with pytest.raises(UnsupportedInput, match=r"^aws:ec2/natGateway:NatGateway 'nat': .*'connectivityType'"):
        provisioned.apply(NAT, "nat", inputs)
