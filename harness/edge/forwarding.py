"""The request CloudFront sends a custom origin for a viewer's request: the origin path prefixed, and
only what the behaviour's policies (and CloudFront's own rules) let through.

From CloudFront's table of request headers (custom origins):

- forwarded as they are: `Content-Type`, `Content-Length`, `Content-MD5`, `Max-Forwards`, `Pragma`,
  `X-HTTP-Method-Override`;
- `Host`: the origin's domain name (the viewer's only when a policy forwards Host);
- `User-Agent`: `Amazon CloudFront`, unless a policy forwards the viewer's;
- `Authorization`: on requests other than GET and HEAD (and OPTIONS when OPTIONS answers are not
  cached); on those only when the cache policy has it in the key;
- `Accept-Encoding`: the encoding normalised for the cache key when the cache policy enables gzip
  or brotli, else none;
- `Cookie`: the cookies the cache or origin request policy take, sorted by name;
- every other header: only when the cache or origin request policy takes it;
- added: `X-Forwarded-For` (the viewer's address appended), `Via`, `X-Amz-Cf-Id`, the origin's
  custom headers, and `CloudFront-Viewer-Address` / `CloudFront-Forwarded-Proto` when the origin
  request policy names them.

Query strings: those either policy takes, in the viewer's order. Conditional (`If-*`) and `Range`
headers are not forwarded: the edge answers them itself from the whole answer (see app.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final
from urllib.parse import unquote_plus

from harness.edge.caching import cookie_pairs
from harness.edge.exchange import HOP_BY_HOP, OriginRequest, ViewerRequest
from harness.edge.model import Behaviour, CachePolicy, Origin, OriginRequestPolicy, Selection

USER_AGENT: Final = "Amazon CloudFront"
ALWAYS_FORWARDED: Final = frozenset(
    {"content-type", "content-length", "content-md5", "max-forwards", "pragma", "x-http-method-override"}
)
# Answered by the edge, or per request: never taken from the viewer by a policy either.
NEVER_FORWARDED: Final = frozenset(
    {
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "if-range",
        "range",
        "expect",
        "proxy-authorization",
        "x-real-ip",
        "x-amz-cf-id",
        "cookie",
        "accept-encoding",
    }
    | HOP_BY_HOP
)


def query_pairs(query: str) -> list[tuple[str, str]]:
    """A raw query string as (decoded name, raw `name=value` segment) pairs, in order."""
    pairs = []
    for segment in query.split("&"):
        if segment:
            pairs.append((unquote_plus(segment.partition("=")[0]), segment))
    return pairs


def taken_query(query: str, *selections: Selection) -> list[str]:
    """The raw segments of `query` any of `selections` takes, in the viewer's order."""
    return [segment for name, segment in query_pairs(query) if any(s.selects(name) for s in selections)]


def origin_request(
    viewer: ViewerRequest,
    origin: Origin,
    behaviour: Behaviour,
    cache_policy: CachePolicy,
    request_policy: OriginRequestPolicy | None,
    *,
    encoding: str | None,
    request_id: str,
    via: str,
) -> OriginRequest:
    """The request for `origin` (a custom one) that serves `viewer` under `behaviour`."""
    selections = [cache_policy] + ([request_policy] if request_policy else [])
    query = taken_query(viewer.query, *(p.query_strings for p in selections))
    target = origin.origin_path + viewer.path + (f"?{'&'.join(query)}" if query else "")

    def taken(name: str) -> bool:
        return any(p.headers.selects(name) for p in selections)

    caches_options = "OPTIONS" in behaviour.cached_methods
    authorized_method = viewer.method not in ("GET", "HEAD") and not (viewer.method == "OPTIONS" and caches_options)
    headers: list[tuple[str, str]] = []
    for name, value in viewer.headers:
        lower = name.lower()
        if lower in NEVER_FORWARDED or lower in ("host", "user-agent", "x-forwarded-for", "via"):
            continue
        if lower.startswith("cloudfront-"):  # CloudFront's own, never the viewer's
            continue
        if lower == "authorization":
            if authorized_method or cache_policy.headers.selects(name):
                headers.append((name, value))
        elif lower in ALWAYS_FORWARDED or taken(name):
            headers.append((name, value))
    host = viewer.header("Host") if taken("Host") else None
    headers.insert(0, ("Host", host or _origin_host(origin, viewer.scheme)))
    headers.append(("User-Agent", (viewer.header("User-Agent") if taken("User-Agent") else None) or USER_AGENT))
    if encoding:
        headers.append(("Accept-Encoding", encoding))
    cookies = sorted(
        (name, value)
        for name, value in cookie_pairs(viewer.header("Cookie"))
        if any(p.cookies.selects(name) for p in selections)
    )
    if cookies:
        headers.append(("Cookie", "; ".join(f"{name}={value}" for name, value in cookies)))
    forwarded_for = viewer.header("X-Forwarded-For")
    client = viewer.client[0]
    headers.append(("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client))
    viewer_via = viewer.header("Via")
    headers.append(("Via", f"{viewer_via}, {via}" if viewer_via else via))
    headers.append(("X-Amz-Cf-Id", request_id))
    if request_policy is not None:
        headers += _cloudfront_headers(request_policy, viewer)
    return OriginRequest(
        method=viewer.method,
        target=target,
        headers=_with_custom_headers(headers, origin.custom_headers),
        body=viewer.body,
    )


def _origin_host(origin: Origin, viewer_scheme: str) -> str:
    scheme, port = origin_scheme_and_port(origin, viewer_scheme)
    default = 443 if scheme == "https" else 80
    return origin.domain_name if port == default else f"{origin.domain_name}:{port}"


def origin_scheme_and_port(origin: Origin, viewer_scheme: str) -> tuple[str, int]:
    """The protocol and port to reach a custom origin with, per its protocol policy."""
    secure = origin.protocol_policy == "https-only" or (
        origin.protocol_policy == "match-viewer" and viewer_scheme == "https"
    )
    return ("https", origin.https_port) if secure else ("http", origin.http_port)


def _cloudfront_headers(policy: OriginRequestPolicy, viewer: ViewerRequest) -> list[tuple[str, str]]:
    added = []
    if policy.headers.behavior in ("whitelist", "allViewerAndWhitelistCloudFront"):
        named = {item.lower() for item in policy.headers.items}
        if "cloudfront-viewer-address" in named:
            host, port = viewer.client
            added.append(("CloudFront-Viewer-Address", f"{host}:{port}"))
        if "cloudfront-forwarded-proto" in named:
            added.append(("CloudFront-Forwarded-Proto", viewer.scheme))
    return added


def _with_custom_headers(headers: list[tuple[str, str]], custom: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The origin's custom headers replace any header of theirs the viewer sent."""
    custom = list(custom)
    overridden = {name.lower() for name, _ in custom}
    return [(name, value) for name, value in headers if name.lower() not in overridden] + custom
