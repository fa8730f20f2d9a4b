"""The edge's CloudFront Functions: the event a viewer request makes, the node runtime, and what a
function's answer does (a changed request, a response of its own, or CloudFront's 503 on failure)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.edge.exchange import OriginResponse, ViewerRequest
from harness.edge.functions import FunctionFailed, FunctionRuntime, outcome, viewer_event
from harness.edge.model import EdgeFunction

VIEWER = ViewerRequest(
    "GET",
    "/images/a%20b.jpg",
    "size=2&tag=x&tag=y",
    (("Accept", "image/webp"), ("Cookie", "a=1; b=2"), ("X-Many", "one"), ("X-Many", "two")),
    client=("203.0.113.9", 5000),
)


def _function(code: str, etag: str = "E1") -> EdgeFunction:
    return EdgeFunction("test", "arn:aws:cloudfront::0:function/test", "cloudfront-js-2.0", code, etag)


@pytest.fixture
def runtime() -> Iterator[FunctionRuntime]:
    runtime = FunctionRuntime()
    yield runtime
    runtime.close()


def _run(runtime: FunctionRuntime, body: str, viewer: ViewerRequest = VIEWER) -> ViewerRequest | OriginResponse:
    event = viewer_event(viewer, "E2QWRUHAPOMQZL", "127.0.0.1:4580", "req-1")
    return outcome(viewer, event, runtime.run(_function(f"function handler(event) {{ {body} }}"), event))


def test_the_event_is_cloudfronts_shape():
    event = viewer_event(VIEWER, "E2QWRUHAPOMQZL", "127.0.0.1:4580", "req-1")
    assert event["version"] == "1.0" and event["viewer"] == {"ip": "203.0.113.9"}
    assert event["context"] == {
        "distributionDomainName": "127.0.0.1:4580",
        "distributionId": "E2QWRUHAPOMQZL",
        "eventType": "viewer-request",
        "requestId": "req-1",
    }
    request = event["request"]
    assert (request["method"], request["uri"]) == ("GET", "/images/a%20b.jpg")
    assert request["headers"] == {
        "accept": {"value": "image/webp"},
        "x-many": {"value": "one", "multiValue": [{"value": "one"}, {"value": "two"}]},
    }
    assert request["cookies"] == {"a": {"value": "1"}, "b": {"value": "2"}}  # apart from the headers
    assert request["querystring"] == {
        "size": {"value": "2"},
        "tag": {"value": "x", "multiValue": [{"value": "x"}, {"value": "y"}]},
    }


def test_a_request_returned_as_it_came_is_the_viewers(runtime):
    assert _run(runtime, "return event.request;") == VIEWER


def test_a_changed_uri_headers_cookies_and_query_replace_the_viewers(runtime):
    changed = _run(
        runtime,
        """var r = event.request; r.uri = "/images/b.avif"; r.headers["x-format"] = {value: "avif"};
        delete r.headers["x-many"]; r.cookies = {c: {value: "3"}}; r.querystring = {size: {value: "9"}}; return r;""",
    )
    assert isinstance(changed, ViewerRequest)
    assert (changed.method, changed.path, changed.query) == ("GET", "/images/b.avif", "size=9")
    assert dict(changed.headers) == {"accept": "image/webp", "x-format": "avif", "cookie": "c=3"}
    assert (changed.client, changed.body) == (VIEWER.client, VIEWER.body)


def test_a_response_of_its_own_is_answered_at_once(runtime):
    answer = _run(
        runtime,
        """return {statusCode: 302, statusDescription: "Found", headers: {location: {value: "/elsewhere"}},
        body: {encoding: "text", data: "moved"}};""",
    )
    assert isinstance(answer, OriginResponse)
    assert (answer.status, answer.reason, tuple(answer.headers), answer.body) == (
        302,
        "Found",
        (("location", "/elsewhere"),),
        b"moved",
    )


@pytest.mark.parametrize(
    ("body", "kind", "why"),
    [
        ('throw new Error("boom");', "FunctionExecutionError", "Error: boom"),
        ("while (true) {}", "FunctionExecutionError", "Script execution timed out"),
        ("return;", "FunctionExecutionError", "returned no request or response"),
        ('var r = event.request; r.uri = "images/x"; return r;', "FunctionValidationError", "uri must be a path"),
        ('var r = event.request; r.method = "POST"; return r;', "FunctionValidationError", "cannot change the method"),
        ("return {statusCode: 99};", "FunctionValidationError", "statusCode must be an HTTP status"),
        ('var r = event.request; r.headers.x = "plain"; return r;', "FunctionValidationError", "headers.x must be"),
        ("return require('fs');", "FunctionExecutionError", "require is not defined"),  # no node in CloudFront
    ],
)
def test_a_function_that_fails_is_named_with_what_went_wrong(runtime, body, kind, why):
    with pytest.raises(FunctionFailed, match=why) as failed:
        _run(runtime, body)
    assert failed.value.kind == kind


def test_code_that_does_not_load_is_an_execution_error_and_the_runtime_goes_on(runtime):
    event = viewer_event(VIEWER, "E", "d", "r")
    with pytest.raises(FunctionFailed, match="does not load: SyntaxError"):
        runtime.run(_function("function handler(event) {", etag="broken"), event)
    with pytest.raises(FunctionFailed, match="defines no function named handler"):
        runtime.run(_function("var x = 1;", etag="none"), event)
    assert (
        runtime.run(_function("function handler(e) { return e.request; }", etag="fixed"), event)["uri"] == VIEWER.path
    )


def test_new_code_of_a_function_replaces_the_old(runtime):
    event = viewer_event(VIEWER, "E", "d", "r")
    first = _function('function handler(e) { e.request.uri = "/one"; return e.request; }', etag="A")
    second = _function('function handler(e) { e.request.uri = "/two"; return e.request; }', etag="B")
    assert [runtime.run(f, event)["uri"] for f in (first, second, first)] == ["/one", "/two", "/one"]
