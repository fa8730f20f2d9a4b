"""One distribution served: a WSGI application doing what CloudFront does with a viewer's request.

1. A disabled distribution answers 403.
2. The behaviour is the first whose path pattern matches (harness/edge/path_patterns.py); a method it does
   not allow answers 403, as CloudFront does.
3. The behaviour's viewer-request function, if it has one, runs (harness/edge/functions.py): it
   answers itself (`FunctionGeneratedResponse`), or the request it returns goes on in the viewer's
   place (its URI is what the cache is keyed on and the origin is asked for); one that fails: 503.
4. GET and HEAD (and OPTIONS where cached) are looked up in the cache under the cache policy's key;
   a fresh answer is served from it (`X-Cache: Hit from edge`, `Age`).
5. Otherwise the origin answers (`Miss from edge`): an S3 origin read as its origin access control
   allows, a custom origin sent what the policies forward; no answer: 502 or 504 (`Error from edge`).
   A HEAD that may be cached is fetched as a GET, so the answer kept serves both.
6. `Set-Cookie` removed when the behaviour forwards no cookie (harness/edge/cookies.py); compressed
   with gzip where the behaviour compresses; kept as long as the cache policy says, without the
   fields the origin's `no-cache="…"` names (a `Set-Cookie` kept is sent on every hit, as CloudFront
   sends it).
7. Conditional GET and HEAD (If-None-Match, If-Modified-Since) get 304, one byte range 206, from the
   whole answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from harness.edge import answers, cookies, functions
from harness.edge.caching import (
    Cache,
    CacheKey,
    accepted_encoding,
    cache_key,
    cookie_pairs,
    stored_headers,
    time_to_live,
)
from harness.edge.exchange import OriginFailed, OriginResponse, ViewerRequest, end_to_end
from harness.edge.forwarding import origin_request, query_pairs
from harness.edge.functions import FunctionRuntime
from harness.edge.model import (
    Behaviour,
    CachePolicy,
    Distribution,
    EdgeFunction,
    OriginAccessControl,
    OriginRequestPolicy,
)
from harness.edge.origins import HttpOrigins, S3Origins
from harness.edge.path_patterns import select

log = logging.getLogger(__name__)

METHOD_NOT_ALLOWED = (
    "This distribution is not configured to allow the HTTP request method that was used for this request. "
    "The distribution supports only the methods its behaviour allows."
)


@dataclass(frozen=True)
class Site:
    """A distribution and the policies and origin access controls its behaviours name."""

    distribution: Distribution
    cache_policies: Mapping[str, CachePolicy]
    request_policies: Mapping[str, OriginRequestPolicy]
    access_controls: Mapping[str, OriginAccessControl]
    functions: Mapping[str, EdgeFunction] = field(default_factory=dict)  # by ARN


@dataclass(frozen=True)
class Served:
    """The answer for the viewer, whether it came from the cache, and its age there."""

    answer: OriginResponse
    x_cache: str
    age: int | None = None


class EdgeApp:
    """The WSGI application serving one distribution."""

    def __init__(
        self,
        site: Site,
        s3: S3Origins,
        http: HttpOrigins | None = None,
        cache: Cache | None = None,
        clock: Callable[[], float] = time.monotonic,
        functions: FunctionRuntime | None = None,
    ) -> None:
        self.site = site
        self.s3 = s3
        self.http = http or HttpOrigins()
        self.functions = functions or FunctionRuntime()
        self.cache = cache or Cache(clock=clock)
        self.clock = clock
        self.via = f"1.1 {site.distribution.id.lower()}.edge.localhost (imagepipe edge)"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        viewer = viewer_request(environ)
        served = self.serve(viewer)
        answer = served.answer
        headers = answers.without(end_to_end(answer.headers), "Content-Length")
        length = _content_length(answer, viewer.method)
        if length is not None:
            headers.append(("Content-Length", length))
        headers += [
            ("X-Cache", served.x_cache),
            ("Via", self.via),
            ("X-Amz-Cf-Pop", "LOCAL-EDGE"),
            ("X-Amz-Cf-Id", answers.request_id()),
        ]
        if served.age is not None:
            headers.append(("Age", str(served.age)))
        start_response(f"{answer.status} {answer.reason}", headers)
        return [b"" if viewer.method == "HEAD" else answer.body]

    def serve(self, viewer: ViewerRequest) -> Served:
        """The answer to `viewer`'s request (for HEAD, with the body a GET would get)."""
        distribution = self.site.distribution
        request_id = answers.request_id()
        if not distribution.enabled:
            return Served(
                answers.error_page(403, "The distribution is disabled.", request_id), answers.X_CACHE["error"]
            )
        behaviour = select(distribution.behaviours, viewer.path)
        if viewer.method not in behaviour.allowed_methods:
            return Served(answers.error_page(403, METHOD_NOT_ALLOWED, request_id), answers.X_CACHE["error"])
        if behaviour.viewer_request_function is not None:
            changed = self._viewer_request_function(behaviour.viewer_request_function, viewer, request_id)
            if isinstance(changed, Served):
                return changed
            viewer = changed
        policy = self.site.cache_policies[behaviour.cache_policy_id]
        encoding = accepted_encoding(policy, viewer.header("Accept-Encoding"), brotli_available=False)
        cacheable = viewer.method in behaviour.cached_methods and not policy.caching_disabled
        key = self._key(behaviour, policy, viewer, encoding)
        if cacheable and (entry := self.cache.get(key)) is not None:
            kept = OriginResponse(entry.status, entry.reason, entry.headers, entry.body)
            label = answers.X_CACHE["hit"] if entry.status < 400 else answers.X_CACHE["error"]
            return Served(_for_viewer(kept, viewer), label, entry.age(self.clock()))
        request_policy = (
            self.site.request_policies[behaviour.origin_request_policy_id]
            if behaviour.origin_request_policy_id
            else None
        )
        answer = self._from_origin(behaviour, policy, request_policy, viewer, encoding, request_id, cacheable)
        answer = cookies.passed_on(answer, policy, request_policy)
        if behaviour.compress:
            answer = answers.compressed(answer, encoding)
        if cacheable:
            ttl = time_to_live(
                policy,
                answer.status,
                answer.headers,
                error_caching_min_ttl=distribution.error_caching_min_ttl(answer.status),
                now=time.time(),
            )
            self.cache.put(key, answer.status, answer.reason, stored_headers(answer.headers), answer.body, ttl)
        label = answers.X_CACHE["miss"] if answer.status < 400 else answers.X_CACHE["error"]
        return Served(_for_viewer(answer, viewer), label)

    def _viewer_request_function(self, arn: str, viewer: ViewerRequest, request_id: str) -> ViewerRequest | Served:
        """The request `viewer`'s becomes through the function `arn`, or the answer it makes."""
        distribution = self.site.distribution
        function = self.site.functions[arn]
        event = functions.viewer_event(viewer, distribution.id, f"127.0.0.1:{distribution.port}", request_id)
        try:
            changed = functions.outcome(viewer, event, self.functions.run(function, event))
        except functions.FunctionFailed as failure:
            log.warning("%s %s: %s", viewer.method, viewer.path, failure)
            why = f"The CloudFront function associated with the distribution failed ({failure.kind}): {failure.why}"
            return Served(answers.error_page(503, why, request_id), f"{failure.kind} from edge")
        if isinstance(changed, OriginResponse):
            return Served(changed, answers.X_CACHE["function"])
        return changed

    def _key(self, behaviour: Behaviour, policy: CachePolicy, viewer: ViewerRequest, encoding: str | None) -> CacheKey:
        return cache_key(
            policy,
            behaviour=behaviour.path_pattern,
            method=viewer.method,
            path=viewer.path,
            query=[(name, segment) for name, segment in query_pairs(viewer.query)],
            headers=viewer.headers,
            cookies=cookie_pairs(viewer.header("Cookie")),
            encoding=encoding,
        )

    def _from_origin(
        self,
        behaviour: Behaviour,
        policy: CachePolicy,
        request_policy: OriginRequestPolicy | None,
        viewer: ViewerRequest,
        encoding: str | None,
        request_id: str,
        cacheable: bool,
    ) -> OriginResponse:
        distribution = self.site.distribution
        origin = distribution.origin(behaviour.origin_id)
        method = "GET" if cacheable and viewer.method == "HEAD" else viewer.method
        try:
            if origin.is_s3:
                # On AWS the viewer of a behaviour that redirects to (or requires) HTTPS reaches
                # CloudFront over TLS, and so does CloudFront's request to S3.
                secure = viewer.scheme == "https" or behaviour.viewer_protocol_policy != "allow-all"
                return self.s3.fetch(origin, distribution, method, viewer.path, secure=secure)
            request = origin_request(
                _as(viewer, method),
                origin,
                behaviour,
                policy,
                request_policy,
                encoding=encoding,
                request_id=request_id,
                via=self.via,
            )
            return self.http.fetch(origin, request, viewer_scheme=viewer.scheme)
        except OriginFailed as failure:
            log.warning("%s %s: %s", viewer.method, viewer.path, failure.why)
            return answers.error_page(failure.status, failure.why, request_id)


def _content_length(answer: OriginResponse, method: str) -> str | None:
    """The answer's length: of its body; for a HEAD the origin answered itself, what the origin said;
    none for a 304 (its length would be the 200's, RFC 9110 §8.6)."""
    if answer.status == 304:
        return None
    if method == "HEAD" and not answer.body:
        return answer.header("Content-Length") or "0"
    return str(len(answer.body))


def _as(viewer: ViewerRequest, method: str) -> ViewerRequest:
    if method == viewer.method:
        return viewer
    return ViewerRequest(method, viewer.path, viewer.query, viewer.headers, viewer.body, viewer.client, viewer.scheme)


def _for_viewer(answer: OriginResponse, viewer: ViewerRequest) -> OriginResponse:
    """A 200 turned into 304 for a conditional request it satisfies, or into 206/416 for one range."""
    if viewer.method not in ("GET", "HEAD") or answer.status != 200:
        return answer
    if answers.not_modified(viewer.headers, answer.headers):
        kept = {"etag", "last-modified", "cache-control", "expires", "vary", "content-location", "date"}
        headers = [(n, v) for n, v in answer.headers if n.lower() in kept]
        return OriginResponse(304, "Not Modified", headers, b"", answer.served_by)
    size = len(answer.body)
    try:
        wanted = answers.single_range(viewer.header("Range"), size)
    except answers.RangeNotSatisfiable:
        headers = [("Content-Range", f"bytes */{size}")]
        return OriginResponse(416, "Range Not Satisfiable", headers, b"", answer.served_by)
    if wanted is None:
        return answer
    first, last = wanted
    headers = answers.without(answer.headers, "Content-Length", "Content-Range")
    headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
    return OriginResponse(206, "Partial Content", headers, answer.body[first : last + 1], answer.served_by)


def viewer_request(environ: dict[str, Any]) -> ViewerRequest:
    """The viewer's request from a WSGI environ: the path as sent when the server says (RAW_URI)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
    path, question, query = raw.partition("?")
    if not question:
        query = environ.get("QUERY_STRING", "")
    if path.startswith(("http://", "https://")):  # absolute-form request target
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    headers = [(key[5:].replace("_", "-").title(), value) for key, value in environ.items() if key.startswith("HTTP_")]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers.append((name, environ[key]))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    if length:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    client = (environ.get("REMOTE_ADDR", "127.0.0.1"), int(environ.get("REMOTE_PORT") or 0))
    return ViewerRequest(
        method=environ["REQUEST_METHOD"].upper(),
        path=path or "/",
        query=query,
        headers=headers,
        body=body,
        client=client,
        scheme=environ.get("wsgi.url_scheme", "http"),
    )
