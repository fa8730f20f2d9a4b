"""CloudFront VPC origins: recorded (the emulator has no CloudFront) for a load balancer the emulator
has; a distribution's origin through one; and the edge sending that origin's requests where the
harness serves the balancer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import cloudfront, cloudfront_vpc_origin
from harness.deployed.stack_state import ResourceRecord, StackState
from harness.edge import model
from harness.edge.stack import EdgeConfigError, stack_of
from tests.unit.harness.deploy.provisioners.cloudfront_inputs import distribution_inputs

VPC_ORIGIN = cloudfront_vpc_origin.VpcOrigin.type_token
DISTRIBUTION = cloudfront.Distribution.type_token


@pytest.fixture
def balancer_arn(moto, unique) -> Iterator[str]:
    """An internal Application Load Balancer in two subnets of a VPC of the moto server."""
    ec2, elbv2 = moto.client("ec2"), moto.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{index}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab")
    ]
    arn = elbv2.create_load_balancer(Name=unique("alb"), Subnets=subnets, Scheme="internal")["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    yield arn
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def _vpc_origin(arn: str, **endpoint: Any) -> dict[str, Any]:
    return {
        "vpcOriginEndpointConfig": {
            "name": "web",
            "arn": arn,
            "httpPort": 80,
            "httpsPort": 443,
            "originProtocolPolicy": "http-only",
            "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1},
            **endpoint,
        }
    }


def test_a_vpc_origin_to_a_balancer_is_recorded_for_the_edge(provisioned, balancer_arn):
    origin = provisioned.apply(VPC_ORIGIN, "web", _vpc_origin(balancer_arn))
    assert origin.outputs["arn"].endswith(f":vpcorigin/{origin.id}")
    assert model.VpcOrigin.from_json(origin.outputs["edge"]) == model.VpcOrigin(
        origin.id, balancer_arn, 80, 443, "http-only"
    )
    again = provisioned.apply(VPC_ORIGIN, "web", _vpc_origin(balancer_arn, name="web-2"))
    assert again.id == origin.id and again.outputs["vpcOriginEndpointConfig"]["name"] == "web-2"


def test_a_vpc_origin_to_a_balancer_the_emulator_lacks_or_in_https_is_refused(provisioned, balancer_arn):
    missing = balancer_arn.rsplit("/", 1)[0] + "/0000000000000000"
    with pytest.raises(DeployError, match=r"no load balancer .* in the emulator"):
        provisioned.apply(VPC_ORIGIN, "missing", _vpc_origin(missing))
    with pytest.raises(UnsupportedInput, match="originProtocolPolicy"):
        provisioned.apply(VPC_ORIGIN, "secure", _vpc_origin(balancer_arn, originProtocolPolicy="https-only"))


def _through_vpc_origin(vpc_origin_id: str, policies: dict[str, str]) -> dict[str, Any]:
    inputs = distribution_inputs(policies["access"], policies["cache"], policies["requests"])
    inputs["origins"][1] = {
        "originId": "app",
        "domainName": "127.0.0.1",
        "vpcOriginConfig": {"vpcOriginId": vpc_origin_id},
    }
    return inputs


def test_the_edge_sends_a_vpc_origins_requests_to_where_the_balancer_is_served(provisioned, balancer_arn, cdn_policies):
    vpc_origin = provisioned.apply(VPC_ORIGIN, "web", _vpc_origin(balancer_arn))
    distribution = provisioned.apply(DISTRIBUTION, "cdn", _through_vpc_origin(vpc_origin.id, cdn_policies))
    (app,) = [o for o in model.Distribution.from_json(distribution.outputs["edge"]).origins if o.id == "app"]
    assert app.vpc_origin_id == vpc_origin.id
    state = StackState("test", "http://127.0.0.1:1", None)
    state.resources = {f"{type_token}::{name}": record for (type_token, name), record in provisioned.records.items()}
    state.resources[f"{model.LOAD_BALANCER_TYPE}::web"] = ResourceRecord(
        model.LOAD_BALANCER_TYPE, "web", balancer_arn, "", {"arn": balancer_arn, "localPort": 4631}
    )

    (site,) = stack_of(state).sites
    (served,) = [o for o in site.distribution.origins if o.id == "app"]
    assert (served.domain_name, served.http_port, served.protocol_policy) == ("127.0.0.1", 4631, "http-only")

    del state.resources[f"{model.LOAD_BALANCER_TYPE}::web"]
    with pytest.raises(EdgeConfigError, match="a load balancer the stack does not declare"):
        stack_of(state)


def test_an_origin_with_a_vpc_origin_and_custom_settings_is_refused(provisioned, cdn_policies):
    inputs = _through_vpc_origin("E2QWRUHAPOMQZL", cdn_policies)
    inputs["origins"][1]["customOriginConfig"] = distribution_inputs("a", "b", "c")["origins"][1]["customOriginConfig"]
    with pytest.raises(DeployError, match="an origin with vpcOriginConfig has no customOriginConfig"):
        provisioned.apply(DISTRIBUTION, "cdn", inputs)
