"""CloudFront's policies and origin access controls, as the replay deployer records them for the
harness's CDN edge (harness/deploy/provisioners/cloudfront.py says how: nothing is created in the
emulator, the configuration is normalised into harness/edge/model.py). Also the helpers both modules
use: `only` (an input that must be one of some values) and `cloudfront_id`."""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from harness.deploy.inputs import DeployError, Inputs, UnsupportedInput
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord
from harness.edge import model

DEFAULT_TTLS: Final = (0, 86_400, 31_536_000)  # min, default, max: CloudFront's defaults
_ID_ALPHABET: Final = string.ascii_uppercase + string.digits
# Headers the edge can add as CloudFront does when an origin request policy names them.
EDGE_CLOUDFRONT_HEADERS: Final = ("CloudFront-Viewer-Address", "CloudFront-Forwarded-Proto")
# Headers CloudFront refuses in a policy: Accept-Encoding is the cache policy's gzip/brotli settings;
# Authorization must be in the cache key (a cache policy), never only forwarded.
_NOT_IN_A_CACHE_POLICY: Final = ("accept-encoding",)
_NOT_IN_A_REQUEST_POLICY: Final = ("accept-encoding", "authorization")


@dataclass(frozen=True)
class OriginAccessControlSpec:
    """An origin access control: its name, description, origin type, signing behaviour and protocol."""

    name: str
    description: str
    origin_type: str
    signing_behavior: str
    signing_protocol: str


class OriginAccessControl(Provisioner[OriginAccessControlSpec]):
    """An origin access control for S3 origins, signing every request with SigV4."""

    type_token = model.ORIGIN_ACCESS_CONTROL_TYPE

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> OriginAccessControlSpec:
        control_name = physical_name(inputs, name, previous)
        return OriginAccessControlSpec(
            control_name,
            inputs.take("description", ""),
            only(inputs, "originAccessControlOriginType", ("s3",)),
            only(inputs, "signingBehavior", ("always",)),
            only(inputs, "signingProtocol", ("sigv4",)),
        )

    def apply(self, ctx: Context, spec: OriginAccessControlSpec, previous: ResourceRecord | None) -> Applied:
        control_name, description, origin_type = spec.name, spec.description, spec.origin_type
        signing_behavior, signing_protocol = spec.signing_behavior, spec.signing_protocol
        control_id = previous.id if previous is not None else cloudfront_id()
        edge = model.OriginAccessControl(control_id, control_name, origin_type, signing_behavior, signing_protocol)
        return Applied(
            control_id,
            {
                "name": control_name,
                "description": description,
                "originAccessControlOriginType": origin_type,
                "signingBehavior": signing_behavior,
                "signingProtocol": signing_protocol,
                "arn": f"arn:aws:cloudfront::{ctx.account}:origin-access-control/{control_id}",
                "etag": cloudfront_id(),
                "edge": edge.to_json(),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        """Nothing exists outside the deploy state: forgetting the record deletes it."""


@dataclass(frozen=True)
class CachePolicySpec:
    """A cache policy: its name, comment, TTLs (min, default, max), what of a request is in the cache
    key, and which encodings of a response are cached apart."""

    name: str
    comment: str
    min_ttl: int
    default_ttl: int
    max_ttl: int
    cookies: model.Selection
    headers: model.Selection
    query_strings: model.Selection
    gzip: bool
    brotli: bool


class CachePolicy(Provisioner[CachePolicySpec]):
    """A cache policy: the cache key (cookies, headers, query strings, accepted encodings) and TTLs."""

    type_token = model.CACHE_POLICY_TYPE

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> CachePolicySpec:
        policy_name = physical_name(inputs, name, previous, max_length=128)
        comment = inputs.take("comment", "")
        min_ttl = inputs.take("minTtl", DEFAULT_TTLS[0])
        default_ttl = inputs.take("defaultTtl", DEFAULT_TTLS[1])
        max_ttl = inputs.take("maxTtl", DEFAULT_TTLS[2])
        key = inputs.sub("parametersInCacheKeyAndForwardedToOrigin")
        if key is None:
            raise DeployError(f"{inputs.where}: input 'parametersInCacheKeyAndForwardedToOrigin' is required")
        cookies = _selection(
            key.sub("cookiesConfig"), key, "cookiesConfig", "cookie", ("none", "whitelist", "allExcept", "all")
        )
        headers = _selection(key.sub("headersConfig"), key, "headersConfig", "header", ("none", "whitelist"))
        query_strings = _selection(
            key.sub("queryStringsConfig"),
            key,
            "queryStringsConfig",
            "queryString",
            ("none", "whitelist", "allExcept", "all"),
        )
        gzip = bool(key.take("enableAcceptEncodingGzip", False))
        brotli = bool(key.take("enableAcceptEncodingBrotli", False))
        return CachePolicySpec(
            policy_name, comment, min_ttl, default_ttl, max_ttl, cookies, headers, query_strings, gzip, brotli
        )

    def validate(self, where: str, spec: CachePolicySpec) -> None:
        if not 0 <= spec.min_ttl <= spec.default_ttl <= spec.max_ttl:
            raise DeployError(
                f"{where}: CloudFront refuses TTLs that are not 0 <= minTtl <= defaultTtl <= maxTtl "
                f"({spec.min_ttl}, {spec.default_ttl}, {spec.max_ttl})"
            )
        key = (spec.cookies, spec.headers, spec.query_strings)
        if spec.max_ttl == 0 and (spec.gzip or spec.brotli or any(s.behavior != "none" for s in key)):
            raise DeployError(
                f"{where}: CloudFront refuses a cache key (cookies, headers, query strings, accepted encodings) "
                "on a policy that disables caching (maxTtl 0)"
            )
        _refuse_headers(where, spec.headers.items, _NOT_IN_A_CACHE_POLICY, "a cache policy")

    def apply(self, ctx: Context, spec: CachePolicySpec, previous: ResourceRecord | None) -> Applied:
        policy_id = previous.id if previous is not None else str(uuid.uuid4())
        edge = model.CachePolicy(
            policy_id,
            spec.name,
            spec.min_ttl,
            spec.default_ttl,
            spec.max_ttl,
            spec.headers,
            spec.cookies,
            spec.query_strings,
            spec.gzip,
            spec.brotli,
        )
        return Applied(
            policy_id,
            {
                "name": spec.name,
                "comment": spec.comment,
                "minTtl": spec.min_ttl,
                "defaultTtl": spec.default_ttl,
                "maxTtl": spec.max_ttl,
                "arn": f"arn:aws:cloudfront::{ctx.account}:cache-policy/{policy_id}",
                "etag": cloudfront_id(),
                "edge": edge.to_json(),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        """Nothing exists outside the deploy state: forgetting the record deletes it."""


@dataclass(frozen=True)
class OriginRequestPolicySpec:
    """An origin request policy: its name, comment, and what of a request is forwarded to the origin."""

    name: str
    comment: str
    cookies: model.Selection
    headers: model.Selection
    query_strings: model.Selection


class OriginRequestPolicy(Provisioner[OriginRequestPolicySpec]):
    """An origin request policy: what is forwarded to the origin besides the cache key."""

    type_token = model.ORIGIN_REQUEST_POLICY_TYPE

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> OriginRequestPolicySpec:
        policy_name = physical_name(inputs, name, previous, max_length=128)
        comment = inputs.take("comment", "")
        cookies = _selection(
            inputs.sub("cookiesConfig"), inputs, "cookiesConfig", "cookie", ("none", "whitelist", "allExcept", "all")
        )
        headers = _selection(
            inputs.sub("headersConfig"),
            inputs,
            "headersConfig",
            "header",
            ("none", "whitelist", "allViewer", "allViewerAndWhitelistCloudFront", "allExcept"),
        )
        query_strings = _selection(
            inputs.sub("queryStringsConfig"),
            inputs,
            "queryStringsConfig",
            "queryString",
            ("none", "whitelist", "allExcept", "all"),
        )
        return OriginRequestPolicySpec(policy_name, comment, cookies, headers, query_strings)

    def validate(self, where: str, spec: OriginRequestPolicySpec) -> None:
        headers = spec.headers
        _refuse_headers(where, headers.items, _NOT_IN_A_REQUEST_POLICY, "an origin request policy")
        unknown = [
            h
            for h in headers.items
            if h.lower().startswith("cloudfront-") and h.lower() not in {e.lower() for e in EDGE_CLOUDFRONT_HEADERS}
        ]
        if unknown and headers.behavior != "allExcept":
            raise UnsupportedInput(
                f"{where}: input 'headersConfig.headers.items' names {', '.join(unknown)}, which the edge does "
                f"not add (only {', '.join(EDGE_CLOUDFRONT_HEADERS)})"
            )

    def apply(self, ctx: Context, spec: OriginRequestPolicySpec, previous: ResourceRecord | None) -> Applied:
        policy_id = previous.id if previous is not None else str(uuid.uuid4())
        edge = model.OriginRequestPolicy(policy_id, spec.name, spec.headers, spec.cookies, spec.query_strings)
        return Applied(
            policy_id,
            {
                "name": spec.name,
                "comment": spec.comment,
                "arn": f"arn:aws:cloudfront::{ctx.account}:origin-request-policy/{policy_id}",
                "etag": cloudfront_id(),
                "edge": edge.to_json(),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        """Nothing exists outside the deploy state: forgetting the record deletes it."""


def _selection(
    config: Inputs | None, parent: Inputs, key: str, kind: str, behaviours: tuple[str, ...]
) -> model.Selection:
    """A policy's cookies, headers or query strings config: `<kind>Behavior` and `<kind>s.items`."""
    case_sensitive = kind != "header"
    if config is None:
        raise DeployError(f"{parent.where}: input '{parent.path + '.' if parent.path else ''}{key}' is required")
    behavior = only(config, f"{kind}Behavior", behaviours)
    listed = config.sub(f"{kind}s")
    items = tuple(listed.take("items", [])) if listed is not None else ()
    where = f"{config.where}: input '{config.path}"
    if behavior in ("whitelist", "allExcept") and not items:
        raise DeployError(f"{where}.{kind}s.items': {kind}Behavior {behavior!r} needs the names it lists")
    if behavior in ("none", "all", "allViewer") and items:
        raise DeployError(f"{where}.{kind}s.items': {kind}Behavior {behavior!r} lists no names")
    return model.Selection(behavior, items, case_sensitive)


def _refuse_headers(where: str, headers: Iterable[str], refused: tuple[str, ...], policy: str) -> None:
    named = [h for h in headers if h.lower() in refused]
    if named:
        raise DeployError(f"{where}: CloudFront refuses {', '.join(named)} in {policy}")


def only(inputs: Inputs, key: str, allowed: tuple[str, ...], default: Any = None) -> Any:
    """The value of `key`, which must be one of `allowed` (`default` when absent, if there is one)."""
    value = inputs.take(key) if default is None else inputs.take(key, default)
    if value not in allowed:
        name = f"{inputs.path}.{key}" if inputs.path else key
        only = ", ".join(allowed)
        raise UnsupportedInput(
            f"{inputs.where}: input '{name}' = {value!r} is not applied by the replay deployer (only {only})"
        )
    return value


def cloudfront_id() -> str:
    """An id of CloudFront's form (distributions, origin access controls, ETags): `E` + 13 of A-Z0-9."""
    return "E" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(13))
