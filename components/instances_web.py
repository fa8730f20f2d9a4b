"""The instances tier (seed 003): the web app on EC2 instances in private subnets, an auto-scaling
group behind an Application Load Balancer that only the CDN reaches.

Declared in two steps around the CDN, as the serverless tier's API and web function are: the CDN
names the balancer as its origin, and the app is told the CDN's URL.
- `InstancesFront`, before the CDN: the network, the balancer, and the CDN's way in: a CloudFront
  VPC origin for an internal balancer (`balancerOrigin: vpcOrigin`, the default), or the balancer's
  own address when it is internet-facing. Either way its security group lets in CloudFront's
  origin-facing addresses only.
- `InstancesFleet`, after it: the app's bundle in the bucket (under `instances/`, which only the
  instances' role may read; a new bundle is a new key, so new user data, a new template version
  and an instance refresh), and the fleet booting it with the app's environment and rights.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pulumi
import pulumi_aws as aws

from components.alarms import BalancerWatch
from components.balancer import HTTPS_PORT, LISTENER_PORT, Balancer, BalancerArgs
from components.cdn import AppOrigin
from components.fleet import Fleet, FleetArgs
from components.iam import Statement
from components.instance_boot import BootSpec, user_data
from components.network import APP_SERVICES, SESSION_MANAGER_SERVICES, Network, NetworkArgs
from components.web_app import WebAppArgs, app_environment, app_statements, uploads_cors
from components.web_tier_config import VPC_ORIGIN, WebTierConfig

BUNDLE_PREFIX: Final = "instances/"
CLOUDFRONT_PREFIX_LIST: Final = "com.amazonaws.global.cloudfront.origin-facing"


@dataclass(frozen=True)
class InstancesFrontArgs:
    name_prefix: str
    account_wide_prefix: str  # CloudFront's names are the account's
    region: str
    tier: WebTierConfig


class InstancesFront(pulumi.ComponentResource):
    """The network, the balancer, and where the CDN finds the app (`origin`)."""

    network: Network
    balancer: Balancer
    vpc_origin: aws.cloudfront.VpcOrigin | None
    origin: AppOrigin

    def __init__(self, name: str, args: InstancesFrontArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:instances:InstancesFront", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tier = args.tier
        self.network = Network(
            "network",
            NetworkArgs(
                name_prefix=args.name_prefix,
                region=args.region,
                zones=tuple(tier.zones(args.region)),
                nat_gateways=tier.nat_gateways,
                interface_services=APP_SERVICES + (SESSION_MANAGER_SERVICES if tier.session_manager_endpoints else ()),
            ),
            opts=child,
        )
        self.balancer = self._balancer(name, args, child)
        self.vpc_origin = self._vpc_origin(name, args, child) if tier.balancer_origin == VPC_ORIGIN else None
        self.load_balancer_url = pulumi.Output.concat("http://", self.balancer.load_balancer.dns_name)
        # In HTTPS the CDN connects to the stack's name for the balancer, which its certificate covers.
        url = f"https://{tier.balancer_domain_name}" if tier.https else self.load_balancer_url
        self.origin = AppOrigin(url, self.vpc_origin.id if self.vpc_origin is not None else None)
        self.register_outputs({"vpc_id": self.network.vpc.id, "load_balancer_url": self.load_balancer_url})

    def watch(self, group_name: pulumi.Input[str]) -> BalancerWatch:
        """What the alarms watch of the balancer, with the group behind it."""
        balancer = self.balancer
        return BalancerWatch(balancer.load_balancer.arn_suffix, balancer.target_group.arn_suffix, group_name)

    def _balancer(self, name: str, args: InstancesFrontArgs, opts: pulumi.ResourceOptions) -> Balancer:
        """Internal in the private subnets for a VPC origin, else internet-facing in the public ones."""
        internal = args.tier.balancer_origin == VPC_ORIGIN
        subnets = self.network.private_subnets if internal else self.network.public_subnets
        prefix_list = aws.ec2.get_managed_prefix_list_output(
            name=CLOUDFRONT_PREFIX_LIST, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        return Balancer(
            name,
            BalancerArgs(
                name_prefix=args.name_prefix,
                vpc_id=self.network.vpc.id,
                vpc_cidr=self.network.cidr_block,
                subnet_ids=[subnet.id for subnet in subnets],
                internal=internal,
                cloudfront_prefix_list_id=prefix_list.id,
                certificate_arn=args.tier.balancer_certificate_arn,
            ),
            opts=opts,
        )

    def _vpc_origin(
        self, name: str, args: InstancesFrontArgs, opts: pulumi.ResourceOptions
    ) -> aws.cloudfront.VpcOrigin:
        """CloudFront's way into the VPC to the internal balancer's listener: in HTTPS when the stack
        gives the balancer a certificate, else in plain HTTP (between the CDN and the balancer is
        then AWS's network only)."""
        secure = args.tier.https
        return aws.cloudfront.VpcOrigin(
            f"{name}-vpc-origin",
            vpc_origin_endpoint_config=aws.cloudfront.VpcOriginVpcOriginEndpointConfigArgs(
                name=f"{args.account_wide_prefix}-web",
                arn=self.balancer.load_balancer.arn,
                http_port=LISTENER_PORT,
                https_port=HTTPS_PORT,
                origin_protocol_policy="https-only" if secure else "http-only",
                origin_ssl_protocols=aws.cloudfront.VpcOriginVpcOriginEndpointConfigOriginSslProtocolsArgs(
                    items=["TLSv1.2"], quantity=1
                ),
            ),
            opts=opts,
        )


@dataclass(frozen=True)
class InstancesFleetArgs:
    name_prefix: str
    account_wide_prefix: str  # IAM names are the account's
    region: str
    tier: WebTierConfig
    front: InstancesFront
    app: WebAppArgs
    bundle: Path  # the app's bundle (handlers.contract.INSTANCE_BUNDLE), built for the instances' platform


class InstancesFleet(pulumi.ComponentResource):
    """The app's bundle in the bucket, the fleet booting it, and the bucket's CORS rule."""

    bundle: aws.s3.BucketObjectv2
    fleet: Fleet

    def __init__(self, name: str, args: InstancesFleetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:instances:InstancesFleet", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = bundle_key(args.bundle)
        self.bundle = aws.s3.BucketObjectv2(
            f"{name}-bundle",
            bucket=args.app.bucket_name,
            key=key,
            source=pulumi.FileAsset(str(args.bundle)),
            content_type="application/zip",
            opts=child,
        )
        balancer = args.front.balancer
        tier = args.tier
        self.fleet = Fleet(
            name,
            FleetArgs(
                name_prefix=args.name_prefix,
                account_wide_prefix=args.account_wide_prefix,
                vpc_id=args.front.network.vpc.id,
                subnet_ids=[subnet.id for subnet in args.front.network.private_subnets],
                balancer_security_group_id=balancer.security_group.id,
                target_group_arn=balancer.target_group.arn,
                request_count_label=pulumi.Output.concat(
                    balancer.load_balancer.arn_suffix, "/", balancer.target_group.arn_suffix
                ),
                user_data=self._user_data(args, key),
                statements=instance_statements(args.app, key),
                instance_type=tier.instance_type,
                architecture=tier.instance_architecture,
                fleet_min=tier.fleet_min,
                fleet_desired=tier.fleet_desired,
                fleet_max=tier.fleet_max,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bundle]),
        )
        uploads_cors(name, args.app, child)
        self.register_outputs({"group_name": self.fleet.group.name})

    @staticmethod
    def _user_data(args: InstancesFleetArgs, key: str) -> pulumi.Output[str]:
        """The boot script, with the app's environment (the web function's) and the region."""
        environment = pulumi.Output.all(bucket=args.app.bucket_name, **app_environment(args.app))
        return environment.apply(
            lambda values: user_data(
                BootSpec(
                    bundle_bucket=values.pop("bucket"),
                    bundle_key=key,
                    environment={**values, "AWS_DEFAULT_REGION": args.region},
                )
            )
        )


def bundle_key(bundle: Path) -> str:
    """The bundle's key: under `instances/`, named by its content, so a new build is a new key."""
    return f"{BUNDLE_PREFIX}web-{hashlib.sha256(bundle.read_bytes()).hexdigest()[:16]}.zip"


def instance_statements(app: WebAppArgs, key: str) -> list[Statement]:
    """The instances' grants: exactly the app's (the web function's), and their own bundle's read."""
    return [*app_statements(app), Statement(["s3:GetObject"], [pulumi.Output.concat(app.bucket_arn, "/", key)])]
