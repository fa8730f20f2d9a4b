"""The whole program with `webTier: instances`, under Pulumi's mocks: the CDN reaches the app through
the balancer (a VPC origin to an internal one by default, or an internet-facing one's address), no
web function or REST API is declared, the instances boot the app's bundle from `instances/` with the
web function's environment and exactly its grants, and the balancer and group are watched."""

from __future__ import annotations

import base64
import json

import pytest

from components.config import ConfigError
from components.policy_checks import FLEET_POLICIES, NETWORK_POLICIES, violations
from handlers.contract import Env
from tests.unit.components.conftest import PREFIX_LIST_ID, Recorded, run_program

INSTANCES = {"imagepipe:webTier": "instances"}
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
BALANCER = "aws:lb/loadBalancer:LoadBalancer"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.fixture(scope="module")
def instances() -> Recorded:
    return run_program(INSTANCES)


@pytest.fixture(scope="module")
def internet_facing() -> Recorded:
    return run_program({**INSTANCES, "imagepipe:balancerOrigin": "internetFacing"})


def _app_origin(declared: Recorded) -> dict:
    (distribution,) = declared.of_type(DISTRIBUTION).values()
    (origin,) = [origin for origin in distribution["origins"] if origin["originId"] == "app"]
    return origin


def test_the_cdn_reaches_an_internal_balancer_through_a_vpc_origin(instances):
    (balancer,) = instances.of_type(BALANCER).values()
    assert balancer["internal"] is True
    assert all("-private-" in subnet for subnet in balancer["subnets"])
    (vpc_origin,) = instances.of_type(VPC_ORIGIN).values()
    endpoint = vpc_origin["vpcOriginEndpointConfig"]
    assert endpoint["arn"].endswith(f":{balancer['name']}")  # the balancer's ARN, as the mocks make it
    assert (endpoint["httpPort"], endpoint["originProtocolPolicy"]) == (80, "http-only")
    origin = _app_origin(instances)
    assert origin["vpcOriginConfig"] == {"vpcOriginId": "web-vpc-origin-id"}
    assert "customOriginConfig" not in origin
    assert origin["domainName"] == "internal-imagepipe-local-web-1234567890.us-east-1.elb.amazonaws.com"


def test_an_internet_facing_balancer_is_a_plain_http_origin_in_the_public_subnets(internet_facing):
    (balancer,) = internet_facing.of_type(BALANCER).values()
    assert balancer["internal"] is False and all("-public-" in subnet for subnet in balancer["subnets"])
    assert not internet_facing.of_type(VPC_ORIGIN)
    custom = _app_origin(internet_facing)["customOriginConfig"]
    assert (custom["httpPort"], custom["originProtocolPolicy"]) == (80, "http-only")


@pytest.mark.parametrize("shape", ["instances", "internet_facing"])
def test_only_cloudfronts_addresses_reach_the_balancer_and_the_policies_hold(shape, request):
    declared: Recorded = request.getfixturevalue(shape)
    group = declared.one(SECURITY_GROUP, "web-balancer")
    assert [rule["prefixListIds"] for rule in group["ingress"]] == [[PREFIX_LIST_ID]]
    assert violations(declared.resources, (*NETWORK_POLICIES, *FLEET_POLICIES)) == []


def test_the_instances_tier_declares_no_web_function_or_rest_api(instances):
    assert not instances.of_type("aws:apigateway/restApi:RestApi")
    functions = instances.of_type("aws:lambda/function:Function")
    assert "web-function" not in {name.removesuffix("-function") + "-function" for name in functions}
    assert all(not inputs["name"].endswith("-web") for inputs in functions.values())
    assert instances.outputs["web_tier"] == "instances"
    assert instances.outputs["load_balancer_url"].startswith("http://internal-imagepipe-local-web")


def test_the_instances_get_exactly_the_web_functions_grants_and_their_bundle(instances, program):
    web_function = json.loads(program.one(ROLE_POLICY, "web-function-policy")["policy"])["Statement"]
    fleet = json.loads(instances.one(ROLE_POLICY, "web-grants")["policy"])["Statement"]
    (bundle,) = instances.of_type("aws:s3/bucketObjectv2:BucketObjectv2").values()
    assert bundle["key"].startswith("instances/web-") and bundle["key"].endswith(".zip")
    # The function's own log stream aside (the instances log to their journal), the same grants.
    app_grants = [s for s in web_function if not all(action.startswith("logs:") for action in s["Action"])]
    assert len(app_grants) == len(web_function) - 1
    assert fleet[:-1] == app_grants
    assert fleet[-1]["Action"] == ["s3:GetObject"] and fleet[-1]["Resource"].endswith(f"/{bundle['key']}")


def test_the_user_data_boots_the_bundle_with_the_web_functions_environment(instances, program):
    (template,) = instances.of_type("aws:ec2/launchTemplate:LaunchTemplate").values()
    script = base64.b64decode(template["userData"]).decode()
    (bundle,) = instances.of_type("aws:s3/bucketObjectv2:BucketObjectv2").values()
    assert f"/{bundle['key']}" in script
    environment = program.one("aws:lambda/function:Function", "web-function")["environment"]["variables"]
    for name in (Env.IMAGES_TABLE, Env.USERS_TABLE, Env.SESSION_SECRET_ARN, Env.IMAGES_BASE_URL):
        assert f'{name}="{environment[name]}"' in script
    assert 'AWS_DEFAULT_REGION="us-east-1"' in script


def test_the_balancer_and_its_group_are_watched(instances):
    names = {inputs["name"] for inputs in instances.of_type(ALARM).values()}
    expected = {f"imagepipe-local-balancer-{kind}" for kind in ("5xx", "unhealthy", "latency", "in-service")}
    assert expected <= names
    assert not {name for name in names if name.startswith("imagepipe-local-web-") or "-api-" in name}
    in_service = next(i for i in instances.of_type(ALARM).values() if i["name"].endswith("-in-service"))
    assert in_service["metricQueries"][0]["expression"] == "desired - inService"


CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/0f5cbe7d-5c45-4b57-a1b7-4d6e4a1c2b3f"


@pytest.mark.parametrize("origin", ["vpcOrigin", "internetFacing"])
def test_with_a_certificate_the_cdn_reaches_the_balancer_in_https_by_its_name(origin):
    declared = run_program(
        {
            **INSTANCES,
            "imagepipe:balancerOrigin": origin,
            "imagepipe:balancerDomainName": "origin.photos.example.com",
            "imagepipe:balancerCertificateArn": CERTIFICATE,
        }
    )
    (listener,) = declared.of_type("aws:lb/listener:Listener").values()
    assert (listener["protocol"], listener["port"], listener["certificateArn"]) == ("HTTPS", 443, CERTIFICATE)
    assert listener["sslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    group = declared.one(SECURITY_GROUP, "web-balancer")
    assert [(rule["fromPort"], rule["prefixListIds"]) for rule in group["ingress"]] == [(443, [PREFIX_LIST_ID])]
    app = _app_origin(declared)
    assert app["domainName"] == "origin.photos.example.com"
    if origin == "vpcOrigin":
        (vpc_origin,) = declared.of_type(VPC_ORIGIN).values()
        assert vpc_origin["vpcOriginEndpointConfig"]["originProtocolPolicy"] == "https-only"
    else:
        assert (app["customOriginConfig"]["httpsPort"], app["customOriginConfig"]["originProtocolPolicy"]) == (
            443,
            "https-only",
        )
    assert violations(declared.resources, (*NETWORK_POLICIES, *FLEET_POLICIES)) == []


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"imagepipe:balancerDomainName": "origin.example.com"}, "balancerDomainName/balancerCertificateArn"),
        (
            {"imagepipe:balancerDomainName": "origin.example.com", "imagepipe:balancerCertificateArn": "cert-1"},
            "balancerCertificateArn",
        ),
    ],
)
def test_half_an_https_setting_stops_the_program_naming_it(settings, named):
    with pytest.raises(ConfigError, match=f"imagepipe:{named}"):
        run_program({**INSTANCES, **settings})
