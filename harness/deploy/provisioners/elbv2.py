"""Elastic Load Balancing v2: Application Load Balancers, their target groups and listeners, in the
emulator's ELBv2 (moto's, served by our LocalStack plugin beside its EC2, so subnets, security groups
and VPCs are checked against what the deploy made there).

The harness serves each balancer on this machine with a stand-in (harness/fleet): the provisioner
claims it a loopback port from `BALANCER_PORTS`, kept from deploy to deploy, and records it as the
balancer's `localPort`; the balancer's `dnsName` is `127.0.0.1:<that port>`, where the stand-in
answers, as a distribution's domain name is the CDN edge's address (the emulator's own DNS name is
kept as `emulatorDnsName`). Only forwarding listeners in HTTP are applied.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Final

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deploy.provisioners.cloudfront_policies import only
from harness.deployed.loopback_ports import LOCAL_PORT_OUTPUT
from harness.deployed.stack_state import ResourceRecord
from harness.edge.model import LOAD_BALANCER_TYPE

BALANCER_PORTS: Final = (4630, 4679)
BALANCER_HOST: Final = "127.0.0.1"


@dataclass(frozen=True)
class LoadBalancerSpec:
    where: str
    name: str
    internal: bool
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    drop_invalid_header_fields: bool
    tags: dict[str, str]


class LoadBalancer(Provisioner[LoadBalancerSpec]):
    type_token = LOAD_BALANCER_TYPE

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> LoadBalancerSpec:
        only(inputs, "loadBalancerType", ("application",), "application")
        return LoadBalancerSpec(
            inputs.where,
            physical_name(inputs, name, previous, max_length=32),
            bool(inputs.take("internal", False)),
            tuple(inputs.take("subnets")),
            tuple(inputs.take("securityGroups", [])),
            bool(inputs.take("dropInvalidHeaderFields", False)),
            dict(inputs.take("tags", {})),
        )

    def validate(self, where: str, spec: LoadBalancerSpec) -> None:
        if len(spec.subnets) < 2:
            raise DeployError(f"{where}: an Application Load Balancer needs subnets in two zones at least")

    def apply(self, ctx: Context, spec: LoadBalancerSpec, previous: ResourceRecord | None) -> Applied:
        elbv2 = ctx.client("elbv2")
        same = previous is not None and (previous.outputs["name"], previous.outputs["internal"]) == (
            spec.name,
            spec.internal,
        )
        if previous is not None and not same:
            self._delete_balancer(ctx, previous)
        if previous is not None and same:
            arn = previous.id
            elbv2.set_subnets(LoadBalancerArn=arn, Subnets=list(spec.subnets))
            elbv2.set_security_groups(LoadBalancerArn=arn, SecurityGroups=list(spec.security_groups))
            port = int(previous.outputs[LOCAL_PORT_OUTPUT])
        else:
            arn = self._create(elbv2, spec)
            port = int(previous.outputs[LOCAL_PORT_OUTPUT]) if previous is not None else self._claim(ctx, spec)
        attribute = {
            "Key": "routing.http.drop_invalid_header_fields.enabled",
            "Value": _flag(spec.drop_invalid_header_fields),
        }
        elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[attribute])
        if spec.tags:
            elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": k, "Value": v} for k, v in spec.tags.items()])
        (described,) = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
        return Applied(
            arn,
            {
                "arn": arn,
                "arnSuffix": arn.split(":loadbalancer/", 1)[1],
                "name": spec.name,
                "internal": spec.internal,
                "loadBalancerType": "application",
                "subnets": list(spec.subnets),
                "securityGroups": list(spec.security_groups),
                "dropInvalidHeaderFields": spec.drop_invalid_header_fields,
                "vpcId": described.get("VpcId", ""),
                "zoneId": described.get("CanonicalHostedZoneId", ""),
                "dnsName": f"{BALANCER_HOST}:{port}",
                "emulatorDnsName": described.get("DNSName", ""),
                "tags": spec.tags,
                LOCAL_PORT_OUTPUT: port,
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        self._delete_balancer(ctx, record)
        ctx.ports.release(int(record.outputs[LOCAL_PORT_OUTPUT]))

    @staticmethod
    def _create(elbv2: Any, spec: LoadBalancerSpec) -> str:
        created = elbv2.create_load_balancer(
            Name=spec.name,
            Subnets=list(spec.subnets),
            SecurityGroups=list(spec.security_groups),
            Scheme="internal" if spec.internal else "internet-facing",
            Type="application",
        )
        return str(created["LoadBalancers"][0]["LoadBalancerArn"])

    @staticmethod
    def _claim(ctx: Context, spec: LoadBalancerSpec) -> int:
        try:
            return ctx.ports.claim(*BALANCER_PORTS)
        except RuntimeError as error:
            raise DeployError(f"{spec.where}: the harness has no port to serve it on: {error}") from None

    @staticmethod
    def _delete_balancer(ctx: Context, record: ResourceRecord) -> None:
        elbv2 = ctx.client("elbv2")
        with contextlib.suppress(elbv2.exceptions.LoadBalancerNotFoundException):
            elbv2.delete_load_balancer(LoadBalancerArn=record.id)


@dataclass(frozen=True)
class TargetGroupSpec:
    name: str
    port: int
    vpc_id: str
    deregistration_delay: int
    health: dict[str, Any]  # as CreateTargetGroup takes the health check's settings
    tags: dict[str, str]


class TargetGroup(Provisioner[TargetGroupSpec]):
    type_token = "aws:lb/targetGroup:TargetGroup"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> TargetGroupSpec:
        group = physical_name(inputs, name, previous, max_length=32)
        only(inputs, "protocol", ("HTTP",))
        only(inputs, "targetType", ("instance",), "instance")
        health = _health_check(inputs.sub("healthCheck"))
        return TargetGroupSpec(
            group,
            int(inputs.take("port")),
            inputs.take("vpcId"),
            int(inputs.take("deregistrationDelay", 300)),
            health,
            dict(inputs.take("tags", {})),
        )

    def apply(self, ctx: Context, spec: TargetGroupSpec, previous: ResourceRecord | None) -> Applied:
        elbv2 = ctx.client("elbv2")
        same = previous is not None and (
            previous.outputs["name"],
            previous.outputs["port"],
            previous.outputs["vpcId"],
        ) == (spec.name, spec.port, spec.vpc_id)
        if previous is not None and not same:
            self.delete(ctx, previous)
        if previous is not None and same:
            arn = previous.id
            elbv2.modify_target_group(TargetGroupArn=arn, **spec.health)
        else:
            arn = elbv2.create_target_group(
                Name=spec.name, Protocol="HTTP", Port=spec.port, VpcId=spec.vpc_id, TargetType="instance", **spec.health
            )["TargetGroups"][0]["TargetGroupArn"]
        delay = {"Key": "deregistration_delay.timeout_seconds", "Value": str(spec.deregistration_delay)}
        elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[delay])
        if spec.tags:
            elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": k, "Value": v} for k, v in spec.tags.items()])
        return Applied(
            arn,
            {
                "arn": arn,
                "arnSuffix": arn.split(":", 5)[5],
                "name": spec.name,
                "port": spec.port,
                "protocol": "HTTP",
                "targetType": "instance",
                "vpcId": spec.vpc_id,
                "deregistrationDelay": spec.deregistration_delay,
                "healthCheck": spec.health,
                "tags": spec.tags,
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        elbv2 = ctx.client("elbv2")
        with contextlib.suppress(elbv2.exceptions.TargetGroupNotFoundException):
            elbv2.delete_target_group(TargetGroupArn=record.id)


def _health_check(check: Inputs | None) -> dict[str, Any]:
    """The target group's health check as CreateTargetGroup takes it (ELB's defaults when absent)."""
    if check is None:
        return {}
    check.ignore("enabled", True)
    return {
        "HealthCheckPath": check.take("path", "/"),
        "HealthCheckPort": str(check.take("port", "traffic-port")),
        "HealthCheckProtocol": only(check, "protocol", ("HTTP",), "HTTP"),
        "HealthCheckIntervalSeconds": int(check.take("interval", 30)),
        "HealthCheckTimeoutSeconds": int(check.take("timeout", 5)),
        "HealthyThresholdCount": int(check.take("healthyThreshold", 5)),
        "UnhealthyThresholdCount": int(check.take("unhealthyThreshold", 2)),
        "Matcher": {"HttpCode": check.take("matcher", "200")},
    }


@dataclass(frozen=True)
class ListenerSpec:
    balancer_arn: str
    port: int
    target_group_arn: str


class Listener(Provisioner[ListenerSpec]):
    """A listener in HTTP whose one default action forwards to a target group."""

    type_token = "aws:lb/listener:Listener"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> ListenerSpec:
        only(inputs, "protocol", ("HTTP",))
        actions = list(inputs.each("defaultActions"))
        if len(actions) != 1:
            raise DeployError(f"{inputs.where}: a listener here has exactly one default action, not {len(actions)}")
        (action,) = actions
        only(action, "type", ("forward",))
        return ListenerSpec(inputs.take("loadBalancerArn"), int(inputs.take("port")), action.take("targetGroupArn"))

    def apply(self, ctx: Context, spec: ListenerSpec, previous: ResourceRecord | None) -> Applied:
        elbv2 = ctx.client("elbv2")
        forward = [{"Type": "forward", "TargetGroupArn": spec.target_group_arn}]
        if previous is not None and previous.outputs["loadBalancerArn"] != spec.balancer_arn:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            arn = elbv2.create_listener(
                LoadBalancerArn=spec.balancer_arn, Protocol="HTTP", Port=spec.port, DefaultActions=forward
            )["Listeners"][0]["ListenerArn"]
        else:
            arn = previous.id
            elbv2.modify_listener(ListenerArn=arn, Port=spec.port, Protocol="HTTP", DefaultActions=forward)
        return Applied(
            arn,
            {
                "arn": arn,
                "loadBalancerArn": spec.balancer_arn,
                "port": spec.port,
                "protocol": "HTTP",
                "defaultActions": [{"type": "forward", "targetGroupArn": spec.target_group_arn}],
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        elbv2 = ctx.client("elbv2")
        with contextlib.suppress(elbv2.exceptions.ListenerNotFoundException):
            elbv2.delete_listener(ListenerArn=record.id)


def _flag(value: bool) -> str:
    return "true" if value else "false"
