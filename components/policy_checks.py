"""Policy checks as plain functions over what a program declares: each takes the resources (type
and name → their inputs, as Pulumi's mocks or the replay deployer record them) and answers the
violations it finds, one sentence each (none: the policy holds). They run in the component tests
over every shape of the stack; the instances tier's balancer and fleet add theirs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Resources = Mapping[tuple[str, str], Mapping[str, Any]]
Policy = Callable[[Resources], list[str]]

SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SSH_PORT = 22


def no_ssh(resources: Resources) -> list[str]:
    """No security group lets anything in on port 22: the instances are reached through Session
    Manager, never SSH."""
    return [f"{name} lets in port {SSH_PORT}" for name, rule in _ingress_rules(resources) if _covers_ssh(rule)]


def no_public_addresses_on_launch(resources: Resources) -> list[str]:
    """No subnet gives what is launched in it a public address (a NAT gateway's is its own)."""
    return [
        f"{name} maps a public address to each instance launched in it"
        for (kind, name), inputs in resources.items()
        if kind == SUBNET and inputs.get("mapPublicIpOnLaunch")
    ]


NETWORK_POLICIES: tuple[Policy, ...] = (no_ssh, no_public_addresses_on_launch)


def violations(resources: Resources, policies: Iterable[Policy]) -> list[str]:
    """Every violation of any of `policies`."""
    return [found for policy in policies for found in policy(resources)]


def _ingress_rules(resources: Resources) -> list[tuple[str, Mapping[str, Any]]]:
    rules: list[tuple[str, Mapping[str, Any]]] = []
    for (kind, name), inputs in resources.items():
        if kind == SECURITY_GROUP:
            rules.extend((name, rule) for rule in inputs.get("ingress") or [])
        elif (kind == SECURITY_GROUP_RULE and inputs.get("type") == "ingress") or kind == INGRESS_RULE:
            rules.append((name, inputs))
    return rules


def _covers_ssh(rule: Mapping[str, Any]) -> bool:
    protocol = str(rule.get("protocol", rule.get("ipProtocol", ""))).lower()
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "6"):
        return False
    return int(rule.get("fromPort", 0)) <= SSH_PORT <= int(rule.get("toPort", 65535))


LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def imdsv2_required(resources: Resources) -> list[str]:
    """Every launch template requires IMDSv2 (session tokens) for the instance metadata."""
    return [
        f"{name} does not require IMDSv2"
        for (kind, name), inputs in resources.items()
        if kind == LAUNCH_TEMPLATE and (inputs.get("metadataOptions") or {}).get("httpTokens") != "required"
    ]


def encrypted_volumes(resources: Resources) -> list[str]:
    """Every volume a launch template maps is encrypted, and it maps the root volume (else the AMI's
    snapshot decides)."""
    found = []
    for (kind, name), inputs in resources.items():
        if kind != LAUNCH_TEMPLATE:
            continue
        mappings = inputs.get("blockDeviceMappings") or []
        if not mappings:
            found.append(f"{name} leaves its volumes' encryption to the image")
        found += [
            f"{name} maps {mapping.get('deviceName')} unencrypted"
            for mapping in mappings
            if str((mapping.get("ebs") or {}).get("encrypted")).lower() != "true"
        ]
    return found


def no_public_instance_addresses(resources: Resources) -> list[str]:
    """No launch template gives its instances a public address or an SSH key."""
    found = []
    for (kind, name), inputs in resources.items():
        if kind != LAUNCH_TEMPLATE:
            continue
        interfaces = inputs.get("networkInterfaces") or []
        if not interfaces or any(str(i.get("associatePublicIpAddress")).lower() != "false" for i in interfaces):
            found.append(f"{name} does not refuse its instances a public address")
        if inputs.get("keyName"):
            found.append(f"{name} names an SSH key")
    return found


def balancer_only_from_the_cdn(resources: Resources) -> list[str]:
    """The balancer's security group (named `<component>-balancer`) lets in CloudFront's
    origin-facing prefix list only, never an address range."""
    return [
        f"{name} lets in more than CloudFront"
        for (kind, name), inputs in resources.items()
        if kind == SECURITY_GROUP and name.endswith("-balancer")
        for rule in inputs.get("ingress") or []
        if rule.get("cidrBlocks") or rule.get("ipv6CidrBlocks") or not rule.get("prefixListIds")
    ]


FLEET_POLICIES: tuple[Policy, ...] = (
    *NETWORK_POLICIES,
    imdsv2_required,
    encrypted_volumes,
    no_public_instance_addresses,
    balancer_only_from_the_cdn,
)
