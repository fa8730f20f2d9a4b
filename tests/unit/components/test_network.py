"""The instances tier's network under Pulumi's mocks, for each NAT choice: private subnets with no
public address, gateway endpoints for S3 and DynamoDB, and interface endpoints exactly when there
is no NAT; the policies hold on every shape, and catch what breaks them."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from components.policy_checks import NETWORK_POLICIES, no_public_addresses_on_launch, no_ssh, violations
from tests.unit.components.conftest import Recorded, run_program

INSTANCES = {"imagepipe:webTier": "instances"}
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROUTE = "aws:ec2/route:Route"


@pytest.fixture(scope="module")
def shapes() -> dict[tuple[str, int], Recorded]:
    return {
        (nat, zones): run_program(
            {**INSTANCES, "imagepipe:natGateways": nat, "imagepipe:availabilityZones": str(zones)}
        )
        for nat, zones in (("none", 2), ("single", 2), ("perAz", 3))
    }


def test_the_serverless_tier_declares_no_network(program):
    assert program.outputs["web_tier"] == "serverless"
    assert not [key for key in program.resources if key[0].startswith("aws:ec2/")]


@pytest.mark.parametrize(("nat", "zones", "gateways"), [("none", 2, 0), ("single", 2, 1), ("perAz", 3, 3)])
def test_each_nat_choice_declares_its_gateways_and_routes(shapes, nat, zones, gateways):
    declared = shapes[(nat, zones)]
    assert declared.outputs["web_tier"] == "instances"
    subnets = declared.of_type(SUBNET)
    private = {name: inputs for name, inputs in subnets.items() if "-private-" in name}
    assert len(subnets) == 2 * zones and len(private) == zones
    assert sorted(inputs["availabilityZone"] for inputs in private.values()) == [
        f"us-east-1{letter}" for letter in "abcdef"[:zones]
    ]
    assert len(declared.of_type(NAT)) == gateways
    nat_routes = [name for name in declared.of_type(ROUTE) if name.endswith("-nat")]
    assert len(nat_routes) == (zones if gateways else 0)  # every private subnet, or none, routes to a NAT


@pytest.mark.parametrize(("nat", "zones"), [("none", 2), ("single", 2), ("perAz", 3)])
def test_s3_and_dynamodb_through_gateway_endpoints_and_the_rest_through_interface_ones_without_nat(shapes, nat, zones):
    endpoints = shapes[(nat, zones)].of_type(ENDPOINT)
    by_type = {inputs["serviceName"].rsplit(".", 1)[1]: inputs["vpcEndpointType"] for inputs in endpoints.values()}
    expected = {"s3": "Gateway", "dynamodb": "Gateway"}
    if nat == "none":
        expected["secretsmanager"] = "Interface"
    assert by_type == expected
    for inputs in endpoints.values():
        if inputs["vpcEndpointType"] == "Gateway":
            assert len(inputs["routeTableIds"]) == zones  # every private subnet's table
        else:
            assert inputs["privateDnsEnabled"] and len(inputs["subnetIds"]) == zones


def test_session_manager_endpoints_are_added_when_asked():
    declared = run_program({**INSTANCES, "imagepipe:sessionManagerEndpoints": "true"})
    services = {inputs["serviceName"].rsplit(".", 1)[1] for inputs in declared.of_type(ENDPOINT).values()}
    assert {"ssm", "ssmmessages", "ec2messages", "secretsmanager"} <= services


def test_the_network_policies_hold_on_every_shape(shapes):
    for shape, declared in shapes.items():
        assert violations(declared.resources, NETWORK_POLICIES) == [], shape


def test_the_policies_catch_ssh_and_public_addresses():
    resources = {
        ("aws:ec2/securityGroup:SecurityGroup", "web"): {
            "ingress": [{"protocol": "tcp", "fromPort": 20, "toPort": 25, "cidrBlocks": ["0.0.0.0/0"]}]
        },
        ("aws:ec2/securityGroupRule:SecurityGroupRule", "all"): {"type": "ingress", "protocol": "-1"},
        ("aws:ec2/securityGroupRule:SecurityGroupRule", "out"): {"type": "egress", "protocol": "-1"},
        ("aws:ec2/securityGroup:SecurityGroup", "https"): {
            "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443}]
        },
        (SUBNET, "open"): {"mapPublicIpOnLaunch": True},
        (SUBNET, "closed"): {"mapPublicIpOnLaunch": False},
    }
    assert no_ssh(resources) == ["web lets in port 22", "all lets in port 22"]
    assert no_public_addresses_on_launch(resources) == ["open maps a public address to each instance launched in it"]


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("webTier", "containers", "imagepipe:webTier: 'containers' is not one of serverless, instances"),
        ("natGateways", "two", "imagepipe:natGateways: 'two' is not one of none, single, perAz"),
        ("availabilityZones", "1", "imagepipe:availabilityZones: 1 must be 2 to 6"),
        ("balancerOrigin", "public", "imagepipe:balancerOrigin: 'public' is not one of vpcOrigin, internetFacing"),
        ("instanceArchitecture", "sparc", "imagepipe:instanceArchitecture: 'sparc' is not one of x86_64, arm64"),
        ("fleetDesired", "9", "imagepipe:fleetMin/fleetDesired/fleetMax: need 0 <= fleetMin (1) <= fleetDesired (9)"),
    ],
)
def test_a_wrong_web_tier_setting_is_refused_naming_it(key, value, said):
    with pytest.raises(ConfigError, match=said.replace("(", r"\(").replace(")", r"\)")):
        run_program({**INSTANCES, f"imagepipe:{key}": value})
