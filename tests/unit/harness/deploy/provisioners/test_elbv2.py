"""Application Load Balancers, target groups and listeners, provisioned into moto's ELBv2 and read
back; the balancer's loopback port is claimed once and kept; what the stand-in cannot serve is refused."""

from __future__ import annotations

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import elbv2

BALANCER = elbv2.LoadBalancer.type_token
TARGET_GROUP = elbv2.TargetGroup.type_token
LISTENER = elbv2.Listener.type_token
HEALTH = {
    "path": "/api/health",
    "port": "traffic-port",
    "protocol": "HTTP",
    "interval": 10.0,
    "healthyThreshold": 2.0,
    "unhealthyThreshold": 3.0,
    "timeout": 5.0,
    "matcher": "200",
}


def _balancer(name: str, network, **changes) -> dict:
    return {
        "name": name,
        "loadBalancerType": "application",
        "internal": True,
        "subnets": list(network.subnets),
        "securityGroups": [network.security_group],
        "dropInvalidHeaderFields": True,
        **changes,
    }


def _target_group(name: str, network, **changes) -> dict:
    return {
        "name": name,
        "port": 8000.0,
        "protocol": "HTTP",
        "targetType": "instance",
        "vpcId": network.vpc,
        "deregistrationDelay": 30.0,
        "healthCheck": HEALTH,
        **changes,
    }


def test_a_balancer_is_created_internal_with_its_attributes_and_a_loopback_port(moto, provisioned, unique, network):
    name = unique("alb")
    balancer = provisioned.apply(BALANCER, "web", _balancer(name, network))
    (described,) = moto.client("elbv2").describe_load_balancers(Names=[name])["LoadBalancers"]
    assert balancer.id == described["LoadBalancerArn"] == balancer.outputs["arn"]
    assert described["Scheme"] == "internal" and described["VpcId"] == network.vpc
    assert balancer.outputs["arnSuffix"] == f"app/{name}/{balancer.id.rsplit('/', 1)[1]}"
    port = balancer.outputs["localPort"]
    assert elbv2.BALANCER_PORTS[0] <= port <= elbv2.BALANCER_PORTS[1]
    assert balancer.outputs["dnsName"] == f"127.0.0.1:{port}"
    attributes = moto.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=balancer.id)["Attributes"]
    assert {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"} in attributes

    again = provisioned.apply(BALANCER, "web", _balancer(name, network, dropInvalidHeaderFields=False))
    assert (again.id, again.outputs["localPort"]) == (balancer.id, port)
    public = provisioned.apply(BALANCER, "web", _balancer(name, network, internal=False))
    assert public.id != balancer.id and public.outputs["localPort"] == port  # replaced, served where it was
    provisioned.delete(BALANCER, "web")
    remaining = moto.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert name not in [b["LoadBalancerName"] for b in remaining]


def test_a_network_balancer_or_one_subnet_is_refused(provisioned, unique, network):
    with pytest.raises(UnsupportedInput, match="loadBalancerType"):
        provisioned.apply(BALANCER, "web", _balancer(unique("nlb"), network, loadBalancerType="network"))
    with pytest.raises(DeployError, match="subnets in two zones"):
        provisioned.apply(BALANCER, "web", _balancer(unique("alb"), network, subnets=[network.subnets[0]]))


def test_a_target_group_keeps_its_health_check_and_a_listener_forwards_to_it(moto, provisioned, unique, network):
    balancer = provisioned.apply(BALANCER, "web", _balancer(unique("alb"), network))
    name = unique("tg")
    group = provisioned.apply(TARGET_GROUP, "app", _target_group(name, network))
    client = moto.client("elbv2")
    (described,) = client.describe_target_groups(TargetGroupArns=[group.id])["TargetGroups"]
    assert (described["HealthCheckPath"], described["HealthCheckIntervalSeconds"]) == ("/api/health", 10)
    assert (described["HealthyThresholdCount"], described["UnhealthyThresholdCount"]) == (2, 3)
    assert described["HealthCheckTimeoutSeconds"] == 5 and described["Matcher"] == {"HttpCode": "200"}
    attributes = client.describe_target_group_attributes(TargetGroupArn=group.id)["Attributes"]
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "30"} in attributes
    assert group.outputs["arnSuffix"].startswith(f"targetgroup/{name}/")

    slower = provisioned.apply(
        TARGET_GROUP, "app", _target_group(name, network, healthCheck={**HEALTH, "interval": 30.0})
    )
    assert slower.id == group.id
    assert (
        client.describe_target_groups(TargetGroupArns=[group.id])["TargetGroups"][0]["HealthCheckIntervalSeconds"] == 30
    )

    forward = [{"type": "forward", "targetGroupArn": group.id}]
    listener = provisioned.apply(
        LISTENER, "http", {"loadBalancerArn": balancer.id, "port": 80.0, "protocol": "HTTP", "defaultActions": forward}
    )
    (described_listener,) = client.describe_listeners(LoadBalancerArn=balancer.id)["Listeners"]
    assert described_listener["ListenerArn"] == listener.id and described_listener["Port"] == 80
    assert described_listener["DefaultActions"][0]["TargetGroupArn"] == group.id


def test_a_listener_that_does_not_only_forward_is_refused(provisioned, unique, network):
    balancer = provisioned.apply(BALANCER, "web", _balancer(unique("alb"), network))
    redirect = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
    with pytest.raises(UnsupportedInput, match="type"):
        provisioned.apply(
            LISTENER,
            "http",
            {"loadBalancerArn": balancer.id, "port": 80.0, "protocol": "HTTP", "defaultActions": redirect},
        )
    with pytest.raises(UnsupportedInput, match="protocol"):
        provisioned.apply(LISTENER, "https", {"loadBalancerArn": balancer.id, "port": 443.0, "protocol": "HTTPS"})
