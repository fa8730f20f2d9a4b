"""A Flask test client that holds every exchange under `/api` to the API's OpenAPI document.

`OpenAPIClient` sends requests as `FlaskClient` does; after each one it checks, with openapi-core:

- the response, always: its status is one the operation declares, with the declared content type,
  a body matching the declared schema and the required headers. A test that sends bad input on
  purpose still gets an answer the document describes (the 400 and its `{"error", "detail"}`).
- the request, when the answer is 2xx: parameters, body, content type and security (the session
  cookie, the X-CSRF-Token header) as the operation declares them. A request the document refuses
  that the app accepts is a mismatch (the document is too strict, or the app too lax); one the
  app answers with an error is what bad-input tests are for, so those are sent and not judged.
- HEAD and OPTIONS, which Flask answers for every route by itself, and paths outside `/api`, are
  not checked;
- a path or method the document has no operation for: if the app routes it to a blueprint's view,
  that view is an operation missing from the document (a mismatch); otherwise (no route, so 404
  or 405; or a view a test added to the app itself) an error answer must still be the API's Error.

A mismatch raises `OpenAPIMismatch` (an AssertionError) naming the operation, the request, the
status, what does not match and where, and the body that was answered.

`openapi_checked_clients` (autouse) makes every Flask app's `test_client()` an `OpenAPIClient` for
the test; importing it into a conftest turns the checks on for every test beside it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_schema_validator import OAS31Validator
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse
from werkzeug.wrappers import Request

from handlers.web.openapi import DOCUMENT

API = "/api/"
SENT_BODY = "imagepipe.openapi.sent_body"
"""The environ key under which the client keeps the bytes it sent (the app consumes the stream)."""
FLASKS_OWN = frozenset({"HEAD", "OPTIONS"})
"""Methods Flask answers for every route by itself (the document describes the API's own)."""
SHOWN_BODY = 600


class OpenAPIMismatch(AssertionError):
    """An exchange the API's OpenAPI document does not describe."""


@cache
def document() -> dict[str, Any]:
    """The document, as JSON."""
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text())
    return loaded


@cache
def openapi() -> OpenAPI:
    """openapi-core's view of the document (built once: it is not cheap)."""
    return OpenAPI.from_dict(document())


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Each documented path as a pattern of the paths it matches, literal paths first."""
    paths = sorted(document()["paths"], key=lambda path: ("{" in path, path))
    templates = []
    for path in paths:
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}/]+\})", path)
        )
        templates.append((re.compile(f"^{pattern}$"), path))
    return templates


def operation_of(method: str, path: str) -> str | None:
    """`METHOD /template (operationId)` of the documented operation `method path` is, or None."""
    for pattern, template in _templates():
        if pattern.match(path):
            operation = document()["paths"][template].get(method.lower())
            if operation is None:
                return None
            return f"{method.upper()} {template} ({operation.get('operationId', 'no operationId')})"
    return None


class SentRequest(WerkzeugOpenAPIRequest):
    """The request as the client sent it, body included (the app has read the stream by now)."""

    @property
    def body(self) -> bytes:
        sent: bytes = self.request.environ.get(SENT_BODY, b"")
        return sent


class OpenAPIClient(FlaskClient):
    """A `FlaskClient` whose every exchange under `/api` is checked against the document."""

    def run_wsgi_app(self, environ: dict[str, Any], buffered: bool = False) -> Any:
        """Run the app, keeping a copy of the request body for the check."""
        stream = environ.get("wsgi.input")
        sent = stream.read() if stream is not None else b""
        environ[SENT_BODY] = sent
        environ["wsgi.input"] = BytesIO(sent)
        return super().run_wsgi_app(environ, buffered=buffered)

    def open(self, *args: Any, buffered: bool = False, follow_redirects: bool = False, **kwargs: Any) -> TestResponse:
        response = super().open(*args, buffered=buffered, follow_redirects=follow_redirects, **kwargs)
        check_exchange(self.application, response)
        return response


def check_exchange(app: Flask, response: TestResponse) -> None:
    """Raise `OpenAPIMismatch` when the document does not describe the request and its response."""
    request = response.request
    if not request.path.startswith(API) or request.method in FLASKS_OWN:
        return  # the dashboard and other pages are not the API; HEAD and OPTIONS are Flask's answers
    operation = operation_of(request.method, request.path)
    if operation is None:
        _check_undocumented(app, request, response)
        return
    sent, received = SentRequest(request), WerkzeugOpenAPIResponse(response)
    try:
        openapi().validate_response(sent, received)
    except OpenAPIError as error:
        raise OpenAPIMismatch(_explain(operation, "response", error, response)) from None
    if 200 <= response.status_code < 300:
        try:
            openapi().validate_request(sent)
        except OpenAPIError as error:
            raise OpenAPIMismatch(_explain(operation, "request (answered 2xx)", error, response)) from None


def _check_undocumented(app: Flask, request: Request, response: TestResponse) -> None:
    endpoint = _endpoint(app, request)
    if endpoint is not None and "." in endpoint:
        raise OpenAPIMismatch(
            f"{request.method} {request.path} is answered by the view {endpoint}, "
            "but the OpenAPI document has no operation for it"
        )
    if response.status_code >= 400:
        problems = _error_problems(response)
        if problems:
            where = f"{request.method} {request.path} (no operation in the document: {endpoint or 'no route'})"
            raise OpenAPIMismatch(_describe(where, "response", problems, response))


def _endpoint(app: Flask, request: Request) -> str | None:
    """The endpoint the app routes `request` to, or None (no route, or not for this method)."""
    adapter = app.create_url_adapter(app.request_class(request.environ))
    if adapter is None:
        return None
    try:
        rule, _ = adapter.match(return_rule=True)
    except HTTPException:  # NotFound, MethodNotAllowed, RequestRedirect
        return None
    return str(rule.endpoint)


def _error_problems(response: TestResponse) -> list[str]:
    """What keeps `response` from being the API's JSON Error."""
    if response.mimetype != "application/json":
        return [f"content type {response.mimetype!r}, not application/json"]
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return ["the body is not JSON"]
    schema = document()["components"]["schemas"]["Error"]
    return [f"{_path(error.absolute_path)}: {error.message}" for error in OAS31Validator(schema).iter_errors(body)]


def _explain(operation: str, what: str, error: OpenAPIError, response: TestResponse) -> str:
    details = getattr(error, "details", None)
    problems = [str(error)]
    if isinstance(details, dict) and details.get("schema_errors"):
        problems = [f"{_path(item['path'])}: {item['message']}" for item in details["schema_errors"]]
        problems.insert(0, f"{type(error).__name__}:")
    return _describe(operation, what, problems, response)


def _describe(where: str, what: str, problems: list[str], response: TestResponse) -> str:
    request = response.request
    query = f"?{request.query_string.decode()}" if request.query_string else ""
    body = response.get_data(as_text=True)
    shown = body if len(body) <= SHOWN_BODY else body[:SHOWN_BODY] + "…"
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return (
        f"OpenAPI mismatch in the {what} of {where}\n"
        f"  request: {request.method} {request.path}{query}\n"
        f"  answered: {response.status} {response.mimetype}\n"
        f"{lines}\n"
        f"  body: {shown}"
    )


def _path(parts: Any) -> str:
    return "/".join(str(part) for part in parts) or "(the body)"


@pytest.fixture(autouse=True)
def openapi_checked_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Flask app's test client is an `OpenAPIClient` during the test."""
    monkeypatch.setattr(Flask, "test_client_class", OpenAPIClient)
