"""The application factory: JSON errors, cookie settings, the health check."""

from __future__ import annotations

import pytest

from handlers.web import WebSettings, create_app


@pytest.fixture
def client():
    app = create_app(WebSettings(secret_key=b"k" * 32), services=None)
    return app.test_client()


def test_health_answers_ok(client):
    response = client.get("/api/health")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_an_unknown_path_is_a_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not-found"


def test_a_short_session_key_is_refused():
    with pytest.raises(ValueError, match="at least 32 bytes"):
        WebSettings(secret_key=b"short")


def test_session_cookies_are_http_only_strict_and_secure():
    app = create_app(WebSettings(secret_key=b"k" * 32), services=None)
    assert (app.config["SESSION_COOKIE_HTTPONLY"], app.config["SESSION_COOKIE_SAMESITE"]) == (True, "Strict")
    assert app.config["SESSION_COOKIE_SECURE"] is True
