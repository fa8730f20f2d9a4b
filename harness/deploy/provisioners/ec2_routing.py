"""EC2 routing: route tables, their routes and subnet associations, and VPC endpoints (gateway
endpoints routed from route tables, interface endpoints in subnets behind security groups)."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, wait_until
from harness.deploy.provisioners.ec2_vpc import error_code, retag, tag_specifications, tags_of, unless_gone
from harness.deployed.stack_state import ResourceRecord


@dataclass(frozen=True)
class RouteTableSpec:
    """A route table of a VPC (another VPC replaces it), and its tags; routes are Route resources."""

    vpc_id: str
    tags: dict[str, str]


class RouteTable(Provisioner[RouteTableSpec]):
    type_token = "aws:ec2/routeTable:RouteTable"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> RouteTableSpec:
        return RouteTableSpec(inputs.take("vpcId"), dict(inputs.take("tags", {})))

    def apply(self, ctx: Context, spec: RouteTableSpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        if previous is not None and previous.outputs["vpcId"] != spec.vpc_id:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            tagging = tag_specifications("route-table", spec.tags)
            table_id = ec2.create_route_table(VpcId=spec.vpc_id, TagSpecifications=tagging)["RouteTable"][
                "RouteTableId"
            ]
        else:
            table_id = previous.id
            retag(ec2, table_id, tags_of(_table(ec2, table_id)), spec.tags)
        table = _table(ec2, table_id)
        outputs = {
            "id": table_id,
            "arn": ctx.arn("ec2", f"route-table/{table_id}"),
            "vpcId": table["VpcId"],
            "ownerId": table.get("OwnerId", ctx.account),
            "tags": tags_of(table),
        }
        return Applied(table_id, outputs)

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        with unless_gone("InvalidRouteTableID.NotFound"):
            ctx.client("ec2").delete_route_table(RouteTableId=record.id)


def _table(ec2: Any, table_id: str) -> dict[str, Any]:
    return dict(ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0])


@dataclass(frozen=True)
class RouteSpec:
    """An IPv4 route of a table, to an internet gateway or a NAT gateway (exactly one)."""

    table_id: str
    destination: str
    gateway_id: str | None
    nat_gateway_id: str | None

    @property
    def target(self) -> dict[str, str]:
        """The route's target, as CreateRoute and ReplaceRoute take it."""
        if self.gateway_id:
            return {"GatewayId": self.gateway_id}
        return {"NatGatewayId": self.nat_gateway_id or ""}


class Route(Provisioner[RouteSpec]):
    type_token = "aws:ec2/route:Route"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> RouteSpec:
        return RouteSpec(
            inputs.take("routeTableId"),
            inputs.take("destinationCidrBlock"),
            inputs.take("gatewayId", None),
            inputs.take("natGatewayId", None),
        )

    def validate(self, where: str, spec: RouteSpec) -> None:
        if bool(spec.gateway_id) == bool(spec.nat_gateway_id):
            raise DeployError(f"{where}: a route needs exactly one target, 'gatewayId' or 'natGatewayId'")

    def apply(self, ctx: Context, spec: RouteSpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        where = (spec.table_id, spec.destination)
        if (
            previous is not None
            and (previous.outputs["routeTableId"], previous.outputs["destinationCidrBlock"]) != where
        ):
            self.delete(ctx, previous)
            previous = None
        routed = {"RouteTableId": spec.table_id, "DestinationCidrBlock": spec.destination, **spec.target}
        if previous is None:
            ec2.create_route(**routed)
        else:  # another target for the same destination: in place
            ec2.replace_route(**routed)
        route_id = f"r-{spec.table_id}{zlib.crc32(spec.destination.encode())}"
        outputs = {
            "id": route_id,
            "routeTableId": spec.table_id,
            "destinationCidrBlock": spec.destination,
            "gatewayId": spec.gateway_id,
            "natGatewayId": spec.nat_gateway_id,
            "origin": "CreateRoute",
        }
        return Applied(route_id, outputs)

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        table, destination = record.outputs["routeTableId"], record.outputs["destinationCidrBlock"]
        with unless_gone("InvalidRoute.NotFound", "InvalidRouteTableID.NotFound"):
            ctx.client("ec2").delete_route(RouteTableId=table, DestinationCidrBlock=destination)


@dataclass(frozen=True)
class RouteTableAssociationSpec:
    """A subnet routed by a table."""

    subnet_id: str
    table_id: str


class RouteTableAssociation(Provisioner[RouteTableAssociationSpec]):
    type_token = "aws:ec2/routeTableAssociation:RouteTableAssociation"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> RouteTableAssociationSpec:
        return RouteTableAssociationSpec(inputs.take("subnetId"), inputs.take("routeTableId"))

    def apply(self, ctx: Context, spec: RouteTableAssociationSpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        if previous is not None and previous.outputs["subnetId"] != spec.subnet_id:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            association_id = ec2.associate_route_table(SubnetId=spec.subnet_id, RouteTableId=spec.table_id)[
                "AssociationId"
            ]
        elif previous.outputs["routeTableId"] != spec.table_id:  # the same subnet, another table: in place
            association_id = ec2.replace_route_table_association(AssociationId=previous.id, RouteTableId=spec.table_id)[
                "NewAssociationId"
            ]
        else:
            association_id = previous.id
        outputs = {"id": association_id, "subnetId": spec.subnet_id, "routeTableId": spec.table_id}
        return Applied(association_id, outputs)

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        with unless_gone("InvalidAssociationID.NotFound"):
            ctx.client("ec2").disassociate_route_table(AssociationId=record.id)


GATEWAY, INTERFACE = "Gateway", "Interface"


@dataclass(frozen=True)
class VpcEndpointSpec:
    """A VPC endpoint to an AWS service: a gateway one routed from route tables, or an interface one
    in subnets behind security groups (with or without the service's own name resolving to it)."""

    vpc_id: str
    service: str
    kind: str
    route_table_ids: tuple[str, ...]
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    private_dns: bool | None
    tags: dict[str, str]


class VpcEndpoint(Provisioner[VpcEndpointSpec]):
    type_token = "aws:ec2/vpcEndpoint:VpcEndpoint"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> VpcEndpointSpec:
        return VpcEndpointSpec(
            inputs.take("vpcId"),
            inputs.take("serviceName"),
            inputs.take("vpcEndpointType", GATEWAY),
            tuple(inputs.take("routeTableIds", [])),
            tuple(inputs.take("subnetIds", [])),
            tuple(inputs.take("securityGroupIds", [])),
            inputs.take("privateDnsEnabled", None),
            dict(inputs.take("tags", {})),
        )

    def validate(self, where: str, spec: VpcEndpointSpec) -> None:
        if spec.kind not in (GATEWAY, INTERFACE):
            raise DeployError(f"{where}: 'vpcEndpointType' {spec.kind!r} is not applied (only Gateway or Interface)")
        if spec.kind == GATEWAY and (spec.subnet_ids or spec.security_group_ids or spec.private_dns):
            raise DeployError(
                f"{where}: a Gateway endpoint takes 'routeTableIds', not subnets, security groups or private DNS"
            )
        if spec.kind == INTERFACE and spec.route_table_ids:
            raise DeployError(f"{where}: an Interface endpoint takes 'subnetIds', not 'routeTableIds'")

    def apply(self, ctx: Context, spec: VpcEndpointSpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        if previous is not None and _endpoint_moves(spec, previous.outputs):
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            endpoint_id = _create_endpoint(ec2, spec)
        else:
            endpoint_id = previous.id
            _modify_endpoint(ec2, endpoint_id, spec, _endpoint(ec2, endpoint_id))
        return Applied(endpoint_id, _endpoint_outputs(ctx, ec2, endpoint_id, spec))

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ec2 = ctx.client("ec2")
        unsuccessful = ec2.delete_vpc_endpoints(VpcEndpointIds=[record.id]).get("Unsuccessful") or []
        if [item for item in unsuccessful if item.get("Error", {}).get("Code") != "InvalidVpcEndpointId.NotFound"]:
            raise DeployError(f"VPC endpoint {record.id} was not deleted: {unsuccessful}")
        wait_until(lambda: _endpoint_gone(ec2, record.id), f"VPC endpoint {record.id} to be deleted")


def _create_endpoint(ec2: Any, spec: VpcEndpointSpec) -> str:
    placement: dict[str, Any] = {"RouteTableIds": list(spec.route_table_ids)}
    if spec.kind == INTERFACE:
        placement = {"SubnetIds": list(spec.subnet_ids), "PrivateDnsEnabled": bool(spec.private_dns)}
        if spec.security_group_ids:
            placement["SecurityGroupIds"] = list(spec.security_group_ids)
    created = ec2.create_vpc_endpoint(
        VpcId=spec.vpc_id,
        ServiceName=spec.service,
        VpcEndpointType=spec.kind,
        TagSpecifications=tag_specifications("vpc-endpoint", spec.tags),
        **placement,
    )
    return str(created["VpcEndpoint"]["VpcEndpointId"])


def _endpoint_moves(spec: VpcEndpointSpec, outputs: Mapping[str, Any]) -> bool:
    """Whether the endpoint declared replaces the one there: another VPC, service or type, or (a
    gateway endpoint) other route tables. AWS moves an endpoint between route tables in place, but
    moto's (so LocalStack's) ModifyVpcEndpoint leaves the service's routes where they were: the new
    tables would not route to the endpoint, and deleting it later fails on the routes it lost."""
    there = (outputs["vpcId"], outputs["serviceName"], outputs["vpcEndpointType"])
    tables_move = spec.kind == GATEWAY and sorted(spec.route_table_ids) != sorted(outputs["routeTableIds"])
    return tables_move or (spec.vpc_id, spec.service, spec.kind) != there


def _modify_endpoint(ec2: Any, endpoint_id: str, spec: VpcEndpointSpec, endpoint: dict[str, Any]) -> None:
    """Add and remove an interface endpoint's subnets and security groups, set its private DNS, and
    retag any endpoint, in place."""
    groups = [group["GroupId"] for group in endpoint.get("Groups") or []]
    changes: dict[str, Any] = {}
    for add, remove, declared, current in (
        ("AddSubnetIds", "RemoveSubnetIds", spec.subnet_ids, endpoint.get("SubnetIds") or []),
        ("AddSecurityGroupIds", "RemoveSecurityGroupIds", spec.security_group_ids, groups),
    ):
        if added := [item for item in declared if item not in current]:
            changes[add] = added
        if removed := [item for item in current if item not in declared]:
            changes[remove] = removed
    if spec.kind == INTERFACE and bool(spec.private_dns) != endpoint.get("PrivateDnsEnabled"):
        changes["PrivateDnsEnabled"] = bool(spec.private_dns)
    if changes:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **changes)
    retag(ec2, endpoint_id, tags_of(endpoint), spec.tags)


def _endpoint_gone(ec2: Any, endpoint_id: str) -> bool:
    """Whether the endpoint is deleted: no longer known (AWS, in time), or listed as deleted (moto)."""
    try:
        return str(_endpoint(ec2, endpoint_id)["State"]).lower() == "deleted"
    except ClientError as error:
        if error_code(error) == "InvalidVpcEndpointId.NotFound":
            return True
        raise


def _endpoint(ec2: Any, endpoint_id: str) -> dict[str, Any]:
    return dict(ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0])


def _endpoint_outputs(ctx: Context, ec2: Any, endpoint_id: str, spec: VpcEndpointSpec) -> dict[str, Any]:
    endpoint = _endpoint(ec2, endpoint_id)
    outputs = {
        "id": endpoint_id,
        "arn": ctx.arn("ec2", f"vpc-endpoint/{endpoint_id}"),
        "vpcId": endpoint["VpcId"],
        "serviceName": endpoint["ServiceName"],
        "vpcEndpointType": endpoint["VpcEndpointType"],
        "state": endpoint.get("State"),
        "routeTableIds": list(endpoint.get("RouteTableIds") or []),
        "subnetIds": list(endpoint.get("SubnetIds") or []),
        "securityGroupIds": [group["GroupId"] for group in endpoint.get("Groups") or []],
        "privateDnsEnabled": bool(spec.private_dns) if spec.kind == INTERFACE else False,
        "networkInterfaceIds": list(endpoint.get("NetworkInterfaceIds") or []),
        "dnsEntries": [
            {"dnsName": entry.get("DnsName"), "hostedZoneId": entry.get("HostedZoneId")}
            for entry in endpoint.get("DnsEntries") or []
        ],
        "ownerId": endpoint.get("OwnerId", ctx.account),
        "tags": tags_of(endpoint),
    }
    if spec.kind == GATEWAY:
        outputs["prefixListId"] = _prefix_list_id(ec2, spec.service)
    return outputs


def _prefix_list_id(ec2: Any, service: str) -> str | None:
    """The prefix list of a gateway endpoint's service (its routes' destination)."""
    lists = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [service]}])["PrefixLists"]
    return str(lists[0]["PrefixListId"]) if lists else None
