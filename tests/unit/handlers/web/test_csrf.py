"""CSRF: every state-changing request but signing in sends the session's token in X-CSRF-Token."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from handlers.web.auth import csrf_exempt, current_user
from tests.unit.handlers.web.conftest import csrf, sign_in


def test_the_right_token_is_accepted(client: FlaskClient) -> None:
    assert client.delete("/api/session", headers=csrf(client)).status_code == 204


def test_the_token_of_me_is_the_token_of_the_sign_in(client: FlaskClient) -> None:
    headers = csrf(client)
    assert client.get("/api/me").get_json()["csrf_token"] == headers["X-CSRF-Token"]


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "not-the-token"}])
def test_a_missing_or_wrong_token_is_403(client: FlaskClient, headers: dict[str, str]) -> None:
    sign_in(client)
    response = client.delete("/api/session", headers=headers)
    assert response.status_code == 403 and response.get_json()["error"] == "csrf"
    assert client.get("/api/me").status_code == 200  # still signed in


def test_the_token_of_another_session_is_refused(app: Flask, client: FlaskClient) -> None:
    other = app.test_client()
    headers = csrf(other, "rita")
    sign_in(client)
    assert client.delete("/api/session", headers=headers).status_code == 403


def test_a_new_session_has_a_new_token(client: FlaskClient) -> None:
    old = csrf(client)
    sign_in(client)
    assert client.delete("/api/session", headers=old).status_code == 403


def test_not_signed_in_is_401_before_csrf(client: FlaskClient) -> None:
    response = client.delete("/api/session", headers={"X-CSRF-Token": "anything"})
    assert response.status_code == 401 and response.get_json()["error"] == "not-signed-in"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_every_state_changing_method_of_every_view_is_checked(app: Flask, method: str) -> None:
    @app.route("/api/test-change", methods=[method])
    def change() -> dict[str, str]:
        return {"by": current_user().username}

    @app.route("/api/test-exempt", methods=[method])
    @csrf_exempt
    def exempt() -> dict[str, str]:
        return {"ok": "yes"}

    client = app.test_client()
    headers = csrf(client)
    assert client.open("/api/test-change", method=method).status_code == 403
    assert client.open("/api/test-change", method=method, headers=headers).get_json() == {"by": "alice"}
    assert client.open("/api/test-exempt", method=method).status_code == 200
    assert client.get("/api/me").status_code == 200  # reads need no token


def test_an_unknown_path_is_404_not_csrf(client: FlaskClient) -> None:
    sign_in(client)
    assert client.post("/api/nothing-here").status_code == 404


def test_a_method_a_path_does_not_take_is_405_not_csrf(client: FlaskClient) -> None:
    sign_in(client)
    response = client.put("/api/session")
    assert response.status_code == 405 and response.get_json()["error"] == "method-not-allowed"
