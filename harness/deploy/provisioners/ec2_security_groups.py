"""EC2 security groups with their rules inline, as `aws.ec2.SecurityGroup` declares them: the rules
in the emulator are made exactly the declared ones (what is no longer declared is revoked).

As with the AWS provider, the allow-all egress rule AWS gives a new group is revoked when the
group is created, so a group egresses only as declared; a group that declares no egress at all is
left, on update, with the egress it has (the provider treats undeclared egress as not managed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name, wait_until
from harness.deploy.provisioners.ec2_vpc import error_code, retag, tag_specifications, tags_of, unless_gone
from harness.deployed.stack_state import ResourceRecord

# How long a delete waits for what uses the group (an instance, a balancer's interface) to go.
IN_USE_TIMEOUT = 20.0
_PROTOCOLS = {"all": "-1", "6": "tcp", "17": "udp", "1": "icmp"}
# A rule reduced to one source: (protocol, from port, to port, kind of source, source, description).
Grant = tuple[str, int | None, int | None, str, str, str | None]
# Each kind of source: where an IpPermission lists it, and the key of each entry.
_SOURCES = {
    "cidr": ("IpRanges", "CidrIp"),
    "prefix": ("PrefixListIds", "PrefixListId"),
    "group": ("UserIdGroupPairs", "GroupId"),
}


@dataclass(frozen=True)
class Rule:
    """An inline rule: a protocol and port range, from (or to) CIDR blocks, prefix lists and groups."""

    protocol: str
    from_port: int
    to_port: int
    cidr_blocks: tuple[str, ...]
    prefix_list_ids: tuple[str, ...]
    security_groups: tuple[str, ...]
    description: str | None

    def grants(self) -> set[Grant]:
        protocol = _PROTOCOLS.get(self.protocol.lower(), self.protocol.lower())
        ports = (None, None) if protocol == "-1" else (self.from_port, self.to_port)
        sources = [("cidr", self.cidr_blocks), ("prefix", self.prefix_list_ids), ("group", self.security_groups)]
        return {(protocol, *ports, kind, value, self.description) for kind, values in sources for value in values}


@dataclass(frozen=True)
class SecurityGroupSpec:
    """A group of a VPC: its name and description (both replace it when changed), its rules (egress
    None when not declared), its tags."""

    name: str
    description: str
    vpc_id: str | None
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...] | None
    tags: dict[str, str]


class SecurityGroup(Provisioner[SecurityGroupSpec]):
    type_token = "aws:ec2/securityGroup:SecurityGroup"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> SecurityGroupSpec:
        declares_egress = inputs.take("egress", None) is not None
        return SecurityGroupSpec(
            physical_name(inputs, name, previous, max_length=255),
            inputs.take("description", "Managed by Pulumi"),
            inputs.take("vpcId", None),
            tuple(_rules(inputs, "ingress")),
            tuple(_rules(inputs, "egress")) if declares_egress else None,
            dict(inputs.take("tags", {})),
        )

    def validate(self, where: str, spec: SecurityGroupSpec) -> None:
        for rule in (*spec.ingress, *(spec.egress or ())):
            if not rule.grants():
                raise DeployError(f"{where}: a rule needs 'cidrBlocks', 'prefixListIds' or 'securityGroups'")

    def apply(self, ctx: Context, spec: SecurityGroupSpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        same = (spec.name, spec.description, spec.vpc_id)
        if (
            previous is not None
            and (previous.outputs["name"], previous.outputs["description"], previous.outputs["vpcId"]) != same
        ):
            self.delete(ctx, previous)
            previous = None
        egress = spec.egress
        if previous is None:
            placement = {"VpcId": spec.vpc_id} if spec.vpc_id else {}
            group_id = ec2.create_security_group(
                GroupName=spec.name,
                Description=spec.description,
                TagSpecifications=tag_specifications("security-group", spec.tags),
                **placement,
            )["GroupId"]
            egress = egress or ()  # the default allow-all egress goes, as the AWS provider removes it
        else:
            group_id = previous.id
            retag(ec2, group_id, tags_of(_group(ec2, group_id)), spec.tags)
        group = _group(ec2, group_id)
        _sync(ec2, group_id, "ingress", group.get("IpPermissions") or [], spec.ingress)
        if egress is not None:
            _sync(ec2, group_id, "egress", group.get("IpPermissionsEgress") or [], egress)
        return Applied(group_id, _outputs(ctx, _group(ec2, group_id)))

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ec2 = ctx.client("ec2")
        refusal: list[str] = []

        def deleted() -> bool:
            try:
                with unless_gone("InvalidGroup.NotFound"):
                    ec2.delete_security_group(GroupId=record.id)
            except ClientError as error:
                if error_code(error) != "DependencyViolation":
                    raise
                refusal[:] = [str(error)]
                return False
            return True

        try:
            wait_until(deleted, f"security group {record.id} to be deleted", timeout=IN_USE_TIMEOUT)
        except DeployError as error:
            raise DeployError(
                f"security group {record.id} ({record.outputs.get('name')}) is still in use: {refusal[-1]}; "
                "delete what uses it (instances, balancers, endpoints, other groups' rules) first"
            ) from error


def _rules(inputs: Inputs, key: str) -> Iterable[Rule]:
    for rule in inputs.each(key):
        inputs_rule = Rule(
            str(rule.take("protocol")),
            int(rule.take("fromPort")),
            int(rule.take("toPort")),
            tuple(rule.take("cidrBlocks", [])),
            tuple(rule.take("prefixListIds", [])),
            tuple(rule.take("securityGroups", [])),
            rule.take("description", None) or None,
        )
        rule.ignore("self", False)
        rule.ignore("ipv6CidrBlocks", [])
        yield inputs_rule


def _group(ec2: Any, group_id: str) -> dict[str, Any]:
    return dict(ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0])


def _sync(ec2: Any, group_id: str, direction: str, current: list[dict[str, Any]], declared: Iterable[Rule]) -> None:
    """Revoke the grants no longer declared, then authorize the new ones."""
    there = {grant for permission in current for grant in _described_grants(permission)}
    wanted = {grant for rule in declared for grant in rule.grants()}
    if gone := there - wanted:
        getattr(ec2, f"revoke_security_group_{direction}")(GroupId=group_id, IpPermissions=_permissions(gone))
    if new := wanted - there:
        getattr(ec2, f"authorize_security_group_{direction}")(GroupId=group_id, IpPermissions=_permissions(new))


def _described_grants(permission: Mapping[str, Any]) -> set[Grant]:
    protocol = str(permission["IpProtocol"])
    ports = (None, None) if protocol == "-1" else (permission.get("FromPort"), permission.get("ToPort"))
    return {
        (protocol, *ports, kind, source[key], source.get("Description") or None)
        for kind, (field, key) in _SOURCES.items()
        for source in permission.get(field) or []
    }


def _permissions(grants: Iterable[Grant]) -> list[dict[str, Any]]:
    """The grants as IpPermissions, one a grant."""
    permissions = []
    for protocol, from_port, to_port, kind, value, description in sorted(grants, key=str):
        field, key = _SOURCES[kind]
        source = {key: value, **({"Description": description} if description else {})}
        ports = {} if protocol == "-1" else {"FromPort": from_port, "ToPort": to_port}
        permissions.append({"IpProtocol": protocol, **ports, field: [source]})
    return permissions


def _outputs(ctx: Context, group: Mapping[str, Any]) -> dict[str, Any]:
    group_id = group["GroupId"]
    return {
        "id": group_id,
        "arn": group.get("SecurityGroupArn") or ctx.arn("ec2", f"security-group/{group_id}"),
        "name": group["GroupName"],
        "description": group["Description"],
        "vpcId": group.get("VpcId"),
        "ownerId": group.get("OwnerId", ctx.account),
        "ingress": _rules_out(group.get("IpPermissions") or []),
        "egress": _rules_out(group.get("IpPermissionsEgress") or []),
        "tags": tags_of(group),
    }


def _rules_out(permissions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The group's rules as the provider reports them (camelCase; protocol -1 with ports 0)."""
    return [
        {
            "protocol": permission["IpProtocol"],
            "fromPort": permission.get("FromPort", 0),
            "toPort": permission.get("ToPort", 0),
            "cidrBlocks": [entry["CidrIp"] for entry in permission.get("IpRanges") or []],
            "prefixListIds": [entry["PrefixListId"] for entry in permission.get("PrefixListIds") or []],
            "securityGroups": [entry["GroupId"] for entry in permission.get("UserIdGroupPairs") or []],
        }
        for permission in permissions
    ]
