"""The web function's Lambda entry point against moto: API Gateway proxy events (REST, v1) in,
proxy responses out, through apig-wsgi and the app the deployed function builds (settings from the
environment, the session key made in Secrets Manager on first use)."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest

from handlers.contract import Env
from handlers.stores.user_store import UserStore
from tests.unit.handlers.conftest import IMAGES_TABLE, fresh
from tests.unit.tables import create_users_table

USERS_TABLE, BUCKET = "users", "images"


@pytest.fixture
def api(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    create_users_table(aws.dynamodb, USERS_TABLE)
    UserStore(USERS_TABLE, aws.dynamodb).add("ann", "a long password", email="ann@example.com")
    secret = boto3.client("secretsmanager").create_secret(Name="session-key")["ARN"]
    for name, value in {
        Env.IMAGES_TABLE: IMAGES_TABLE,
        Env.USERS_TABLE: USERS_TABLE,
        Env.SESSION_SECRET_ARN: secret,
        Env.IMAGES_BUCKET: BUCKET,
        Env.MAX_UPLOAD_BYTES: "1000000",
        Env.IMAGES_BASE_URL: "https://cdn.example",
        Env.SERVICE_NAME: "web",
    }.items():
        monkeypatch.setenv(name, value)
    return fresh("handlers.web.lambda_entry")


def event(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A REST API proxy event, as API Gateway sends one for `/{proxy+}`."""
    headers = {"Host": "api.example", "X-Forwarded-Proto": "https", **(headers or {})}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {"stage": "live", "path": f"/live{path}", "httpMethod": method, "requestId": "r1"},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def test_a_request_is_answered_by_the_app(api: Any, context: Any) -> None:
    response = api.handler(event("GET", "/api/health"), context)
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"status": "ok"}


def test_the_dashboards_text_assets_go_out_as_text(api: Any, context: Any) -> None:
    page = api.handler(event("GET", "/"), context)
    assert page["statusCode"] == 200 and not page["isBase64Encoded"]
    for asset in re.findall(r'/assets/[^"]+', page["body"]):
        answer = api.handler(event("GET", asset), context)
        assert answer["statusCode"] == 200 and not answer["isBase64Encoded"], (asset, answer["headers"])


def test_a_session_signed_in_through_the_function_carries_on(api: Any, context: Any) -> None:
    signed_in = api.handler(event("POST", "/api/session", {"username": "ann", "password": "a long password"}), context)
    assert signed_in["statusCode"] == 200
    (cookie,) = signed_in["multiValueHeaders"]["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie  # the CDN is https
    me = api.handler(event("GET", "/api/me", headers={"Cookie": cookie.split(";")[0]}), context)
    assert me["statusCode"] == 200 and json.loads(me["body"])["user"]["username"] == "ann"


def test_the_session_key_is_made_once_and_kept_in_secrets_manager(api: Any, context: Any) -> None:
    api.handler(event("GET", "/api/health"), context)
    stored = boto3.client("secretsmanager").get_secret_value(SecretId="session-key")["SecretString"]
    assert len(stored) >= 32
    again = fresh("handlers.web.lambda_entry")  # another instance, started later, reads the same key
    signed_in = again.handler(
        event("POST", "/api/session", {"username": "ann", "password": "a long password"}), context
    )
    cookie = signed_in["multiValueHeaders"]["Set-Cookie"][0].split(";")[0]
    assert api.handler(event("GET", "/api/me", headers={"Cookie": cookie}), context)["statusCode"] == 200


def test_without_its_settings_the_function_fails_at_import(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers.runtime.settings import SettingMissing

    for name in (Env.USERS_TABLE, Env.SESSION_SECRET_ARN):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(Env.IMAGES_TABLE, IMAGES_TABLE)
    with pytest.raises(SettingMissing, match="USERS_TABLE is not set"):
        fresh("handlers.web.lambda_entry")
