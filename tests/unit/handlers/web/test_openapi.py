"""The API's OpenAPI document: a valid OpenAPI 3.1 document, complete (every route under /api is an
operation of it, every operation a route), served as written, its schemas and limits the code's; and
the validating test client (`openapi_client`) catching what does not match.

Every test here runs with the validating client (the autouse fixture imported below)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from handlers.contract import PENDING, REJECTED, REVIEW_STATUSES, ROLES, VERDICTS
from handlers.pipeline.uploads import Upload, placement_of
from handlers.stores.image_record import rejected
from handlers.stores.image_store import ImageStore
from handlers.stores.user_store import MAX_PASSWORD, USERNAME
from handlers.web import image_edits, images, presigned_posts, records_api, sessions
from handlers.web.app import WebSettings, create_app
from handlers.web.auth import STATE_CHANGING, csrf_exempt
from handlers.web.openapi import DOCUMENT
from tests.unit.handlers import records as examples
from tests.unit.handlers.conftest import IMAGES_TABLE
from tests.unit.handlers.web.conftest import sign_in
from tests.unit.handlers.web.openapi_client import (
    OpenAPIClient,
    OpenAPIMismatch,
    document,
    openapi_checked_clients,  # noqa: F401 (autouse: every client here validates)
)

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
SIGNED_IN: list[dict[str, list[str]]] = [{"session": []}]
CHANGING: list[dict[str, list[str]]] = [{"session": [], "csrf": []}]
ERROR = {"$ref": "#/components/schemas/Error"}


def bare_app() -> Flask:
    """The app without services: enough for the routes, the health check and the document."""
    return create_app(WebSettings(secret_key=b"k" * 32, secure_cookies=False), services=None)  # type: ignore[arg-type]


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation of the document."""
    for path, item in document()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def resolved(node: dict[str, Any]) -> dict[str, Any]:
    """`node`, or what its local `$ref` points at."""
    while "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = document()["components"]["schemas"][name]
    return found


def routes(app: Flask) -> dict[tuple[str, str], str]:
    """(OpenAPI path, method) → endpoint of every route of `app` under /api (HEAD and OPTIONS are
    Flask's own)."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method not in {"HEAD", "OPTIONS"}:
                found[(path, method.lower())] = rule.endpoint
    return found


# The document


def test_the_document_is_a_valid_openapi_3_1_document() -> None:
    validate(document())
    assert document()["openapi"].startswith("3.1.")


def test_every_route_is_documented_and_every_operation_is_a_route() -> None:
    routed = set(routes(bare_app()))
    documented = {(path, method) for path, method, _ in operations()}
    assert sorted(routed - documented) == [], "routes the document does not describe"
    assert sorted(documented - routed) == [], "operations the app does not have"


def test_operation_ids_are_unique() -> None:
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(ids) == len(set(ids))


def _operations() -> dict[str, tuple[str, dict[str, Any]]]:
    """Each operation by its id: (path, the operation)."""
    return {operation["operationId"]: (path, operation) for path, _, operation in operations()}


def _schema(response: dict[str, Any]) -> dict[str, Any]:
    return resolved(response["content"]["application/json"]["schema"])


def test_an_upload_leads_to_every_operation_on_its_image_by_links() -> None:
    operations = _operations()
    _, upload = operations["createUpload"]
    linked = {link["operationId"] for link in upload["responses"]["200"]["links"].values()}
    assert linked == {"getImage", "editImage", "reviewImage", "deleteImage"}
    for operation_id in ("getImage", "editImage", "reviewImage"):  # and from the image, to the others
        _, operation = operations[operation_id]
        followed = {link["operationId"] for link in operation["responses"]["200"]["links"].values()}
        assert followed == linked - {operation_id}


def test_every_link_names_an_operation_and_fills_its_parameters_from_the_answer_or_the_request() -> None:
    """A link fills each parameter of its target from a field the answer always has (and whose
    length the parameter takes), or passes on the same parameter of the request it answers (the
    next page of a list is the same list)."""
    count = 0
    for path, operation in _operations().values():
        asked = {p["name"]: p["schema"] for p in _parameters(path, operation)}
        for status, response in operation["responses"].items():
            for name, link in response.get("links", {}).items():
                count += 1
                target = {p["name"]: p["schema"] for p in _parameters(*_operations()[link["operationId"]])}
                for parameter, expression in link["parameters"].items():
                    where = (path, status, name, parameter)
                    assert parameter in target, where
                    if expression.startswith("$request.query."):
                        passed = expression.removeprefix("$request.query.")
                        assert resolved(asked[passed]) == resolved(target[parameter]), where
                        continue
                    field = expression.removeprefix("$response.body#/")
                    answered = _schema(response)
                    assert field in answered["required"], where
                    limit = resolved(target[parameter]).get("maxLength")
                    if limit is not None:
                        assert answered["properties"][field].get("maxLength", limit + 1) <= limit or (
                            "pattern" in answered["properties"][field]
                        ), where
    assert count >= 14


def _parameters(path: str, operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The parameters of an operation at `path`: its own and its path's, resolved."""
    item = document()["paths"][path]
    return [resolved(p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]


def test_the_served_document_is_the_file_and_needs_no_session() -> None:
    response = bare_app().test_client().get("/api/openapi.json")
    assert (response.status_code, response.mimetype) == (200, "application/json")
    assert response.get_data() == DOCUMENT.read_bytes()
    assert response.get_json() == document()


# Security and errors, operation by operation


def test_security_follows_the_csrf_check() -> None:
    """A state-changing operation needs the session and the token unless its view is CSRF-exempt
    (then it needs nothing: signing in); a read needs the session, or nothing."""
    app = bare_app()
    endpoints = routes(app)
    for path, method, operation in operations():
        view = app.view_functions[endpoints[(path, method)]]
        exempt = getattr(view, "csrf_exempt", False)
        security = operation.get("security")
        where = f"{method.upper()} {path}"
        if method.upper() in STATE_CHANGING:
            assert security == ([] if exempt else CHANGING), where
        else:
            assert not exempt and security in ([], SIGNED_IN), where


def test_who_must_be_signed_in_is_told_so() -> None:
    for path, method, operation in operations():
        where, responses = f"{method.upper()} {path}", operation["responses"]
        if operation.get("security"):
            assert error_codes(responses["401"]) == ["not-signed-in"], where
        if operation.get("security") == CHANGING:
            assert "csrf" in error_codes(responses["403"]), where


def test_every_error_answer_is_the_error_schema_and_every_operation_may_fail() -> None:
    for path, method, operation in operations():
        where, responses = f"{method.upper()} {path}", operation["responses"]
        assert "default" not in responses, where  # every status is declared, so a new one is noticed
        assert "500" in responses, where
        for status, response in responses.items():
            if int(status) >= 400:
                assert error_codes(response), f"{where} {status}"
        if "requestBody" in operation:  # bodies are JSON of at most 64 KiB
            assert {"413", "415"} <= set(responses), where
            assert list(operation["requestBody"]["content"]) == ["application/json"], where


def error_codes(response: dict[str, Any]) -> list[str]:
    """The `error` codes an error response allows (it must be the Error schema, narrowed)."""
    content = resolved(response)["content"]
    assert list(content) == ["application/json"]
    first, narrowed = content["application/json"]["schema"]["allOf"]
    assert first == ERROR
    code = narrowed["properties"]["error"]
    return [code["const"]] if "const" in code else list(code["enum"])


# Schemas and limits: the code's


def test_the_record_schema_has_exactly_the_fields_of_api_record() -> None:
    record = schema("Record")
    shown = records_api.api_record(examples.PENDING, None)
    assert list(record["properties"]) == list(shown)  # the same fields, in the same order
    assert record["required"] == list(shown)
    assert record["additionalProperties"] is False


def test_a_record_is_nullable_exactly_where_the_pipelines_first_write_may_leave_a_field_out(dynamodb: Any) -> None:
    store = ImageStore(IMAGES_TABLE, dynamodb)
    time = "2026-11-01T10:00:00.000Z"
    placed = Upload(bucket="b", key="uploads/ann/cat.jpg", sequencer="1", event_time=time, size=10, etag="e")
    stray = Upload(bucket="b", key="uploads/cat.jpg", sequencer="1", event_time=time, size=10, etag="e")
    assert store.record_upload(placed, placement_of(placed.key), PENDING)
    assert store.record_upload(stray, None, REJECTED, rejected("no owner in the key", "bad-key"))
    shown = [records_api.api_record(store.get(upload.image_id) or {}, None) for upload in (placed, stray)]
    always = {name for name in shown[0] if all(record[name] is not None for record in shown)}
    properties = schema("Record")["properties"]
    not_null = {name for name, field in properties.items() if not OAS31Validator(field).is_valid(None)}
    assert not_null == always
    for record in shown:
        assert record_problems(record) == []


@pytest.mark.parametrize("record", [examples.PENDING, examples.PROCESSED, examples.PASSED, examples.REJECTED_IN_REVIEW])
def test_api_records_of_every_kind_match_the_schema(record: dict[str, Any]) -> None:
    variants = {"thumbnail": {"width": 256, "height": 171}, "optimized": {"width": 1600, "height": 1067}}
    full = {**record, "uploaded_at": "2026-11-01T10:00:00.000Z", "variants": variants, "source_width": 3000}
    assert record_problems(records_api.api_record(full, "https://cdn.example")) == []
    assert record_problems({**records_api.api_record(full, None), "source_key": "uploads/ann/cat.jpg"})  # can fail


def record_problems(record: dict[str, Any]) -> list[str]:
    """What keeps `record` from matching the Record schema."""
    return [
        f"{list(error.absolute_path)}: {error.message}"
        for error in OAS31Validator(schema("Record")).iter_errors(record)
    ]


def test_lists_and_filters_take_the_codes_values() -> None:
    parameters = {p["name"]: p["schema"] for p in document()["paths"]["/api/images"]["get"]["parameters"]}
    assert (parameters["limit"]["maximum"], parameters["limit"]["default"]) == (
        records_api.MAX_LIMIT,
        records_api.DEFAULT_LIMIT,
    )
    assert parameters["cursor"]["maxLength"] == records_api.MAX_CURSOR
    assert parameters["status"]["enum"] == list(images.STATUSES)
    assert parameters["verdict"]["enum"] == list(REVIEW_STATUSES)
    assert schema("Record")["properties"]["status"]["enum"] == list(images.STATUSES)
    assert schema("Record")["properties"]["review_status"]["enum"] == [*REVIEW_STATUSES, None]
    assert schema("Username")["pattern"] == USERNAME.pattern


def test_request_bodies_take_the_fields_the_views_take() -> None:
    credentials = schema("Credentials")["properties"]
    assert list(credentials) == list(sessions.FIELDS)
    assert (credentials["username"]["maxLength"], credentials["password"]["maxLength"]) == (
        sessions.MAX_USERNAME,
        MAX_PASSWORD,
    )
    assert list(schema("User")["properties"]["role"]["enum"]) == list(ROLES)
    assert list(schema("MetadataEdit")["properties"]) == list(image_edits.EDITABLE)
    assert list(schema("ReviewVerdict")["properties"]) == list(image_edits.REVIEW_FIELDS)
    assert schema("ReviewVerdict")["properties"]["status"]["enum"] == list(VERDICTS)
    upload = schema("UploadRequest")["properties"]
    assert list(upload) == list(presigned_posts.FIELDS)
    assert upload["file_name"]["maxLength"] == presigned_posts.MAX_GIVEN_NAME
    content_type = re.compile(upload["content_type"]["pattern"])
    assert all(content_type.match(kind) for kind in presigned_posts.EXTENSIONS)
    assert not content_type.match("image/gif")


def test_the_session_schema_has_exactly_the_fields_signing_in_answers(client: FlaskClient) -> None:
    answered = sign_in(client).get_json()
    session = schema("Session")
    assert list(session["properties"]) == list(answered)  # the same fields, in the same order
    assert session["required"] == list(answered)
    assert session["properties"]["max_upload_bytes"]["minimum"] == 1
    assert schema("PresignedUpload")["properties"]["max_bytes"]["minimum"] == 1


# The validating client


@pytest.fixture
def bare() -> Flask:
    return bare_app()


def test_every_test_client_is_the_validating_one(bare: Flask, app: Flask) -> None:
    assert isinstance(bare.test_client(), OpenAPIClient) and isinstance(app.test_client(), OpenAPIClient)


def test_a_response_unlike_its_schema_is_reported_naming_the_operation(bare: Flask) -> None:
    bare.view_functions["health.is_healthy"] = lambda: {"status": "fine"}
    with pytest.raises(OpenAPIMismatch, match=r"response of GET /api/health \(getHealth\)[\s\S]*status"):
        bare.test_client().get("/api/health")


def test_a_status_the_operation_does_not_declare_is_reported(bare: Flask) -> None:
    bare.view_functions["health.is_healthy"] = lambda: ({"error": "teapot", "detail": "short and stout"}, 418)
    with pytest.raises(OpenAPIMismatch, match=r"GET /api/health \(getHealth\)[\s\S]*418"):
        bare.test_client().get("/api/health")


def test_an_error_unlike_the_error_schema_is_reported(bare: Flask) -> None:
    bare.view_functions["health.is_healthy"] = lambda: ({"message": "down"}, 500)
    with pytest.raises(OpenAPIMismatch, match="detail"):
        bare.test_client().get("/api/health")


def test_a_2xx_answer_to_a_request_the_document_refuses_is_reported(app: Flask, client: FlaskClient) -> None:
    app.view_functions["images.list_images"] = lambda: {"items": [], "next": None}
    sign_in(client)
    assert client.get("/api/images?limit=100").status_code == 200
    with pytest.raises(OpenAPIMismatch, match=r"request \(answered 2xx\) of GET /api/images \(listImages\)"):
        client.get("/api/images?limit=101")


def test_the_request_body_is_checked_as_it_was_sent(app: Flask, client: FlaskClient) -> None:
    user = {"username": "alice", "role": "photographer", "email": None}
    session = {"user": user, "csrf_token": "t", "max_upload_bytes": 1}
    app.view_functions["sessions.sign_in_with_password"] = csrf_exempt(
        lambda: (session, 200, {"Set-Cookie": "session=x"})
    )
    assert client.post("/api/session", json={"username": "alice", "password": "p"}).status_code == 200
    with pytest.raises(OpenAPIMismatch, match=r"POST /api/session \(signIn\)[\s\S]*role"):
        client.post("/api/session", json={"username": "alice", "password": "p", "role": "reviewer"})


def test_an_error_answer_to_a_bad_request_is_not_held_against_the_request(client: FlaskClient) -> None:
    response = client.post("/api/session", json={"username": 7, "password": None, "role": "reviewer"})
    assert response.status_code == 400  # the document refuses this request too: the answer is the point


def test_a_blueprints_route_missing_from_the_document_is_reported(bare: Flask) -> None:
    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/extra", "view", lambda: {"ok": True})
    bare.register_blueprint(extra, url_prefix="/api")
    with pytest.raises(OpenAPIMismatch, match=r"extra\.view"):
        bare.test_client().get("/api/extra")


def test_a_tests_own_route_is_not_judged_but_its_errors_are(bare: Flask) -> None:
    bare.add_url_rule("/api/test-only", "test_only", lambda: ("plain text", 200))
    bare.add_url_rule("/api/test-refusal", "test_refusal", lambda: ("plain text", 400))
    assert bare.test_client().get("/api/test-only").status_code == 200
    with pytest.raises(OpenAPIMismatch, match="no operation in the document"):
        bare.test_client().get("/api/test-refusal")


def test_unknown_paths_and_methods_must_answer_the_error_schema(bare: Flask) -> None:
    client = bare.test_client()
    assert client.get("/api/nothing-here").status_code == 404
    assert client.put("/api/health").status_code == 405
    html = bare_app()
    html.register_error_handler(404, lambda error: ("<h1>Not found</h1>", 404))
    with pytest.raises(OpenAPIMismatch, match="text/html"):
        html.test_client().get("/api/nothing-here")


def test_pages_outside_the_api_are_not_judged(bare: Flask) -> None:
    bare.add_url_rule("/dashboard-test", "dashboard_test", lambda: ("<h1>hello</h1>", 418))
    assert bare.test_client().get("/dashboard-test").status_code == 418


def test_flasks_own_head_and_options_answers_are_not_judged(bare: Flask) -> None:
    client = bare.test_client()
    assert client.head("/api/health").status_code == 200  # no body: not getHealth's answer, and not meant to be
    assert client.options("/api/images").status_code == 200
