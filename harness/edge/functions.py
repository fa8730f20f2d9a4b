"""CloudFront Functions at the edge: a behaviour's viewer-request function, run under node on every
request the behaviour serves, before the cache is looked in (what it makes of the request is what
is cached and fetched), as CloudFront runs it.

- :func:`viewer_event`: the event CloudFront gives the function (version 1.0: context, viewer, the
  request with lower-case header names, `multiValue` for repeated ones, the query string and the
  cookies apart);
- :class:`FunctionRuntime`: node running harness/edge/function_runtime.js, one process for the
  edge, each function's code evaluated once in a context of its own;
- :func:`outcome`: the function's answer checked as CloudFront checks it, and applied: a request
  (its URI, headers, query string and cookies replace the viewer's; the method cannot change), or a
  response the edge sends at once. A function that throws, runs too long or returns anything else
  is CloudFront's 503 (`FunctionExecutionError` / `FunctionValidationError`).

What CloudFront documents: "CloudFront Functions event structure" and "Determine function purpose",
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html,
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/function-code-choose-purpose.html
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from harness.edge.caching import Headers
from harness.edge.exchange import OriginResponse, ViewerRequest
from harness.edge.model import EdgeFunction

RUNTIMES: Final = ("cloudfront-js-1.0", "cloudfront-js-2.0")
MAX_CODE_BYTES: Final = 10_240  # CloudFront's limit on a function's code
_RUNTIME_SCRIPT: Final = Path(__file__).with_name("function_runtime.js")
_ANSWER_TIMEOUT_S: Final = 10.0


class FunctionFailed(Exception):
    """The function threw, ran too long or returned what CloudFront refuses: `kind` is CloudFront's
    name for it (`FunctionExecutionError`, `FunctionValidationError`), `why` says what happened."""

    def __init__(self, kind: str, why: str) -> None:
        super().__init__(f"{kind}: {why}")
        self.kind = kind
        self.why = why


def node_path() -> str:
    """The node the runtime runs under: Debian's `nodejs` (make installs it with the test tools)."""
    found = shutil.which("node") or shutil.which("nodejs")
    if found is None:
        raise FunctionFailed(
            "FunctionExecutionError",
            "the edge runs CloudFront Functions under node, and there is none on PATH: install Debian's nodejs",
        )
    return found


class FunctionRuntime:
    """One node process running every function of the edge, started on first use; calls from the
    edge's threads are taken one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._loaded: dict[str, str] = {}  # function ARN -> the etag of the code loaded

    def run(self, function: EdgeFunction, event: dict[str, Any]) -> dict[str, Any]:
        """What `function`'s handler returns for `event`; FunctionFailed when it throws or runs too long."""
        with self._lock:
            if self._loaded.get(function.arn) != function.etag:
                loaded = self._call({"load": function.arn, "code": function.code})
                if "error" in loaded:
                    raise FunctionFailed("FunctionExecutionError", f"{function.name} does not load: {loaded['error']}")
                self._loaded[function.arn] = function.etag
            answer = self._call({"run": function.arn, "event": event})
        if "error" in answer:
            raise FunctionFailed("FunctionExecutionError", f"{function.name}: {answer['error']}")
        result = answer["result"]
        if not isinstance(result, dict):
            raise FunctionFailed("FunctionValidationError", f"{function.name} returned {result!r}")
        return result

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.kill()
                self._process.wait(timeout=5)
                self._process = None
            self._loaded.clear()

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        process = self._process
        if process is None or process.poll() is not None:
            process = self._process = subprocess.Popen(
                [node_path(), str(_RUNTIME_SCRIPT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
            self._loaded.clear()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(message) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except OSError as error:
            line, why = "", str(error)
        else:
            why = "it ended"
        if not line:
            self._process = None
            raise FunctionFailed("FunctionExecutionError", f"the node runtime gave no answer ({why})")
        answer: dict[str, Any] = json.loads(line)
        return answer


def viewer_event(viewer: ViewerRequest, distribution_id: str, domain_name: str, request_id: str) -> dict[str, Any]:
    """The viewer-request event CloudFront gives a function for `viewer`'s request."""
    headers: dict[str, Any] = {}
    cookies: dict[str, Any] = {}
    for name, value in viewer.headers:
        lower = name.lower()
        if lower == "cookie":
            for pair in value.split(";"):
                key, _, kept = pair.strip().partition("=")
                if key:
                    _add(cookies, key, kept)
        else:
            _add(headers, lower, value)
    querystring: dict[str, Any] = {}
    for key, value in parse_qsl(viewer.query, keep_blank_values=True):
        _add(querystring, key, value)
    return {
        "version": "1.0",
        "context": {
            "distributionDomainName": domain_name,
            "distributionId": distribution_id,
            "eventType": "viewer-request",
            "requestId": request_id,
        },
        "viewer": {"ip": viewer.client[0]},
        "request": {
            "method": viewer.method,
            "uri": viewer.path,
            "querystring": querystring,
            "headers": headers,
            "cookies": cookies,
        },
    }


def outcome(viewer: ViewerRequest, event: dict[str, Any], result: dict[str, Any]) -> ViewerRequest | OriginResponse:
    """The function's `result` for `event` applied to `viewer`'s request: the request to go on
    with, or the response to send at once."""
    if "statusCode" in result:
        return _response(result)
    request = event["request"]
    uri = result.get("uri")
    if not isinstance(uri, str) or not uri.startswith("/"):
        raise FunctionFailed("FunctionValidationError", f"the request's uri must be a path, not {uri!r}")
    if result.get("method", request["method"]) != request["method"]:
        raise FunctionFailed("FunctionValidationError", "a viewer-request function cannot change the method")
    query = viewer.query
    if result.get("querystring", request["querystring"]) != request["querystring"]:
        query = urlencode(_pairs(result["querystring"], "querystring"))
    headers: Headers = viewer.headers
    changed_headers = result.get("headers", request["headers"]) != request["headers"]
    changed_cookies = result.get("cookies", request["cookies"]) != request["cookies"]
    if changed_headers or changed_cookies:
        rebuilt = [(name, value) for name, value in _pairs(result.get("headers", request["headers"]), "headers")]
        jar = _pairs(result.get("cookies", request["cookies"]), "cookies")
        if jar:
            rebuilt.append(("cookie", "; ".join(f"{name}={value}" for name, value in jar)))
        headers = tuple(rebuilt)
    return ViewerRequest(viewer.method, uri, query, headers, viewer.body, viewer.client, viewer.scheme)


def _response(result: dict[str, Any]) -> OriginResponse:
    status = result["statusCode"]
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise FunctionFailed("FunctionValidationError", f"statusCode must be an HTTP status, not {status!r}")
    body = result.get("body", "")
    if isinstance(body, dict):  # cloudfront-js-2.0: {"data": ..., "encoding": "text" | "base64"}
        if body.get("encoding", "text") != "text":
            raise FunctionFailed("FunctionValidationError", "the edge takes text bodies only")
        body = body.get("data", "")
    if not isinstance(body, str):
        raise FunctionFailed("FunctionValidationError", f"body must be text, not {body!r}")
    headers = list(_pairs(result.get("headers", {}), "headers"))
    reason = result.get("statusDescription") or ""
    return OriginResponse(status, str(reason), tuple(headers), body.encode(), served_by="function")


def _add(values: dict[str, Any], name: str, value: str) -> None:
    """`value` under `name` as CloudFront's event structure holds it (`multiValue` for repeats)."""
    entry = values.get(name)
    if entry is None:
        values[name] = {"value": value}
    else:
        entry.setdefault("multiValue", [{"value": entry["value"]}]).append({"value": value})


def _pairs(values: Any, what: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of an event structure's headers, cookies or query string."""
    if not isinstance(values, dict):
        raise FunctionFailed("FunctionValidationError", f"{what} must be an object, not {values!r}")
    pairs = []
    for name, entry in values.items():
        many = entry.get("multiValue") if isinstance(entry, dict) else None
        for item in many if isinstance(many, list) else [entry]:
            if not isinstance(item, dict) or not isinstance(item.get("value"), str):
                raise FunctionFailed(
                    "FunctionValidationError", f"{what}.{name} must be {{value: <text>}}, not {item!r}"
                )
            pairs.append((name, item["value"]))
    return pairs
