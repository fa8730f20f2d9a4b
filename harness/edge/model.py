"""A CloudFront distribution as the edge serves it, and the policies it refers to: plain, immutable
values the deployer records (harness/deploy/provisioners/cloudfront.py normalises a resource's
inputs into them) and the edge reads back from the deploy state. Standard library only.

The names follow CloudFront's API (behaviours, origins, cache and origin request policies); the
JSON form is `to_json()` / `from_json()` of each, kept in a resource's record under `edge`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Final

ALL_METHODS: Final = ("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE")
# The three sets of methods CloudFront lets a behaviour allow, and the two it can cache.
ALLOWED_METHOD_SETS: Final = (frozenset({"GET", "HEAD"}), frozenset({"GET", "HEAD", "OPTIONS"}), frozenset(ALL_METHODS))
CACHED_METHOD_SETS: Final = (frozenset({"GET", "HEAD"}), frozenset({"GET", "HEAD", "OPTIONS"}))
DEFAULT_PATH_PATTERN: Final = "*"
# The Pulumi resource types whose deploy records hold a configuration the edge reads (under `edge`).
DISTRIBUTION_TYPE: Final = "aws:cloudfront/distribution:Distribution"
CACHE_POLICY_TYPE: Final = "aws:cloudfront/cachePolicy:CachePolicy"
ORIGIN_REQUEST_POLICY_TYPE: Final = "aws:cloudfront/originRequestPolicy:OriginRequestPolicy"
ORIGIN_ACCESS_CONTROL_TYPE: Final = "aws:cloudfront/originAccessControl:OriginAccessControl"
VPC_ORIGIN_TYPE: Final = "aws:cloudfront/vpcOrigin:VpcOrigin"
FUNCTION_TYPE: Final = "aws:cloudfront/function:Function"
LOAD_BALANCER_TYPE: Final = "aws:lb/loadBalancer:LoadBalancer"  # a VPC origin's endpoint, served locally


@dataclass(frozen=True)
class Selection:
    """Which headers, cookies or query strings a policy takes from a viewer's request.

    `behavior` is CloudFront's word for it: `none`, `whitelist` (only `items`), `allExcept` (all but
    `items`), `all` (cookies and query strings), `allViewer` and `allViewerAndWhitelistCloudFront`
    (headers of origin request policies: every viewer header; the second adds CloudFront's own
    headers named in `items`). Header names are case-insensitive, cookie and query string names not.
    """

    behavior: str = "none"
    items: tuple[str, ...] = ()
    case_sensitive: bool = True

    def selects(self, name: str) -> bool:
        """Whether the viewer's value named `name` is taken."""
        if self.behavior == "none":
            return False
        listed = self._listed(name)
        if self.behavior == "whitelist":
            return listed
        if self.behavior == "allExcept":
            return not listed
        if self.behavior in ("all", "allViewer"):
            return True
        if self.behavior == "allViewerAndWhitelistCloudFront":
            return True
        raise ValueError(f"unknown selection behaviour {self.behavior!r}")

    def _listed(self, name: str) -> bool:
        if self.case_sensitive:
            return name in self.items
        return name.lower() in {item.lower() for item in self.items}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selection:
        return cls(data["behavior"], tuple(data["items"]), data["case_sensitive"])


@dataclass(frozen=True)
class CachePolicy:
    """What is in the cache key (and so forwarded to the origin) and how long answers are kept:
    `min_ttl` ≤ `default_ttl` ≤ `max_ttl` seconds; `gzip`/`brotli`: the viewer's accepted encoding
    (normalised) is in the key, and behaviours that compress may answer in it."""

    id: str
    name: str
    min_ttl: int
    default_ttl: int
    max_ttl: int
    headers: Selection = field(default_factory=lambda: Selection(case_sensitive=False))
    cookies: Selection = field(default_factory=Selection)
    query_strings: Selection = field(default_factory=Selection)
    gzip: bool = False
    brotli: bool = False

    @property
    def caching_disabled(self) -> bool:
        return self.max_ttl == 0

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "headers": self.headers.to_json(),
            "cookies": self.cookies.to_json(),
            "query_strings": self.query_strings.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CachePolicy:
        return cls(
            **{k: v for k, v in data.items() if k not in ("headers", "cookies", "query_strings")},
            headers=Selection.from_json(data["headers"]),
            cookies=Selection.from_json(data["cookies"]),
            query_strings=Selection.from_json(data["query_strings"]),
        )


@dataclass(frozen=True)
class OriginRequestPolicy:
    """What is forwarded to the origin besides the cache key, kept out of the key."""

    id: str
    name: str
    headers: Selection = field(default_factory=lambda: Selection(case_sensitive=False))
    cookies: Selection = field(default_factory=Selection)
    query_strings: Selection = field(default_factory=Selection)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "headers": self.headers.to_json(),
            "cookies": self.cookies.to_json(),
            "query_strings": self.query_strings.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OriginRequestPolicy:
        return cls(
            id=data["id"],
            name=data["name"],
            headers=Selection.from_json(data["headers"]),
            cookies=Selection.from_json(data["cookies"]),
            query_strings=Selection.from_json(data["query_strings"]),
        )


@dataclass(frozen=True)
class OriginAccessControl:
    """How the distribution signs its requests to an S3 origin (the edge supports `always`)."""

    id: str
    name: str
    origin_type: str
    signing_behavior: str
    signing_protocol: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OriginAccessControl:
        return cls(**data)


@dataclass(frozen=True)
class VpcOrigin:
    """A CloudFront VPC origin: the private endpoint (a load balancer's ARN) CloudFront connects to
    inside the VPC, on which ports and in which protocol."""

    id: str
    endpoint_arn: str
    http_port: int
    https_port: int
    protocol_policy: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VpcOrigin:
        return cls(**data)


@dataclass(frozen=True)
class EdgeFunction:
    """A CloudFront Function as it is published (its LIVE stage): its name, ARN, runtime
    (`cloudfront-js-1.0` or `-2.0`) and JavaScript code."""

    name: str
    arn: str
    runtime: str
    code: str
    etag: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EdgeFunction:
        return cls(**data)


@dataclass(frozen=True)
class Origin:
    """Where a behaviour's requests go. An S3 origin (`s3_bucket` set: the bucket its domain name
    names) is read as its origin access control `access_control_id` allows, or anonymously without
    one; a custom origin is an HTTP server at `domain_name` on `http_port`/`https_port` per
    `protocol_policy`, and a VPC origin's (`vpc_origin_id` set) is where that VPC origin's endpoint
    is served (harness/edge/stack.py finds it). Every request's path is `origin_path` + the
    viewer's path."""

    id: str
    domain_name: str
    origin_path: str = ""
    s3_bucket: str | None = None
    s3_region: str | None = None
    access_control_id: str | None = None
    http_port: int = 80
    https_port: int = 443
    protocol_policy: str = "https-only"
    read_timeout: int = 30
    keepalive_timeout: int = 5
    connection_attempts: int = 3
    connection_timeout: int = 10
    custom_headers: tuple[tuple[str, str], ...] = ()
    vpc_origin_id: str | None = None

    @property
    def is_s3(self) -> bool:
        return self.s3_bucket is not None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "custom_headers": [list(pair) for pair in self.custom_headers]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Origin:
        return cls(**{**data, "custom_headers": tuple((name, value) for name, value in data["custom_headers"])})


@dataclass(frozen=True)
class Behaviour:
    """How requests whose path matches `path_pattern` are served (`*` for the default behaviour)."""

    path_pattern: str
    origin_id: str
    viewer_protocol_policy: str
    allowed_methods: tuple[str, ...]
    cached_methods: tuple[str, ...]
    cache_policy_id: str
    origin_request_policy_id: str | None = None
    compress: bool = False
    viewer_request_function: str | None = None  # the ARN of the CloudFront Function run on each request

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Behaviour:
        return cls(
            **{
                **data,
                "allowed_methods": tuple(data["allowed_methods"]),
                "cached_methods": tuple(data["cached_methods"]),
            }
        )


@dataclass(frozen=True)
class Distribution:
    """A distribution as the edge serves it on `port`: `behaviours` in the order CloudFront tries
    them, the default (`*`) last; `error_caching` maps a status code to how long an error answer
    with it is kept (CloudFront's default, 10 s, for the codes not listed)."""

    id: str
    arn: str
    port: int
    enabled: bool
    origins: tuple[Origin, ...]
    behaviours: tuple[Behaviour, ...]
    error_caching: tuple[tuple[int, int], ...] = ()
    aliases: tuple[str, ...] = ()

    def origin(self, origin_id: str) -> Origin:
        for origin in self.origins:
            if origin.id == origin_id:
                return origin
        raise KeyError(f"distribution {self.id} has no origin {origin_id!r}")

    def error_caching_min_ttl(self, status: int) -> int | None:
        """The declared error caching minimum TTL of `status`, None when not declared."""
        return dict(self.error_caching).get(status)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "arn": self.arn,
            "port": self.port,
            "enabled": self.enabled,
            "origins": [origin.to_json() for origin in self.origins],
            "behaviours": [behaviour.to_json() for behaviour in self.behaviours],
            "error_caching": [list(pair) for pair in self.error_caching],
            "aliases": list(self.aliases),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Distribution:
        return cls(
            id=data["id"],
            arn=data["arn"],
            port=data["port"],
            enabled=data["enabled"],
            origins=tuple(Origin.from_json(origin) for origin in data["origins"]),
            behaviours=tuple(Behaviour.from_json(behaviour) for behaviour in data["behaviours"]),
            error_caching=tuple((code, ttl) for code, ttl in data["error_caching"]),
            aliases=tuple(data["aliases"]),
        )
