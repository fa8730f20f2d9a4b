"""The web tier's settings: which tier serves the web app (`imagepipe:webTier`), and, for the
instances tier (seed 003: the app on EC2 in private subnets behind a load balancer), its network,
balancer and fleet. Read with the stack's other settings (components/config.py) and checked before
anything is declared: a wrong value stops the program naming its key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

SERVERLESS, INSTANCES = "serverless", "instances"
WEB_TIERS = (SERVERLESS, INSTANCES)
# How the instances reach what the VPC's endpoints do not serve: no NAT (interface endpoints only),
# one NAT gateway for the VPC, or one per availability zone.
NAT_NONE, NAT_SINGLE, NAT_PER_AZ = "none", "single", "perAz"
NAT_GATEWAYS = (NAT_NONE, NAT_SINGLE, NAT_PER_AZ)
# How the CDN reaches the balancer: as a CloudFront VPC origin (the balancer internal, in the private
# subnets), or internet-facing with its security group open to CloudFront's origin-facing prefix list.
VPC_ORIGIN, INTERNET_FACING = "vpcOrigin", "internetFacing"
BALANCER_ORIGINS = (VPC_ORIGIN, INTERNET_FACING)
INSTANCE_ARCHITECTURES = ("x86_64", "arm64")
MAX_ZONES = 6


class WebTierError(ValueError):
    """A web tier setting is of the wrong type or out of range."""


@dataclass(frozen=True)
class WebTierConfig:
    tier: str = SERVERLESS
    availability_zones: int = 2
    nat_gateways: str = NAT_NONE
    balancer_origin: str = VPC_ORIGIN
    instance_type: str = "t3.micro"
    instance_architecture: str = "x86_64"
    fleet_min: int = 1
    fleet_desired: int = 2
    fleet_max: int = 4
    # Interface endpoints for Session Manager too when there is no NAT (shell access to the instances
    # without SSH: three more endpoints per zone, which cost more than one NAT gateway).
    session_manager_endpoints: bool = False
    # HTTPS between the CDN and the balancer: a name of yours for the balancer (its DNS record is yours
    # to make, a CNAME to the balancer's) and an ACM certificate in the stack's region covering it.
    balancer_domain_name: str | None = None
    balancer_certificate_arn: str | None = None

    def __post_init__(self) -> None:
        _check(self.tier in WEB_TIERS, "webTier", f"{self.tier!r} is not one of {', '.join(WEB_TIERS)}")
        _check(
            isinstance(self.availability_zones, int) and 2 <= self.availability_zones <= MAX_ZONES,
            "availabilityZones",
            f"{self.availability_zones!r} must be 2 to {MAX_ZONES} (a load balancer needs two)",
        )
        _check(
            self.nat_gateways in NAT_GATEWAYS,
            "natGateways",
            f"{self.nat_gateways!r} is not one of {', '.join(NAT_GATEWAYS)}",
        )
        _check(
            self.balancer_origin in BALANCER_ORIGINS,
            "balancerOrigin",
            f"{self.balancer_origin!r} is not one of {', '.join(BALANCER_ORIGINS)}",
        )
        _check(
            isinstance(self.instance_type, str) and "." in self.instance_type,
            "instanceType",
            f"{self.instance_type!r} is not an EC2 instance type (such as t3.micro)",
        )
        _check(
            self.instance_architecture in INSTANCE_ARCHITECTURES,
            "instanceArchitecture",
            f"{self.instance_architecture!r} is not one of {', '.join(INSTANCE_ARCHITECTURES)}",
        )
        _check(
            0 <= self.fleet_min <= self.fleet_desired <= self.fleet_max <= 100 and self.fleet_max >= 1,
            "fleetMin/fleetDesired/fleetMax",
            f"need 0 <= fleetMin ({self.fleet_min}) <= fleetDesired ({self.fleet_desired})"
            f" <= fleetMax ({self.fleet_max}) <= 100, fleetMax at least 1",
        )
        _check(
            isinstance(self.session_manager_endpoints, bool),
            "sessionManagerEndpoints",
            f"must be true or false, not {self.session_manager_endpoints!r}",
        )

        _check(
            (self.balancer_domain_name is None) == (self.balancer_certificate_arn is None),
            "balancerDomainName/balancerCertificateArn",
            "set both (HTTPS from the CDN to the balancer) or neither",
        )
        _check(
            self.balancer_certificate_arn is None or self.balancer_certificate_arn.startswith("arn:aws:acm:"),
            "balancerCertificateArn",
            f"{self.balancer_certificate_arn!r} is not an ACM certificate's ARN",
        )

    @property
    def https(self) -> bool:
        """Whether the CDN reaches the balancer in HTTPS."""
        return self.balancer_certificate_arn is not None

    @property
    def instances(self) -> bool:
        return self.tier == INSTANCES

    def zones(self, region: str) -> list[str]:
        """The availability zones the network spans: the region's first ones (`us-east-1a`, ...)."""
        return [f"{region}{letter}" for letter in "abcdef"[: self.availability_zones]]

    @classmethod
    def load(cls, config: pulumi.Config) -> WebTierConfig:
        defaults = cls()
        values: dict[str, Any] = {
            "tier": config.get("webTier"),
            "availability_zones": config.get_int("availabilityZones"),
            "nat_gateways": config.get("natGateways"),
            "balancer_origin": config.get("balancerOrigin"),
            "instance_type": config.get("instanceType"),
            "instance_architecture": config.get("instanceArchitecture"),
            "fleet_min": config.get_int("fleetMin"),
            "fleet_desired": config.get_int("fleetDesired"),
            "fleet_max": config.get_int("fleetMax"),
            "session_manager_endpoints": config.get_bool("sessionManagerEndpoints"),
            "balancer_domain_name": config.get("balancerDomainName"),
            "balancer_certificate_arn": config.get("balancerCertificateArn"),
        }
        return cls(**{name: getattr(defaults, name) if value is None else value for name, value in values.items()})


def _check(ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise WebTierError(f"imagepipe:{key}: {problem}")
