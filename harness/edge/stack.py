"""The distributions of a deployed stack, read from its deploy state with everything they refer to."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.deployed.loopback_ports import LOCAL_PORT_OUTPUT
from harness.deployed.stack_state import DEFAULT_STACK, StackState
from harness.edge.app import Site
from harness.edge.model import (
    CACHE_POLICY_TYPE,
    DISTRIBUTION_TYPE,
    FUNCTION_TYPE,
    LOAD_BALANCER_TYPE,
    ORIGIN_ACCESS_CONTROL_TYPE,
    ORIGIN_REQUEST_POLICY_TYPE,
    VPC_ORIGIN_TYPE,
    CachePolicy,
    Distribution,
    EdgeFunction,
    OriginAccessControl,
    OriginRequestPolicy,
    VpcOrigin,
)

LOOPBACK = "127.0.0.1"


class EdgeConfigError(ValueError):
    """A recorded distribution the edge cannot serve (e.g. it names a policy the stack does not have)."""


@dataclass(frozen=True)
class EdgeStack:
    """What the edge serves for one deployed stack: its sites, and the emulator their S3 origins are in."""

    endpoint_url: str
    session: str | None
    sites: tuple[Site, ...]
    stack: str = DEFAULT_STACK

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(site.distribution.port for site in self.sites)


def load_stack(state_path: Path) -> EdgeStack:
    """The distributions recorded in the deploy state at `state_path` (none when it does not exist)."""
    state = StackState.load(state_path)
    if state is None:
        return EdgeStack("", None, ())
    return stack_of(state)


def stack_of(state: StackState) -> EdgeStack:
    """The sites of `state`'s distributions, each with the policies it names: an id the stack does
    not declare (an AWS managed policy, say) is an error naming it."""

    def recorded(type_token: str) -> list[dict[str, Any]]:
        return [r.outputs["edge"] for r in state.resources.values() if r.type == type_token]

    cache_policies = {p["id"]: CachePolicy.from_json(p) for p in recorded(CACHE_POLICY_TYPE)}
    request_policies = {p["id"]: OriginRequestPolicy.from_json(p) for p in recorded(ORIGIN_REQUEST_POLICY_TYPE)}
    access_controls = {a["id"]: OriginAccessControl.from_json(a) for a in recorded(ORIGIN_ACCESS_CONTROL_TYPE)}
    vpc_origins = {v["id"]: VpcOrigin.from_json(v) for v in recorded(VPC_ORIGIN_TYPE)}
    functions = {f["arn"]: EdgeFunction.from_json(f) for f in recorded(FUNCTION_TYPE)}
    balancers = {
        r.outputs["arn"]: int(r.outputs[LOCAL_PORT_OUTPUT])
        for r in state.resources.values()
        if r.type == LOAD_BALANCER_TYPE
    }
    sites = []
    for data in recorded(DISTRIBUTION_TYPE):
        distribution = _vpc_origins_served(Distribution.from_json(data), vpc_origins, balancers)
        _check_named(distribution, cache_policies, request_policies, access_controls, functions)
        sites.append(Site(distribution, cache_policies, request_policies, access_controls, functions))
    return EdgeStack(
        state.endpoint_url, state.session, tuple(sorted(sites, key=lambda s: s.distribution.port)), state.stack
    )


def _check_named(
    distribution: Distribution,
    cache_policies: dict[str, CachePolicy],
    request_policies: dict[str, OriginRequestPolicy],
    access_controls: dict[str, OriginAccessControl],
    functions: dict[str, EdgeFunction],
) -> None:
    missing = []
    for behaviour in distribution.behaviours:
        if behaviour.cache_policy_id not in cache_policies:
            missing.append(f"cache policy {behaviour.cache_policy_id} ({behaviour.path_pattern})")
        if behaviour.origin_request_policy_id and behaviour.origin_request_policy_id not in request_policies:
            missing.append(f"origin request policy {behaviour.origin_request_policy_id} ({behaviour.path_pattern})")
        if behaviour.viewer_request_function and behaviour.viewer_request_function not in functions:
            missing.append(f"function {behaviour.viewer_request_function} ({behaviour.path_pattern})")
    for origin in distribution.origins:
        if origin.access_control_id and origin.access_control_id not in access_controls:
            missing.append(f"origin access control {origin.access_control_id} (origin {origin.id})")
    if missing:
        raise EdgeConfigError(
            f"distribution {distribution.id} names what the stack does not declare: {', '.join(missing)} "
            "(the edge serves the stack's own policies; AWS's managed ones are not known to it)"
        )


def _vpc_origins_served(
    distribution: Distribution, vpc_origins: dict[str, VpcOrigin], balancers: dict[str, int]
) -> Distribution:
    """`distribution` with each origin reached through a VPC origin sent where the harness serves
    that VPC origin's load balancer (its loopback port), in the VPC origin's protocol."""
    origins = []
    for origin in distribution.origins:
        if origin.vpc_origin_id is not None:
            vpc_origin = vpc_origins.get(origin.vpc_origin_id)
            if vpc_origin is None:
                raise EdgeConfigError(
                    f"distribution {distribution.id}: origin {origin.id} names VPC origin {origin.vpc_origin_id}, "
                    "which the stack does not declare"
                )
            port = balancers.get(vpc_origin.endpoint_arn)
            if port is None:
                raise EdgeConfigError(
                    f"distribution {distribution.id}: VPC origin {vpc_origin.id} reaches {vpc_origin.endpoint_arn}, "
                    "a load balancer the stack does not declare"
                )
            origin = dataclasses.replace(
                origin, domain_name=LOOPBACK, http_port=port, protocol_policy=vpc_origin.protocol_policy
            )
        origins.append(origin)
    return dataclasses.replace(distribution, origins=tuple(origins))
