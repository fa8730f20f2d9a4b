"""Network (the instances tier's): a VPC over two or more availability zones, a public and a
private subnet in each, the instances in the private ones with no public address.

S3 and DynamoDB are reached through gateway endpoints (free, routed from the private subnets). What
else the web app calls, Secrets Manager (its session key), and Session Manager's services when the
stack wants shell access, is reached through interface endpoints when the stack has no NAT gateway
(`natGateways: none`), else through one NAT gateway, or one per zone (`single`, `perAz`). The
public subnets hold the NAT gateways and an internet-facing balancer; the VPC's internet gateway
is there in every case (CloudFront VPC origins need one attached to the VPC).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.web_tier_config import NAT_NONE, NAT_PER_AZ

# What the web app and its bootstrap call besides S3 and DynamoDB, and what Session Manager needs.
APP_SERVICES = ("secretsmanager",)
SESSION_MANAGER_SERVICES = ("ssm", "ssmmessages", "ec2messages")
GATEWAY_SERVICES = ("s3", "dynamodb")
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class NetworkArgs:
    """Where the network is (`region`, `zones`), how its private subnets reach AWS's other services
    (`nat_gateways`; without NAT, interface endpoints for `interface_services`), and its names."""

    name_prefix: str
    region: str
    zones: tuple[str, ...]
    nat_gateways: str = NAT_NONE
    interface_services: tuple[str, ...] = APP_SERVICES
    cidr_block: str = "10.0.0.0/16"

    def public_cidr(self, zone: int) -> str:
        return self._subnet(zone)

    def private_cidr(self, zone: int) -> str:
        return self._subnet(128 + zone)

    def _subnet(self, third: int) -> str:
        first, second = self.cidr_block.split(".")[:2]
        return f"{first}.{second}.{third}.0/24"


class Network(pulumi.ComponentResource):
    cidr_block: str
    vpc: aws.ec2.Vpc
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    private_route_tables: list[aws.ec2.RouteTable]
    endpoints_security_group: aws.ec2.SecurityGroup | None

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:network:Network", name, None, opts)
        self.child = pulumi.ResourceOptions(parent=self)
        self.cidr_block = args.cidr_block
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # interface endpoints answer to the services' own names
            tags={"Name": f"{args.name_prefix}-vpc"},
            opts=self.child,
        )
        gateway = aws.ec2.InternetGateway(
            f"{name}-internet", vpc_id=self.vpc.id, tags={"Name": f"{args.name_prefix}-internet"}, opts=self.child
        )
        self.public_subnets = self._public_subnets(name, args, gateway)
        self.private_subnets, self.private_route_tables = self._private_subnets(name, args)
        self._nat_routes(name, args)
        self._gateway_endpoints(name, args)
        self.endpoints_security_group = None
        if args.nat_gateways == NAT_NONE and args.interface_services:
            self.endpoints_security_group = self._interface_endpoints(name, args)
        self.register_outputs(
            {
                "vpc_id": self.vpc.id,
                "public_subnet_ids": [subnet.id for subnet in self.public_subnets],
                "private_subnet_ids": [subnet.id for subnet in self.private_subnets],
            }
        )

    def _public_subnets(self, name: str, args: NetworkArgs, gateway: aws.ec2.InternetGateway) -> list[aws.ec2.Subnet]:
        """One public subnet per zone, routed to the internet gateway; nothing in them gets a public
        address unless asked (a NAT gateway's is its elastic IP)."""
        table = aws.ec2.RouteTable(
            f"{name}-public", vpc_id=self.vpc.id, tags={"Name": f"{args.name_prefix}-public"}, opts=self.child
        )
        aws.ec2.Route(
            f"{name}-public-internet",
            route_table_id=table.id,
            destination_cidr_block=ANYWHERE,
            gateway_id=gateway.id,
            opts=self.child,
        )
        subnets = []
        for index, zone in enumerate(args.zones):
            subnet = self._subnet(
                f"{name}-public-{zone}", f"{args.name_prefix}-public-{zone}", args.public_cidr(index), zone
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}", subnet_id=subnet.id, route_table_id=table.id, opts=self.child
            )
            subnets.append(subnet)
        return subnets

    def _private_subnets(self, name: str, args: NetworkArgs) -> tuple[list[aws.ec2.Subnet], list[aws.ec2.RouteTable]]:
        """One private subnet per zone, each with a route table of its own (its NAT route, if any)."""
        subnets, tables = [], []
        for index, zone in enumerate(args.zones):
            subnet = self._subnet(
                f"{name}-private-{zone}", f"{args.name_prefix}-private-{zone}", args.private_cidr(index), zone
            )
            table = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                tags={"Name": f"{args.name_prefix}-private-{zone}"},
                opts=self.child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=subnet.id, route_table_id=table.id, opts=self.child
            )
            subnets.append(subnet)
            tables.append(table)
        return subnets, tables

    def _subnet(self, name: str, tag: str, cidr_block: str, zone: str) -> aws.ec2.Subnet:
        """A subnet (named `tag` in the console) that gives nothing launched in it a public address."""
        return aws.ec2.Subnet(
            name,
            vpc_id=self.vpc.id,
            cidr_block=cidr_block,
            availability_zone=zone,
            map_public_ip_on_launch=False,
            tags={"Name": tag},
            opts=self.child,
        )

    def _nat_routes(self, name: str, args: NetworkArgs) -> None:
        """With NAT: a gateway in the first public subnet (or one in each), and each private subnet's
        default route through its zone's (or the one)."""
        if args.nat_gateways == NAT_NONE:
            return
        count = len(args.zones) if args.nat_gateways == NAT_PER_AZ else 1
        gateways = []
        for index in range(count):
            zone = args.zones[index]
            address = aws.ec2.Eip(
                f"{name}-nat-{zone}", domain="vpc", tags={"Name": f"{args.name_prefix}-nat-{zone}"}, opts=self.child
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone}",
                    subnet_id=self.public_subnets[index].id,
                    allocation_id=address.id,
                    tags={"Name": f"{args.name_prefix}-nat-{zone}"},
                    opts=self.child,
                )
            )
        for index, (zone, table) in enumerate(zip(args.zones, self.private_route_tables, strict=True)):
            aws.ec2.Route(
                f"{name}-private-{zone}-nat",
                route_table_id=table.id,
                destination_cidr_block=ANYWHERE,
                nat_gateway_id=gateways[index if count > 1 else 0].id,
                opts=self.child,
            )

    def _gateway_endpoints(self, name: str, args: NetworkArgs) -> None:
        """S3 and DynamoDB from the private subnets, free, without NAT."""
        for service in GATEWAY_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=[table.id for table in self.private_route_tables],
                tags={"Name": f"{args.name_prefix}-{service}"},
                opts=self.child,
            )

    def _interface_endpoints(self, name: str, args: NetworkArgs) -> aws.ec2.SecurityGroup:
        """Without NAT: an interface endpoint in the private subnets for each other service the
        instances call, answering HTTPS from inside the VPC only."""
        group = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=self.vpc.id,
            description="HTTPS from the VPC to its interface endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp", from_port=443, to_port=443, cidr_blocks=[args.cidr_block]
                )
            ],
            tags={"Name": f"{args.name_prefix}-endpoints"},
            opts=self.child,
        )
        for service in args.interface_services:
            aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in self.private_subnets],
                security_group_ids=[group.id],
                tags={"Name": f"{args.name_prefix}-{service}"},
                opts=self.child,
            )
        return group
