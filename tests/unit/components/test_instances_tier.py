"""The instances tier's balancer and fleet under Pulumi's mocks, over the network: the shape the
issue asks for (an internal balancer on the private subnets, a target group checking /api/health
every 10 s, a group of 1/2/4 replacing on ELB health and refreshing rolling at 50 %), and the
policies: no SSH, IMDSv2, encrypted volumes, no public address, the balancer open to the CDN only,
the instances' role granted exactly what it is given."""

from __future__ import annotations

import base64
import json

import pytest

from components.balancer import Balancer, BalancerArgs
from components.fleet import SESSION_MANAGER_POLICY, Fleet, FleetArgs
from components.iam import Statement
from components.network import Network, NetworkArgs
from components.policy_checks import FLEET_POLICIES, balancer_only_from_the_cdn, encrypted_volumes, violations
from harness.mocked_program import run_mocked
from tests.unit.components.conftest import Recorded, RecordingMocks

GRANTS = [Statement(["dynamodb:GetItem"], ["arn:aws:dynamodb:us-east-1:000000000000:table/images"])]
PREFIX_LIST = "pl-3b927c52"


def declare() -> None:
    network = Network("network", NetworkArgs("imagepipe-t", "us-east-1", ("us-east-1a", "us-east-1b")))
    private = [subnet.id for subnet in network.private_subnets]
    balancer = Balancer("web", BalancerArgs("imagepipe-t", network.vpc.id, "10.0.0.0/16", private, True, PREFIX_LIST))
    Fleet(
        "web",
        FleetArgs(
            name_prefix="imagepipe-t",
            account_wide_prefix="imagepipe-t-us-east-1",
            vpc_id=network.vpc.id,
            subnet_ids=private,
            balancer_security_group_id=balancer.security_group.id,
            target_group_arn=balancer.target_group.arn,
            request_count_label="app/imagepipe-t-web/1/targetgroup/imagepipe-t-app/2",
            user_data="#!/bin/bash\necho boot\n",
            statements=GRANTS,
        ),
    )


@pytest.fixture(scope="module")
def tier() -> Recorded:
    recorded = Recorded()
    mocks = RecordingMocks(recorded)
    run_mocked(declare, mocks, project="imagepipe", stack="test")
    return recorded


def test_the_balancer_is_internal_on_the_private_subnets_and_checks_the_apps_health(tier):
    (balancer,) = tier.of_type("aws:lb/loadBalancer:LoadBalancer").values()
    assert balancer["internal"] is True and balancer["loadBalancerType"] == "application"
    assert len(balancer["subnets"]) == 2 and balancer["dropInvalidHeaderFields"] is True
    (group,) = tier.of_type("aws:lb/targetGroup:TargetGroup").values()
    check = group["healthCheck"]
    assert (group["port"], group["deregistrationDelay"]) == (8000, 30)
    assert (check["path"], check["interval"], check["healthyThreshold"], check["unhealthyThreshold"]) == (
        "/api/health",
        10,
        2,
        3,
    )
    assert check["timeout"] == 5 and check["matcher"] == "200"
    (listener,) = tier.of_type("aws:lb/listener:Listener").values()
    assert listener["port"] == 80 and listener["defaultActions"][0]["type"] == "forward"


def test_the_group_replaces_on_elb_health_and_refreshes_rolling(tier):
    (group,) = tier.of_type("aws:autoscaling/group:Group").values()
    assert (group["minSize"], group["desiredCapacity"], group["maxSize"]) == (1, 2, 4)
    assert group["healthCheckType"] == "ELB" and group["healthCheckGracePeriod"] == 300
    assert group["instanceRefresh"] == {"strategy": "Rolling", "preferences": {"minHealthyPercentage": 50}}
    (policy,) = tier.of_type("aws:autoscaling/policy:Policy").values()
    metric = policy["targetTrackingConfiguration"]["predefinedMetricSpecification"]
    assert metric["predefinedMetricType"] == "ALBRequestCountPerTarget"


def test_instances_boot_amazon_linux_2023_with_the_user_data(tier):
    (template,) = tier.of_type("aws:ec2/launchTemplate:LaunchTemplate").values()
    assert template["imageId"] == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    assert base64.b64decode(template["userData"]).decode() == "#!/bin/bash\necho boot\n"


def test_the_instances_role_has_exactly_its_grants_and_session_manager(tier):
    (policy,) = tier.of_type("aws:iam/rolePolicy:RolePolicy").values()
    statements = json.loads(policy["policy"])["Statement"]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        (["dynamodb:GetItem"], "arn:aws:dynamodb:us-east-1:000000000000:table/images")
    ]
    (attachment,) = tier.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment").values()
    assert attachment["policyArn"] == SESSION_MANAGER_POLICY
    (role,) = tier.of_type("aws:iam/role:Role").values()
    assert json.loads(role["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_the_policies_hold_on_the_tier(tier):
    assert violations(tier.resources, FLEET_POLICIES) == []


def test_the_policies_catch_an_open_balancer_and_an_unencrypted_volume():
    resources = {
        ("aws:ec2/securityGroup:SecurityGroup", "web-balancer"): {
            "ingress": [{"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["0.0.0.0/0"]}]
        },
        ("aws:ec2/launchTemplate:LaunchTemplate", "web-template"): {
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]
        },
    }
    assert balancer_only_from_the_cdn(resources) == ["web-balancer lets in more than CloudFront"]
    assert encrypted_volumes(resources) == ["web-template maps /dev/xvda unencrypted"]
