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
