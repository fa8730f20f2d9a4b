"""EC2 networks: VPCs, their internet gateways and subnets, elastic IPs and NAT gateways. What an
update cannot change in place (a VPC's or subnet's CIDR block, a subnet's zone or VPC, a NAT
gateway's subnet or address) replaces the resource; tags are applied as declared."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, wait_until
from harness.deployed.stack_state import ResourceRecord


def tag_specifications(resource_type: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """The TagSpecifications of a create call tagging the new resource with `tags` (none: none)."""
    if not tags:
        return []
    return [{"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def tags_of(described: Mapping[str, Any]) -> dict[str, str]:
    """The tags of a described EC2 resource, as a mapping."""
    return {tag["Key"]: tag["Value"] for tag in described.get("Tags") or []}


def retag(ec2: Any, resource_id: str, current: Mapping[str, str], declared: Mapping[str, str]) -> None:
    """Make the resource's tags the declared ones: drop the others, set the changed."""
    if dropped := [{"Key": key} for key in current if key not in declared]:
        ec2.delete_tags(Resources=[resource_id], Tags=dropped)
    if changed := [{"Key": k, "Value": v} for k, v in declared.items() if current.get(k) != v]:
        ec2.create_tags(Resources=[resource_id], Tags=changed)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextlib.contextmanager
def unless_gone(*codes: str) -> Iterator[None]:
    """Ignore a ClientError with one of `codes`: those saying that what is deleted is gone already."""
    try:
        yield
    except ClientError as error:
        if error_code(error) not in codes:
            raise


@dataclass(frozen=True)
class VpcSpec:
    """A VPC: its IPv4 block, whether its DNS resolves and gives hostnames, its tags."""

    cidr_block: str
    dns_support: bool
    dns_hostnames: bool
    tags: dict[str, str]


class Vpc(Provisioner[VpcSpec]):
    type_token = "aws:ec2/vpc:Vpc"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> VpcSpec:
        spec = VpcSpec(
            inputs.take("cidrBlock"),
            bool(inputs.take("enableDnsSupport", True)),
            bool(inputs.take("enableDnsHostnames", False)),
            dict(inputs.take("tags", {})),
        )
        inputs.ignore("instanceTenancy", "default")
        return spec

    def apply(self, ctx: Context, spec: VpcSpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        if previous is not None and previous.outputs["cidrBlock"] != spec.cidr_block:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            tagging = tag_specifications("vpc", spec.tags)
            vpc_id = ec2.create_vpc(CidrBlock=spec.cidr_block, TagSpecifications=tagging)["Vpc"]["VpcId"]
            wait_until(lambda: _vpc(ec2, vpc_id)["State"] == "available", f"VPC {vpc_id} to become available")
        else:
            vpc_id = previous.id
            retag(ec2, vpc_id, tags_of(_vpc(ec2, vpc_id)), spec.tags)
        # One attribute a call; DNS support first: hostnames need it.
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": spec.dns_support})
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": spec.dns_hostnames})
        return Applied(vpc_id, _vpc_outputs(ctx, ec2, vpc_id))

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        with unless_gone("InvalidVpcID.NotFound"):
            ctx.client("ec2").delete_vpc(VpcId=record.id)


def _vpc(ec2: Any, vpc_id: str) -> dict[str, Any]:
    return dict(ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0])


def _vpc_outputs(ctx: Context, ec2: Any, vpc_id: str) -> dict[str, Any]:
    vpc = _vpc(ec2, vpc_id)
    in_vpc = {"Name": "vpc-id", "Values": [vpc_id]}
    groups = ec2.describe_security_groups(Filters=[in_vpc, {"Name": "group-name", "Values": ["default"]}])
    tables = ec2.describe_route_tables(Filters=[in_vpc, {"Name": "association.main", "Values": ["true"]}])
    attribute = ec2.describe_vpc_attribute
    return {
        "id": vpc_id,
        "arn": vpc.get("VpcArn") or ctx.arn("ec2", f"vpc/{vpc_id}"),
        "cidrBlock": vpc["CidrBlock"],
        "enableDnsSupport": attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"],
        "enableDnsHostnames": attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"],
        "defaultSecurityGroupId": groups["SecurityGroups"][0]["GroupId"],
        "mainRouteTableId": tables["RouteTables"][0]["RouteTableId"],
        "ownerId": vpc.get("OwnerId", ctx.account),
        "tags": tags_of(vpc),
    }


@dataclass(frozen=True)
class InternetGatewaySpec:
    """An internet gateway, attached to the VPC given (if one is), and its tags."""

    vpc_id: str | None
    tags: dict[str, str]


class InternetGateway(Provisioner[InternetGatewaySpec]):
    type_token = "aws:ec2/internetGateway:InternetGateway"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> InternetGatewaySpec:
        return InternetGatewaySpec(inputs.take("vpcId", None), dict(inputs.take("tags", {})))

    def apply(self, ctx: Context, spec: InternetGatewaySpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        if previous is None:
            tagging = tag_specifications("internet-gateway", spec.tags)
            gateway_id = ec2.create_internet_gateway(TagSpecifications=tagging)["InternetGateway"]["InternetGatewayId"]
            attached = None
        else:
            gateway_id = previous.id
            attached = previous.outputs.get("vpcId")
            retag(ec2, gateway_id, tags_of(_gateway(ec2, gateway_id)), spec.tags)
        if attached != spec.vpc_id:  # moves between VPCs in place, as the AWS provider moves it
            if attached:
                ec2.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=attached)
            if spec.vpc_id:
                ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=spec.vpc_id)
        gateway = _gateway(ec2, gateway_id)
        outputs = {
            "id": gateway_id,
            "arn": ctx.arn("ec2", f"internet-gateway/{gateway_id}"),
            "vpcId": spec.vpc_id,
            "ownerId": gateway.get("OwnerId", ctx.account),
            "tags": tags_of(gateway),
        }
        return Applied(gateway_id, outputs)

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ec2 = ctx.client("ec2")
        with unless_gone("InvalidInternetGatewayID.NotFound"):
            for attachment in _gateway(ec2, record.id).get("Attachments") or []:
                ec2.detach_internet_gateway(InternetGatewayId=record.id, VpcId=attachment["VpcId"])
            ec2.delete_internet_gateway(InternetGatewayId=record.id)


def _gateway(ec2: Any, gateway_id: str) -> dict[str, Any]:
    return dict(ec2.describe_internet_gateways(InternetGatewayIds=[gateway_id])["InternetGateways"][0])


@dataclass(frozen=True)
class SubnetSpec:
    """A subnet: its VPC, block and zone (which replace it when changed), whether what is launched
    in it gets a public address, and its tags."""

    vpc_id: str
    cidr_block: str
    zone: str | None
    public_ip_on_launch: bool
    tags: dict[str, str]


class Subnet(Provisioner[SubnetSpec]):
    type_token = "aws:ec2/subnet:Subnet"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> SubnetSpec:
        return SubnetSpec(
            inputs.take("vpcId"),
            inputs.take("cidrBlock"),
            inputs.take("availabilityZone", None),
            bool(inputs.take("mapPublicIpOnLaunch", False)),
            dict(inputs.take("tags", {})),
        )

    def apply(self, ctx: Context, spec: SubnetSpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        if previous is not None and _subnet_moves(spec, previous.outputs):
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            placement = {"AvailabilityZone": spec.zone} if spec.zone else {}
            created = ec2.create_subnet(
                VpcId=spec.vpc_id,
                CidrBlock=spec.cidr_block,
                TagSpecifications=tag_specifications("subnet", spec.tags),
                **placement,
            )
            subnet_id = created["Subnet"]["SubnetId"]
        else:
            subnet_id = previous.id
            retag(ec2, subnet_id, tags_of(_subnet(ec2, subnet_id)), spec.tags)
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": spec.public_ip_on_launch})
        subnet = _subnet(ec2, subnet_id)
        outputs = {
            "id": subnet_id,
            "arn": subnet.get("SubnetArn") or ctx.arn("ec2", f"subnet/{subnet_id}"),
            "vpcId": subnet["VpcId"],
            "cidrBlock": subnet["CidrBlock"],
            "availabilityZone": subnet["AvailabilityZone"],
            "availabilityZoneId": subnet.get("AvailabilityZoneId"),
            "mapPublicIpOnLaunch": subnet["MapPublicIpOnLaunch"],
            "ownerId": subnet.get("OwnerId", ctx.account),
            "tags": tags_of(subnet),
        }
        return Applied(subnet_id, outputs)

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        with unless_gone("InvalidSubnetID.NotFound"):
            ctx.client("ec2").delete_subnet(SubnetId=record.id)


def _subnet_moves(spec: SubnetSpec, outputs: Mapping[str, Any]) -> bool:
    """Whether the subnet declared is another one than the one there (VPC, block or zone)."""
    zone_moves = spec.zone is not None and spec.zone != outputs["availabilityZone"]
    return zone_moves or (spec.vpc_id, spec.cidr_block) != (outputs["vpcId"], outputs["cidrBlock"])


def _subnet(ec2: Any, subnet_id: str) -> dict[str, Any]:
    return dict(ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0])


@dataclass(frozen=True)
class EipSpec:
    """An elastic IP for use in a VPC, and its tags."""

    tags: dict[str, str]


class Eip(Provisioner[EipSpec]):
    type_token = "aws:ec2/eip:Eip"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> EipSpec:
        inputs.ignore("domain", "vpc")
        return EipSpec(dict(inputs.take("tags", {})))

    def apply(self, ctx: Context, spec: EipSpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        if previous is None:
            tagging = tag_specifications("elastic-ip", spec.tags)
            allocation_id = ec2.allocate_address(Domain="vpc", TagSpecifications=tagging)["AllocationId"]
        else:
            allocation_id = previous.id
            retag(ec2, allocation_id, tags_of(_address(ec2, allocation_id)), spec.tags)
        address = _address(ec2, allocation_id)
        outputs = {
            "id": allocation_id,
            "allocationId": allocation_id,
            "arn": ctx.arn("ec2", f"elastic-ip/{allocation_id}"),
            "domain": "vpc",
            "publicIp": address["PublicIp"],
            "tags": tags_of(address),
        }
        return Applied(allocation_id, outputs)

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        with unless_gone("InvalidAllocationID.NotFound"):
            ctx.client("ec2").release_address(AllocationId=record.id)


def _address(ec2: Any, allocation_id: str) -> dict[str, Any]:
    return dict(ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"][0])


@dataclass(frozen=True)
class NatGatewaySpec:
    """A public NAT gateway: the subnet it is in, the elastic IP it uses, its tags."""

    subnet_id: str
    allocation_id: str
    tags: dict[str, str]


class NatGateway(Provisioner[NatGatewaySpec]):
    type_token = "aws:ec2/natGateway:NatGateway"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> NatGatewaySpec:
        spec = NatGatewaySpec(inputs.take("subnetId"), inputs.take("allocationId"), dict(inputs.take("tags", {})))
        inputs.ignore("connectivityType", "public")
        return spec

    def apply(self, ctx: Context, spec: NatGatewaySpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        placed = (spec.subnet_id, spec.allocation_id)
        if previous is not None and (previous.outputs["subnetId"], previous.outputs["allocationId"]) != placed:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            created = ec2.create_nat_gateway(
                SubnetId=spec.subnet_id,
                AllocationId=spec.allocation_id,
                TagSpecifications=tag_specifications("natgateway", spec.tags),
            )
            gateway_id = created["NatGateway"]["NatGatewayId"]
        else:
            gateway_id = previous.id
            retag(ec2, gateway_id, tags_of(_nat(ec2, gateway_id) or {}), spec.tags)
        gateway = wait_until(lambda: _nat_settled(ec2, gateway_id), f"NAT gateway {gateway_id} to become available")
        address = (gateway.get("NatGatewayAddresses") or [{}])[0]
        outputs = {
            "id": gateway_id,
            "subnetId": gateway["SubnetId"],
            "allocationId": spec.allocation_id,
            "connectivityType": "public",
            "publicIp": address.get("PublicIp"),
            "privateIp": address.get("PrivateIp"),
            "networkInterfaceId": address.get("NetworkInterfaceId"),
            "tags": tags_of(gateway),
        }
        return Applied(gateway_id, outputs)

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ec2 = ctx.client("ec2")
        with unless_gone("NatGatewayNotFound"):
            ec2.delete_nat_gateway(NatGatewayId=record.id)
        wait_until(
            lambda: (gateway := _nat(ec2, record.id)) is None or gateway["State"] == "deleted",
            f"NAT gateway {record.id} to be deleted",
        )
        _free_address(ec2, record.outputs["allocationId"], record.outputs.get("networkInterfaceId"))


def _free_address(ec2: Any, allocation_id: str, interface_id: str | None) -> None:
    """Disassociate the elastic IP from a deleted NAT gateway's interface if it still is associated:
    AWS frees it with the gateway, moto (so LocalStack) keeps it, and it could not be used again."""
    with unless_gone("InvalidAllocationID.NotFound", "InvalidAssociationID.NotFound"):
        address = _address(ec2, allocation_id)
        if address.get("AssociationId") and address.get("NetworkInterfaceId") == interface_id:
            ec2.disassociate_address(AssociationId=address["AssociationId"])


def _nat(ec2: Any, gateway_id: str) -> dict[str, Any] | None:
    """The NAT gateway described, None when the emulator no longer knows it."""
    try:
        found = ec2.describe_nat_gateways(NatGatewayIds=[gateway_id])["NatGateways"]
    except ClientError as error:
        if error_code(error) == "NatGatewayNotFound":
            return None
        raise
    return dict(found[0]) if found else None


def _nat_settled(ec2: Any, gateway_id: str) -> dict[str, Any] | None:
    """The gateway once available; None while pending; a DeployError once it failed or went."""
    gateway = _nat(ec2, gateway_id)
    if gateway is None or gateway["State"] in ("failed", "deleting", "deleted"):
        reason = (gateway or {}).get("FailureMessage") or "gone"
        raise DeployError(f"NAT gateway {gateway_id} did not become available: {reason}")
    return gateway if gateway["State"] == "available" else None
