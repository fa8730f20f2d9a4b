"""The request sent to a custom origin: CloudFront's table of request headers, the policies' picks of
headers, cookies and query strings, and what CloudFront adds."""

from __future__ import annotations

import pytest

from harness.edge.exchange import ViewerRequest
from harness.edge.forwarding import origin_request, origin_scheme_and_port, taken_query
from harness.edge.model import Behaviour, CachePolicy, Origin, OriginRequestPolicy, Selection

ORIGIN = Origin("app", "api.example", "/prod", http_port=8080, https_port=8443, protocol_policy="http-only")
NO_KEY = CachePolicy("c", "api", 0, 0, 0)
FORWARD_APP = OriginRequestPolicy(
    "r",
    "app",
    headers=Selection("whitelist", ("Origin", "X-CSRF-Token", "CloudFront-Viewer-Address"), case_sensitive=False),
    cookies=Selection("whitelist", ("session",)),
    query_strings=Selection("whitelist", ("page", "q")),
)
BEHAVIOUR = Behaviour("/api/*", "app", "redirect-to-https", ("GET", "HEAD", "POST"), ("GET", "HEAD"), "c", "r")


def _sent(viewer: ViewerRequest, cache: CachePolicy = NO_KEY, requests: OriginRequestPolicy | None = FORWARD_APP, **kw):
    request = origin_request(
        viewer,
        kw.get("origin", ORIGIN),
        BEHAVIOUR,
        cache,
        requests,
        encoding=kw.get("encoding"),
        request_id="rid",
        via="1.1 e",
    )
    return request, request.headers, {name.lower(): value for name, value in request.headers}


def test_the_target_is_the_origin_path_then_the_path_then_the_query_strings_taken_in_order():
    request, _, _ = _sent(ViewerRequest("GET", "/api/images", "q=cat&utm=x&page=2&q=dog"))
    assert request.target == "/prod/api/images?q=cat&page=2&q=dog"
    assert taken_query("a=1&b=2", Selection("all")) == ["a=1", "b=2"]
    assert taken_query("a%20b=1&c", Selection("whitelist", ("a b",))) == ["a%20b=1"]


def test_headers_follow_cloudfronts_table():
    viewer = ViewerRequest(
        "POST",
        "/api/x",
        headers=[
            ("Host", "cdn.example"),
            ("User-Agent", "curl"),
            ("Content-Type", "application/json"),
            ("Content-Length", "2"),
            ("Origin", "https://cdn.example"),
            ("X-Csrf-Token", "t"),
            ("Authorization", "Bearer x"),
            ("If-None-Match", '"e"'),
            ("Range", "bytes=0-1"),
            ("X-Forwarded-For", "203.0.113.9"),
            ("Cookie", "theme=dark; session=s1"),
            ("CloudFront-Viewer-Address", "spoofed"),
            ("X-Other", "1"),
            ("Connection", "keep-alive"),
        ],
        body=b"{}",
        client=("198.51.100.7", 5123),
    )
    request, pairs, sent = _sent(viewer)
    assert sent["host"] == "api.example:8080"
    assert sent["user-agent"] == "Amazon CloudFront"
    assert (sent["content-type"], sent["content-length"]) == ("application/json", "2")
    assert (sent["origin"], sent["x-csrf-token"], sent["authorization"]) == ("https://cdn.example", "t", "Bearer x")
    assert sent["cookie"] == "session=s1"  # only the cookies a policy takes
    assert sent["x-forwarded-for"] == "203.0.113.9, 198.51.100.7"
    assert sent["cloudfront-viewer-address"] == "198.51.100.7:5123"
    assert sent["via"] == "1.1 e" and sent["x-amz-cf-id"] == "rid"
    for dropped in ("if-none-match", "range", "x-other", "connection"):
        assert dropped not in sent
    assert [n for n, _ in pairs].count("CloudFront-Viewer-Address") == 1
    assert request.body == b"{}"


@pytest.mark.parametrize(("method", "forwarded"), [("GET", False), ("HEAD", False), ("DELETE", True), ("PATCH", True)])
def test_authorization_reaches_the_origin_on_changes_only_unless_in_the_cache_key(method, forwarded):
    viewer = ViewerRequest(method, "/api/x", headers=[("Authorization", "Bearer x")])
    assert ("authorization" in _sent(viewer)[2]) is forwarded
    keyed = CachePolicy("c", "k", 0, 1, 10, headers=Selection("whitelist", ("Authorization",), case_sensitive=False))
    assert "authorization" in _sent(viewer, keyed)[2]


def test_a_policy_can_forward_the_viewers_host_and_user_agent():
    everything = OriginRequestPolicy("r", "all", headers=Selection("allViewer", case_sensitive=False))
    viewer = ViewerRequest("GET", "/", headers=[("Host", "cdn.example"), ("User-Agent", "curl"), ("X-Other", "1")])
    sent = _sent(viewer, requests=everything)[2]
    assert (sent["host"], sent["user-agent"], sent["x-other"]) == ("cdn.example", "curl", "1")


def test_accept_encoding_is_the_normalised_one_or_none():
    viewer = ViewerRequest("GET", "/", headers=[("Accept-Encoding", "gzip, deflate, br")])
    assert "accept-encoding" not in _sent(viewer)[2]
    assert _sent(viewer, encoding="gzip")[2]["accept-encoding"] == "gzip"


def test_an_origins_custom_headers_replace_the_viewers():
    origin = Origin("app", "api.example", custom_headers=(("X-Origin-Verify", "secret"),), protocol_policy="https-only")
    viewer = ViewerRequest("GET", "/", headers=[("X-Origin-Verify", "forged")])
    allowing = OriginRequestPolicy("r", "all", headers=Selection("allViewer", case_sensitive=False))
    pairs = _sent(viewer, requests=allowing, origin=origin)[1]
    assert [v for n, v in pairs if n == "X-Origin-Verify"] == ["secret"]
    assert {n.lower(): v for n, v in pairs}["host"] == "api.example"  # https on 443: no port


@pytest.mark.parametrize(
    ("policy", "viewer", "expected"),
    [
        ("http-only", "https", ("http", 8080)),
        ("https-only", "http", ("https", 8443)),
        ("match-viewer", "http", ("http", 8080)),
        ("match-viewer", "https", ("https", 8443)),
    ],
)
def test_the_origin_protocol_policy_picks_scheme_and_port(policy, viewer, expected):
    origin = Origin("o", "h", http_port=8080, https_port=8443, protocol_policy=policy)
    assert origin_scheme_and_port(origin, viewer) == expected
