"""The distributions of a deployed stack, read from its deploy state with everything they refer to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.deployed.stack_state import StackState
from harness.edge.app import Site
from harness.edge.model import (
    CACHE_POLICY_TYPE,
    DISTRIBUTION_TYPE,
    ORIGIN_ACCESS_CONTROL_TYPE,
    ORIGIN_REQUEST_POLICY_TYPE,
    CachePolicy,
    Distribution,
    OriginAccessControl,
    OriginRequestPolicy,
)


class EdgeConfigError(ValueError):
    """A recorded distribution the edge cannot serve (e.g. it names a policy the stack does not have)."""


@dataclass(frozen=True)
class EdgeStack:
    """What the edge serves for one deployed stack: its sites, and the emulator their S3 origins are in."""

    endpoint_url: str
    session: str | None
    sites: tuple[Site, ...]

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
    sites = []
    for data in recorded(DISTRIBUTION_TYPE):
        distribution = Distribution.from_json(data)
        _check_named(distribution, cache_policies, request_policies, access_controls)
        sites.append(Site(distribution, cache_policies, request_policies, access_controls))
    return EdgeStack(state.endpoint_url, state.session, tuple(sorted(sites, key=lambda s: s.distribution.port)))


def _check_named(
    distribution: Distribution,
    cache_policies: dict[str, CachePolicy],
    request_policies: dict[str, OriginRequestPolicy],
    access_controls: dict[str, OriginAccessControl],
) -> None:
    missing = []
    for behaviour in distribution.behaviours:
        if behaviour.cache_policy_id not in cache_policies:
            missing.append(f"cache policy {behaviour.cache_policy_id} ({behaviour.path_pattern})")
        if behaviour.origin_request_policy_id and behaviour.origin_request_policy_id not in request_policies:
            missing.append(f"origin request policy {behaviour.origin_request_policy_id} ({behaviour.path_pattern})")
    for origin in distribution.origins:
        if origin.access_control_id and origin.access_control_id not in access_controls:
            missing.append(f"origin access control {origin.access_control_id} (origin {origin.id})")
    if missing:
        raise EdgeConfigError(
            f"distribution {distribution.id} names what the stack does not declare: {', '.join(missing)} "
            "(the edge serves the stack's own policies; AWS's managed ones are not known to it)"
        )
