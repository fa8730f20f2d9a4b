"""Signing in and out, `GET /api/me`, session expiry and cookies that are not the app's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from handlers.stores.user_store import MAX_SESSIONS, UserError, issued_at
from handlers.web import WebSettings, create_app
from handlers.web.services import Services
from tests.unit.handlers.web.conftest import (
    MAX_UPLOAD_BYTES,
    PASSWORD,
    SECRET_KEY,
    SESSION_SECONDS,
    START,
    Clock,
    csrf,
    sign_in,
)

ALICE = {"username": "alice", "role": "photographer", "email": "alice@example.com"}


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_sign_in_answers_the_user_and_a_csrf_token(client: FlaskClient) -> None:
    response = sign_in(client)
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == ALICE
    assert isinstance(body["csrf_token"], str) and len(body["csrf_token"]) >= 32
    assert client.get("/api/me").get_json() == body


def test_sign_in_and_me_answer_the_stacks_upload_limit(client: FlaskClient) -> None:
    # the services' limit (not the default), so the dashboard refuses what S3 would refuse
    assert sign_in(client).get_json()["max_upload_bytes"] == MAX_UPLOAD_BYTES
    assert client.get("/api/me").get_json()["max_upload_bytes"] == MAX_UPLOAD_BYTES


def test_the_session_cookie_is_http_only_strict_and_expires(client: FlaskClient) -> None:
    set_cookie = sign_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Expires=" in set_cookie
    assert "Secure" not in set_cookie  # these tests' settings: plain http
    assert PASSWORD not in set_cookie


def test_the_cookie_is_secure_when_the_settings_say_so(services: Services) -> None:
    app = create_app(WebSettings(secret_key=SECRET_KEY), services)
    assert "Secure" in sign_in(app.test_client()).headers["Set-Cookie"]


def test_a_reviewer_signs_in_as_one(client: FlaskClient) -> None:
    assert sign_in(client, "rita").get_json()["user"]["role"] == "reviewer"


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password"), ("nobody", PASSWORD)])
def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(
    client: FlaskClient, username: str, password: str
) -> None:
    response = sign_in(client, username, password)
    assert response.status_code == 401
    assert response.get_json() == {"error": "bad-credentials", "detail": "the user name or the password is wrong"}
    assert client.get_cookie("session") is None
    assert client.get("/api/me").status_code == 401


def test_me_needs_a_session(client: FlaskClient) -> None:
    response = client.get("/api/me")
    assert response.status_code == 401 and response.get_json()["error"] == "not-signed-in"


def test_sign_out_ends_the_session(client: FlaskClient) -> None:
    headers = csrf(client)
    response = client.delete("/api/session", headers=headers)
    assert response.status_code == 204
    assert client.get_cookie("session") is None
    assert client.get("/api/me").status_code == 401


def copy_of_cookie(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another client holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", session_cookie(client))
    return thief


def test_a_copy_of_the_cookie_is_refused_after_sign_out(app: Flask, client: FlaskClient) -> None:
    headers = csrf(client)
    thief = copy_of_cookie(app, client)
    assert thief.get("/api/me").status_code == 200
    assert client.delete("/api/session", headers=headers).status_code == 204
    refused = thief.get("/api/me")
    assert refused.status_code == 401 and "ended" in refused.get_json()["detail"]
    assert thief.patch("/api/images/x", json={"caption": "mine now"}, headers=headers).status_code == 401
    assert thief.delete("/api/session", headers=headers).status_code == 401


def test_sign_out_ends_only_that_session(app: Flask, client: FlaskClient) -> None:
    phone = app.test_client()
    sign_in(phone)
    headers = csrf(client)
    assert client.delete("/api/session", headers=headers).status_code == 204
    assert phone.get("/api/me").status_code == 200


def test_signing_out_everywhere_ends_every_session_of_the_user(app: Flask, client: FlaskClient) -> None:
    phone, reviewer = app.test_client(), app.test_client()
    sign_in(phone)
    sign_in(reviewer, "rita")
    headers = csrf(client)
    thief = copy_of_cookie(app, client)
    response = client.delete("/api/sessions", headers=headers)
    assert response.status_code == 204 and client.get_cookie("session") is None
    for ended in (client, phone, thief):
        assert ended.get("/api/me").status_code == 401
    assert reviewer.get("/api/me").status_code == 200  # another user's session is theirs
    assert client.delete("/api/sessions").status_code == 401  # signed out: nothing to end


def test_an_operator_signs_a_user_out_everywhere(client: FlaskClient, services: Services) -> None:
    sign_in(client)
    services.users.end_sessions("alice")
    refused = client.get("/api/me")
    assert refused.status_code == 401 and "ended" in refused.get_json()["detail"]
    assert sign_in(client).status_code == 200 and client.get("/api/me").status_code == 200
    with pytest.raises(UserError, match="no user 'nobody'"):
        services.users.end_sessions("nobody")


def test_the_cookie_is_set_by_signing_in_and_out_only(client: FlaskClient) -> None:
    signed_in = sign_in(client)
    assert "Set-Cookie" in signed_in.headers
    headers = {"X-CSRF-Token": signed_in.get_json()["csrf_token"]}
    for answer in (
        client.get("/api/me"),
        client.get("/api/images"),
        client.get("/api/health"),
        client.get("/"),
        client.patch("/api/images/nothing", json={"caption": "x"}, headers=headers),
    ):
        assert "Set-Cookie" not in answer.headers, answer.request.path
    assert "Set-Cookie" in client.delete("/api/session", headers=headers).headers


def test_every_answer_that_sets_or_clears_the_cookie_is_kept_by_no_cache(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    answers = [sign_in(client)]
    answers.append(client.delete("/api/session", headers={"X-CSRF-Token": answers[0].get_json()["csrf_token"]}))
    sign_in(client)
    clock.advance(SESSION_SECONDS)
    answers.append(client.get("/api/me"))  # expired: the cookie is cleared
    for answer in answers:
        assert "Set-Cookie" in answer.headers
        assert answer.headers["Cache-Control"] == "private, no-store"


def test_signing_in_drops_expired_sessions_and_the_oldest_beyond_the_limit(
    app: Flask, services: Services, clock: Clock
) -> None:
    sign_in(app.test_client())
    clock.advance(SESSION_SECONDS)  # that one has expired
    kept = []
    for _ in range(MAX_SESSIONS + 2):
        device = app.test_client()
        sign_in(device)
        kept.append(device)
        clock.advance(1)
    open_now = services.users.get("alice").sessions
    assert len(open_now) == MAX_SESSIONS
    assert min(issued_at(sid) for sid in open_now) == int(START + SESSION_SECONDS + 2)
    assert [device.get("/api/me").status_code for device in kept[:3]] == [401, 401, 200]
    assert kept[-1].get("/api/me").status_code == 200


def test_a_session_expires(client: FlaskClient, clock: Clock) -> None:
    sign_in(client)
    clock.advance(SESSION_SECONDS - 1)
    assert client.get("/api/me").status_code == 200
    clock.advance(1)
    response = client.get("/api/me")
    assert response.status_code == 401 and "expired" in response.get_json()["detail"]
    clock.advance(-SESSION_SECONDS)  # the expired session was dropped, not kept for a clock going back
    assert client.get("/api/me").status_code == 401


def test_a_session_from_the_future_is_refused(client: FlaskClient, clock: Clock) -> None:
    sign_in(client)
    clock.advance(-60)
    assert client.get("/api/me").status_code == 401


def test_the_cookie_signature_expires_too(app: Flask, client: FlaskClient) -> None:
    # Flask's own check of the cookie's signed timestamp (real time), besides the clock's
    sign_in(client)
    assert client.get("/api/me").status_code == 200
    app.permanent_session_lifetime = timedelta(seconds=-1)  # every cookie is older than that
    assert client.get("/api/me").status_code == 401


def forge(app: Flask, key: bytes, payload: dict[str, Any]) -> str:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    forger = URLSafeTimedSerializer(key, salt="cookie-session", signer_kwargs=serializer.signer_kwargs)
    forger.serializer = serializer.serializer
    return forger.dumps(payload)


def test_a_cookie_signed_with_another_key_is_refused(app: Flask, client: FlaskClient, clock: Clock) -> None:
    client.set_cookie("session", forge(app, b"x" * 32, {"user": "rita", "issued_at": int(clock()), "csrf": "t"}))
    assert client.get("/api/me").status_code == 401
    assert client.delete("/api/session", headers={"X-CSRF-Token": "t"}).status_code == 401


def test_the_same_payload_signed_with_the_key_is_accepted(
    app: Flask, client: FlaskClient, clock: Clock, services: Services
) -> None:
    # (so the refusal above is the key's doing; the session must be open on the server too)
    rita = services.users.get("rita")
    session_id = f"{int(clock())}.forged"
    services.users.start_session(rita, session_id, expired_before=0)
    payload = {"user": "rita", "issued_at": int(clock()), "sid": session_id, "csrf": "t", "credential": rita.credential}
    client.set_cookie("session", forge(app, SECRET_KEY, payload))
    assert client.get("/api/me").get_json()["user"]["username"] == "rita"


def test_a_cookie_signed_with_the_key_for_a_session_never_opened_is_refused(
    app: Flask, client: FlaskClient, clock: Clock, services: Services
) -> None:
    credential = services.users.get("rita").credential
    payload = {
        "user": "rita",
        "issued_at": int(clock()),
        "sid": f"{int(clock())}.x",
        "csrf": "t",
        "credential": credential,
    }
    client.set_cookie("session", forge(app, SECRET_KEY, payload))
    response = client.get("/api/me")
    assert response.status_code == 401 and "ended" in response.get_json()["detail"]


def test_a_session_without_a_csrf_token_is_refused(app: Flask, client: FlaskClient, clock: Clock) -> None:
    client.set_cookie("session", forge(app, SECRET_KEY, {"user": "alice", "issued_at": int(clock())}))
    assert client.get("/api/me").status_code == 401
    assert client.get_cookie("session") is None


def test_an_altered_cookie_is_refused(app: Flask, client: FlaskClient) -> None:
    sign_in(client)
    cookie = session_cookie(client)
    # payload.timestamp.signature, where a compressed payload starts with a dot of its own
    timestamp, signature = cookie.rsplit(".", 2)[1:]
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    data = serializer.loads(cookie)
    data["user"] = "rita"
    altered_payload = forge(app, SECRET_KEY, data).rsplit(".", 2)[0]
    client.set_cookie("session", f"{altered_payload}.{timestamp}.{signature}")  # rita's payload, alice's signature
    assert client.get("/api/me").status_code == 401
    signature_at = len(cookie) - 10  # inside the signature, clear of its last character's unused bits
    flipped = "A" if cookie[signature_at] != "A" else "B"
    client.set_cookie("session", cookie[:signature_at] + flipped + cookie[signature_at + 1 :])
    assert client.get("/api/me").status_code == 401


def test_a_removed_user_is_signed_out(client: FlaskClient, services: Services) -> None:
    sign_in(client)
    services.users.remove("alice")
    assert client.get("/api/me").status_code == 401


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(client: FlaskClient, services: Services) -> None:
    sign_in(client)
    services.users.set_password("alice", "another long password")
    refused = client.get("/api/me")
    assert refused.status_code == 401 and "password has changed" in refused.get_json()["detail"]
    assert client.get_cookie("session") is None
    assert sign_in(client, "alice", "another long password").status_code == 200
    assert client.get("/api/me").status_code == 200


def test_signing_in_again_starts_a_new_session(client: FlaskClient) -> None:
    first = sign_in(client).get_json()["csrf_token"]
    second = sign_in(client, "rita").get_json()
    assert second["user"]["username"] == "rita" and second["csrf_token"] != first


def test_sign_in_needs_json(client: FlaskClient) -> None:
    response = client.post("/api/session", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 415 and response.get_json()["error"] == "unsupported-media-type"
    response = client.post(
        "/api/session", data=f'{{"username": "alice", "password": "{PASSWORD}"}}', content_type="text/plain"
    )
    assert response.status_code == 415
    assert client.get_cookie("session") is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "alice"}, "password"),
        ({"username": 7, "password": PASSWORD}, "username"),
        ({"username": "", "password": PASSWORD}, "username"),
        ({"username": "x" * 129, "password": PASSWORD}, "username"),
        ({"username": "alice", "password": None}, "password"),
        ({"username": "alice", "password": ""}, "password"),
        ({"username": "alice", "password": "x" * 1025}, "password"),
        ({"username": "alice", "password": PASSWORD, "role": "reviewer"}, "role"),
        (["alice", PASSWORD], "body"),
        ("alice", "body"),
    ],
)
def test_bad_fields_are_400_naming_the_field(client: FlaskClient, body: Any, field: str) -> None:
    response = client.post("/api/session", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad-request"
    assert response.get_json()["detail"].startswith(f"{field}: ")


def test_a_body_that_is_not_json_is_400(client: FlaskClient) -> None:
    response = client.post("/api/session", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["detail"].startswith("body: ")


def test_an_oversized_body_is_413_as_json(client: FlaskClient) -> None:
    response = client.post("/api/session", json={"username": "alice", "password": "x" * 70_000})
    assert response.status_code == 413
    assert response.get_json()["error"] == "request-entity-too-large"
