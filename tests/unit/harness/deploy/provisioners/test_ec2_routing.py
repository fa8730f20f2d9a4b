"""Route tables, routes, subnet associations and VPC endpoints, provisioned into moto and read back."""

from __future__ import annotations

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import ec2_routing, ec2_security_groups, ec2_vpc
from harness.mocked_program import run_mocked
from tests.unit.components.conftest import Recorded, RecordingMocks, run_program
from tests.unit.components.test_instances_tier import PREFIX_LIST, declare

VPC = ec2_vpc.Vpc.type_token
SUBNET = ec2_vpc.Subnet.type_token
GATEWAY = ec2_vpc.InternetGateway.type_token
EIP = ec2_vpc.Eip.type_token
NAT = ec2_vpc.NatGateway.type_token
TABLE = ec2_routing.RouteTable.type_token
ROUTE = ec2_routing.Route.type_token
ASSOCIATION = ec2_routing.RouteTableAssociation.type_token
ENDPOINT = ec2_routing.VpcEndpoint.type_token
ANYWHERE = "0.0.0.0/0"


def _vpc(provisioned, second: int, name: str = "vpc"):
    return provisioned.apply(VPC, name, {"cidrBlock": f"10.{second}.0.0/16"})


def _subnet(provisioned, vpc, third: int, zone: str = "us-east-1a"):
    prefix = vpc.outputs["cidrBlock"].rsplit(".", 2)[0]
    inputs = {"vpcId": vpc.id, "cidrBlock": f"{prefix}.{third}.0/24", "availabilityZone": zone}
    return provisioned.apply(SUBNET, f"subnet-{vpc.id}-{third}", inputs)


def _table(ec2, table_id: str):
    return ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]


def _routes_to(ec2, table_id: str, destination: str) -> list[dict]:
    return [route for route in _table(ec2, table_id)["Routes"] if route.get("DestinationCidrBlock") == destination]


def _tags(described) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in described.get("Tags") or []}


def test_a_route_table_is_created_retagged_replaced_in_another_vpc_and_deleted(moto, provisioned):
    ec2 = moto.client("ec2")
    first, second = _vpc(provisioned, 60, "first"), _vpc(provisioned, 61, "second")
    table = provisioned.apply(TABLE, "private", {"vpcId": first.id, "tags": {"Name": "a"}})
    described = _table(ec2, table.id)
    assert (described["VpcId"], _tags(described)) == (first.id, {"Name": "a"})
    assert table.outputs["vpcId"] == first.id

    retagged = provisioned.apply(TABLE, "private", {"vpcId": first.id, "tags": {"Name": "b", "zone": "a"}})
    assert retagged.id == table.id
    assert _tags(_table(ec2, table.id)) == {"Name": "b", "zone": "a"}

    moved = provisioned.apply(TABLE, "private", {"vpcId": second.id})
    assert moved.id != table.id
    assert _table(ec2, moved.id)["VpcId"] == second.id
    assert ec2.describe_route_tables(Filters=[{"Name": "route-table-id", "Values": [table.id]}])["RouteTables"] == []

    provisioned.delete(TABLE, "private")
    assert ec2.describe_route_tables(Filters=[{"Name": "route-table-id", "Values": [moved.id]}])["RouteTables"] == []


def test_a_route_table_with_inline_routes_is_refused_naming_them(provisioned):
    vpc = _vpc(provisioned, 62)
    inputs = {"vpcId": vpc.id, "routes": [{"cidrBlock": ANYWHERE, "gatewayId": "igw-1"}]}
    with pytest.raises(UnsupportedInput, match=r"^aws:ec2/routeTable:RouteTable 'inline': .*'routes'"):
        provisioned.apply(TABLE, "inline", inputs)


def test_a_route_goes_to_the_internet_gateway_then_a_nat_gateway_in_place_and_is_deleted(moto, provisioned):
    ec2 = moto.client("ec2")
    vpc = _vpc(provisioned, 63)
    gateway = provisioned.apply(GATEWAY, "internet", {"vpcId": vpc.id})
    table = provisioned.apply(TABLE, "table", {"vpcId": vpc.id})
    route = provisioned.apply(
        ROUTE, "default", {"routeTableId": table.id, "destinationCidrBlock": ANYWHERE, "gatewayId": gateway.id}
    )
    assert [r.get("GatewayId") for r in _routes_to(ec2, table.id, ANYWHERE)] == [gateway.id]

    address = provisioned.apply(EIP, "nat", {"domain": "vpc"})
    subnet = _subnet(provisioned, vpc, 1)
    nat = provisioned.apply(NAT, "nat", {"subnetId": subnet.id, "allocationId": address.id})
    through_nat = {"routeTableId": table.id, "destinationCidrBlock": ANYWHERE, "natGatewayId": nat.id}
    replaced = provisioned.apply(ROUTE, "default", through_nat)
    assert replaced.id == route.id
    assert [r.get("NatGatewayId") for r in _routes_to(ec2, table.id, ANYWHERE)] == [nat.id]

    provisioned.apply(ROUTE, "default", {**through_nat, "destinationCidrBlock": "192.168.0.0/16"})
    assert _routes_to(ec2, table.id, ANYWHERE) == []
    assert [r.get("NatGatewayId") for r in _routes_to(ec2, table.id, "192.168.0.0/16")] == [nat.id]

    provisioned.delete(ROUTE, "default")
    assert _routes_to(ec2, table.id, "192.168.0.0/16") == []


@pytest.mark.parametrize("targets", [{}, {"gatewayId": "igw-1", "natGatewayId": "nat-1"}])
def test_a_route_without_exactly_one_target_is_refused(moto, provisioned, targets):
    vpc = _vpc(provisioned, 64)
    table = provisioned.apply(TABLE, "table", {"vpcId": vpc.id})
    with pytest.raises(DeployError, match=r"^aws:ec2/route:Route 'default': a route needs exactly one target"):
        provisioned.apply(ROUTE, "default", {"routeTableId": table.id, "destinationCidrBlock": ANYWHERE, **targets})
    assert _routes_to(moto.client("ec2"), table.id, ANYWHERE) == []


def test_a_route_to_another_kind_of_target_is_refused_by_name(provisioned):
    vpc = _vpc(provisioned, 65)
    table = provisioned.apply(TABLE, "table", {"vpcId": vpc.id})
    inputs = {"routeTableId": table.id, "destinationCidrBlock": ANYWHERE, "vpcPeeringConnectionId": "pcx-1"}
    with pytest.raises(UnsupportedInput, match=r"^aws:ec2/route:Route 'peer': .*'vpcPeeringConnectionId'"):
        provisioned.apply(ROUTE, "peer", inputs)


def _associations(ec2, table_id: str) -> list[str]:
    return [a["SubnetId"] for a in _table(ec2, table_id)["Associations"] if not a.get("Main")]


def test_a_subnet_is_associated_moved_to_another_table_and_disassociated(moto, provisioned):
    ec2 = moto.client("ec2")
    vpc = _vpc(provisioned, 66)
    subnet, other_subnet = _subnet(provisioned, vpc, 1), _subnet(provisioned, vpc, 2)
    first = provisioned.apply(TABLE, "first", {"vpcId": vpc.id})
    second = provisioned.apply(TABLE, "second", {"vpcId": vpc.id})

    association = provisioned.apply(ASSOCIATION, "link", {"subnetId": subnet.id, "routeTableId": first.id})
    assert association.id.startswith("rtbassoc-")
    assert _associations(ec2, first.id) == [subnet.id]

    moved = provisioned.apply(ASSOCIATION, "link", {"subnetId": subnet.id, "routeTableId": second.id})
    assert (_associations(ec2, first.id), _associations(ec2, second.id)) == ([], [subnet.id])
    assert moved.outputs["routeTableId"] == second.id

    provisioned.apply(ASSOCIATION, "link", {"subnetId": other_subnet.id, "routeTableId": second.id})
    assert _associations(ec2, second.id) == [other_subnet.id]

    provisioned.delete(ASSOCIATION, "link")
    assert _associations(ec2, second.id) == []


def _endpoint(ec2, endpoint_id: str):
    return ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]


def _managed_prefix_list(ec2, name: str) -> str:
    lists = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])
    return str(lists["PrefixLists"][0]["PrefixListId"])


def test_a_gateway_endpoint_is_routed_from_its_tables_updated_in_place_and_deleted(moto, provisioned):
    ec2 = moto.client("ec2")
    vpc = _vpc(provisioned, 67)
    first = provisioned.apply(TABLE, "first", {"vpcId": vpc.id})
    second = provisioned.apply(TABLE, "second", {"vpcId": vpc.id})
    service = "com.amazonaws.us-east-1.s3"
    inputs = {"vpcId": vpc.id, "serviceName": service, "vpcEndpointType": "Gateway", "tags": {"Name": "s3"}}
    endpoint = provisioned.apply(ENDPOINT, "s3", {**inputs, "routeTableIds": [first.id]})

    described = _endpoint(ec2, endpoint.id)
    assert (described["VpcEndpointType"], described["ServiceName"], described["RouteTableIds"]) == (
        "Gateway",
        service,
        [first.id],
    )
    assert _tags(described) == {"Name": "s3"}
    assert endpoint.outputs["prefixListId"] == _managed_prefix_list(ec2, service)
    assert endpoint.outputs["arn"].endswith(f":vpc-endpoint/{endpoint.id}")
    to_s3 = [r for r in _table(ec2, first.id)["Routes"] if r.get("DestinationPrefixListId")]
    assert [(r["DestinationPrefixListId"], r["GatewayId"]) for r in to_s3] == [
        (endpoint.outputs["prefixListId"], endpoint.id)
    ]

    retagged = provisioned.apply(ENDPOINT, "s3", {**inputs, "routeTableIds": [first.id], "tags": {"Name": "b"}})
    assert retagged.id == endpoint.id
    assert _tags(_endpoint(ec2, endpoint.id)) == {"Name": "b"}

    # Other route tables replace it (moto's ModifyVpcEndpoint would not move the routes).
    moved = provisioned.apply(ENDPOINT, "s3", {**inputs, "routeTableIds": [second.id]})
    assert moved.id != endpoint.id
    assert _endpoint(ec2, endpoint.id)["State"] == "deleted"  # moto lists deleted endpoints as such
    assert [r for r in _table(ec2, first.id)["Routes"] if r.get("DestinationPrefixListId")] == []
    to_s3 = [r["GatewayId"] for r in _table(ec2, second.id)["Routes"] if r.get("DestinationPrefixListId")]
    assert to_s3 == [moved.id]

    provisioned.delete(ENDPOINT, "s3")
    assert _endpoint(ec2, moved.id)["State"] == "deleted"
    assert [r for r in _table(ec2, second.id)["Routes"] if r.get("DestinationPrefixListId")] == []


def test_an_interface_endpoint_is_in_its_subnets_behind_its_groups_with_private_dns(moto, provisioned, unique):
    ec2 = moto.client("ec2")
    vpc = _vpc(provisioned, 68)
    subnets = [_subnet(provisioned, vpc, 1, "us-east-1a"), _subnet(provisioned, vpc, 2, "us-east-1b")]
    group = ec2.create_security_group(GroupName=unique("endpoints"), Description="endpoints", VpcId=vpc.id)["GroupId"]
    service = "com.amazonaws.us-east-1.secretsmanager"
    inputs = {
        "vpcId": vpc.id,
        "serviceName": service,
        "vpcEndpointType": "Interface",
        "privateDnsEnabled": True,
        "securityGroupIds": [group],
    }
    endpoint = provisioned.apply(ENDPOINT, "secrets", {**inputs, "subnetIds": [s.id for s in subnets]})

    described = _endpoint(ec2, endpoint.id)
    assert sorted(described["SubnetIds"]) == sorted(s.id for s in subnets)
    assert [g["GroupId"] for g in described["Groups"]] == endpoint.outputs["securityGroupIds"] == [group]
    assert described["PrivateDnsEnabled"] is True
    assert endpoint.outputs["dnsEntries"] and endpoint.outputs["dnsEntries"][0]["dnsName"]
    assert "prefixListId" not in endpoint.outputs

    updated = provisioned.apply(ENDPOINT, "secrets", {**inputs, "subnetIds": [subnets[1].id]})
    assert updated.id == endpoint.id
    assert _endpoint(ec2, endpoint.id)["SubnetIds"] == [subnets[1].id]

    replaced = provisioned.apply(
        ENDPOINT, "secrets", {**inputs, "serviceName": "com.amazonaws.us-east-1.ssm", "subnetIds": [subnets[1].id]}
    )
    assert replaced.id != endpoint.id
    assert _endpoint(ec2, endpoint.id)["State"] == "deleted"
    assert _endpoint(ec2, replaced.id)["ServiceName"] == "com.amazonaws.us-east-1.ssm"
    provisioned.delete(ENDPOINT, "secrets")
    ec2.delete_security_group(GroupId=group)


@pytest.mark.parametrize(
    ("kind", "placement", "refusal"),
    [
        ("Gateway", {"subnetIds": ["subnet-1"]}, "a Gateway endpoint takes 'routeTableIds'"),
        ("Interface", {"routeTableIds": ["rtb-1"]}, "an Interface endpoint takes 'subnetIds'"),
        ("GatewayLoadBalancer", {}, "'vpcEndpointType' 'GatewayLoadBalancer' is not applied"),
    ],
)
def test_an_endpoint_placed_against_its_type_is_refused(moto, provisioned, kind, placement, refusal):
    vpc = _vpc(provisioned, 69)
    inputs = {"vpcId": vpc.id, "serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": kind, **placement}
    with pytest.raises(DeployError, match=rf"^aws:ec2/vpcEndpoint:VpcEndpoint 'odd': {refusal}"):
        provisioned.apply(ENDPOINT, "odd", inputs)
    assert (
        moto.client("ec2").describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc.id]}])["VpcEndpoints"]
        == []
    )


def test_an_endpoint_policy_is_refused_by_name(provisioned):
    vpc = _vpc(provisioned, 70)
    inputs = {"vpcId": vpc.id, "serviceName": "com.amazonaws.us-east-1.s3", "policy": "{}"}
    with pytest.raises(UnsupportedInput, match=r"^aws:ec2/vpcEndpoint:VpcEndpoint 's3': .*'policy'"):
        provisioned.apply(ENDPOINT, "s3", inputs)


# The mocks' id of a resource is `<logical name>-id`, and a subnet and its route table share a
# logical name: which resource an id names is told by the input that refers to it.
_REFERS_TO = {
    "vpcId": VPC,
    "subnetId": SUBNET,
    "subnetIds": SUBNET,
    "routeTableId": TABLE,
    "routeTableIds": TABLE,
    "gatewayId": GATEWAY,
    "natGatewayId": NAT,
    "allocationId": EIP,
    "securityGroupIds": ec2_security_groups.SecurityGroup.type_token,
    "securityGroups": ec2_security_groups.SecurityGroup.type_token,
}
OURS = {
    VPC,
    SUBNET,
    GATEWAY,
    EIP,
    NAT,
    TABLE,
    ROUTE,
    ASSOCIATION,
    ENDPOINT,
    ec2_security_groups.SecurityGroup.type_token,
}


def _real(value, ids, key=None):
    """The wire inputs with the mocks' ids of other resources replaced by those applied."""
    if isinstance(value, dict):
        return {k: _real(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_real(v, ids, key) for v in value]
    return ids.get((_REFERS_TO.get(key or ""), value), value)


def _declared_network(nat: str):
    if nat != "none":
        return run_program({"imagepipe:webTier": "instances", "imagepipe:natGateways": nat}), PREFIX_LIST
    recorded = Recorded()  # the network without NAT, and the balancer's and the fleet's groups
    run_mocked(declare, RecordingMocks(recorded), project="imagepipe", stack="test")
    return recorded, PREFIX_LIST


@pytest.mark.parametrize("nat", ["none", "single"])
def test_the_network_the_program_declares_is_provisioned_as_declared_and_deleted(moto, provisioned, nat):
    ec2 = moto.client("ec2")
    recorded, mocked_prefix_list = _declared_network(nat)
    # the balancer's group admits CloudFront's prefix list, as the emulator knows it
    ids = {(None, mocked_prefix_list): _managed_prefix_list(ec2, "com.amazonaws.global.cloudfront.origin-facing")}
    declared = [(t, n, inputs) for (t, n), inputs in recorded.resources.items() if t in OURS]
    for type_token, name, inputs in declared:  # the program registers what a resource refers to first
        ids[(type_token, f"{name}-id")] = provisioned.apply(type_token, name, _real(inputs, ids)).id

    vpc_id = ids[(VPC, "network-vpc-id")]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    assert len(ec2.describe_subnets(Filters=in_vpc)["Subnets"]) == 4
    endpoints = ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"]
    assert len(endpoints) == (3 if nat == "none" else 2)
    assert len(ec2.describe_nat_gateways(Filter=in_vpc)["NatGateways"]) == (0 if nat == "none" else 1)
    groups = [g["GroupName"] for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]]
    # The VPC's default, the balancer's and the fleet's, and without NAT the endpoints'.
    assert len(groups) == (4 if nat == "none" else 3)
    for type_token, name, _ in reversed(declared):
        provisioned.delete(type_token, name)
    assert ec2.describe_vpcs(Filters=in_vpc)["Vpcs"] == []
