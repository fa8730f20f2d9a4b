"""Balancer (the instances tier's): an Application Load Balancer that only the CDN reaches, a target
group on the app's port with its health check, and the listener forwarding to it.

The balancer's security group lets in its listener's port (80, or 443 in HTTPS when the stack gives
a certificate) from CloudFront's origin-facing addresses only (the managed prefix list
`com.amazonaws.global.cloudfront.origin-facing`), whether the balancer is internal, in the private
subnets, reached as a CloudFront VPC origin, or internet-facing in the public subnets. It sends only
to the app's port inside the VPC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.instance_boot import APP_PORT

LISTENER_PORT = 80
HTTPS_PORT = 443
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.3 and 1.2 only


@dataclass(frozen=True)
class HealthCheckSettings:
    """The target group's health check and how long a leaving target drains."""

    path: str = "/api/health"
    interval: int = 10
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3
    timeout: int = 5
    matcher: str = "200"
    deregistration_delay: int = 30


@dataclass(frozen=True)
class BalancerArgs:
    name_prefix: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: Sequence[pulumi.Input[str]]  # the private subnets (internal) or the public ones
    internal: bool
    cloudfront_prefix_list_id: pulumi.Input[str]
    app_port: int = APP_PORT
    health: HealthCheckSettings = HealthCheckSettings()
    certificate_arn: str | None = None  # HTTPS on 443 with it, instead of HTTP on 80

    @property
    def port(self) -> int:
        return HTTPS_PORT if self.certificate_arn else LISTENER_PORT


class Balancer(pulumi.ComponentResource):
    security_group: aws.ec2.SecurityGroup
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listener: aws.lb.Listener

    def __init__(self, name: str, args: BalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:balancer:Balancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-balancer",
            vpc_id=args.vpc_id,
            description="The listener from CloudFront's origin-facing addresses only; to the app inside the VPC",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=args.port,
                    to_port=args.port,
                    prefix_list_ids=[args.cloudfront_prefix_list_id],
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp", from_port=args.app_port, to_port=args.app_port, cidr_blocks=[args.vpc_cidr]
                )
            ],
            tags={"Name": f"{args.name_prefix}-balancer"},
            opts=child,
        )
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-balancer",
            name=f"{args.name_prefix}-web"[:32],
            load_balancer_type="application",
            internal=args.internal,
            subnets=list(args.subnet_ids),
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            opts=child,
        )
        self.target_group = self._target_group(name, args, child)
        secure = args.certificate_arn is not None
        self.listener = aws.lb.Listener(
            f"{name}-https" if secure else f"{name}-http",
            load_balancer_arn=self.load_balancer.arn,
            port=args.port,
            protocol="HTTPS" if secure else "HTTP",
            certificate_arn=args.certificate_arn,
            ssl_policy=TLS_POLICY if secure else None,
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.target_group.arn)],
            opts=child,
        )
        self.register_outputs({"dns_name": self.load_balancer.dns_name, "target_group_arn": self.target_group.arn})

    @staticmethod
    def _target_group(name: str, args: BalancerArgs, opts: pulumi.ResourceOptions) -> aws.lb.TargetGroup:
        """The app's instances on its port, checked on its health path."""
        health = args.health
        return aws.lb.TargetGroup(
            f"{name}-app",
            name=f"{args.name_prefix}-app"[:32],
            port=args.app_port,
            protocol="HTTP",
            target_type="instance",
            vpc_id=args.vpc_id,
            deregistration_delay=health.deregistration_delay,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                path=health.path,
                port="traffic-port",
                protocol="HTTP",
                interval=health.interval,
                healthy_threshold=health.healthy_threshold,
                unhealthy_threshold=health.unhealthy_threshold,
                timeout=health.timeout,
                matcher=health.matcher,
            ),
            opts=opts,
        )
