"""Signing in and out: `POST /api/session`, `DELETE /api/session`, `DELETE /api/sessions`, `GET /api/me`.

`POST /api/session` takes JSON `{"username", "password"}` (`Content-Type: application/json`, 415
otherwise: a cross-site form cannot send it) and answers `{"user", "csrf_token", "max_upload_bytes"}`
with the session cookie (the byte limit lets the dashboard refuse a file too large before sending
it); an unknown user and a wrong password get the same 401 `bad-credentials`; a user name with too
many recent failures gets 429 with `Retry-After` (see `handlers.stores.lockouts`). `DELETE` signs out
(204; it is a state-changing request, so it needs the CSRF token): the session ends on the server,
so a copy of its cookie is refused from then on. `DELETE /api/sessions` signs the caller out
everywhere: every session of theirs ends (204). `GET /api/me` answers the same as
signing in (the user, the CSRF token, the byte limit), for a client that has only the cookie.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue

from handlers.stores.lockouts import AttemptRefused
from handlers.stores.user_store import MAX_PASSWORD, User, UserError
from handlers.web.auth import csrf_exempt, csrf_token, current_user, sign_in, sign_out, sign_out_everywhere
from handlers.web.errors import BadCredentials, BadInput, TooManyAttempts
from handlers.web.json_body import json_object
from handlers.web.services import services

sessions = Blueprint("sessions", __name__)
log = logging.getLogger(__name__)  # who failed or was refused; never a password

MAX_USERNAME = 128
FIELDS = ("username", "password")


@sessions.post("/session")
@csrf_exempt
def sign_in_with_password() -> ResponseReturnValue:
    username, password = _credentials()
    try:  # counted before the password is checked, so guesses sent at once are held to the policy too
        attempt = services().lockouts.attempt(username, services().clock())
    except AttemptRefused as refused:
        log.warning("sign-in refused: user name %r must wait %d s after repeated failures", username, refused.wait)
        raise TooManyAttempts(refused.wait) from None
    user = services().users.authenticate(username, password)
    if user is None:
        log.warning("sign-in failed: user name %r, failure %d in a row", username, attempt)
        raise BadCredentials()
    services().lockouts.succeeded(username)
    try:
        token = sign_in(user)
    except UserError:  # removed between the password check and the session's start
        raise BadCredentials() from None
    log.info("signed in: %r", user.username)
    return _session(user, token)


@sessions.delete("/session")
def sign_out_now() -> ResponseReturnValue:
    sign_out()
    return Response(status=204)


@sessions.delete("/sessions")
def sign_out_everywhere_now() -> ResponseReturnValue:
    """End every session of the caller, on every device (this one too)."""
    log.info("signed out everywhere: %r", current_user().username)
    sign_out_everywhere()
    return Response(status=204)


@sessions.get("/me")
def me() -> ResponseReturnValue:
    return _session(current_user(), csrf_token())


def _credentials() -> tuple[str, str]:
    """The user name and password a sign-in sends, its body read as every JSON body is
    (`handlers.web.json_body`); `BadInput` naming what is wrong."""
    body = json_object(FIELDS)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not 1 <= len(username) <= MAX_USERNAME:
        raise BadInput("username", f"a string of 1 to {MAX_USERNAME} characters")
    if not isinstance(password, str) or not 1 <= len(password) <= MAX_PASSWORD:
        raise BadInput("password", f"a string of 1 to {MAX_PASSWORD} characters")
    return username, password


def _session(user: User, token: str) -> ResponseReturnValue:
    """What signing in and `GET /api/me` answer: the user, the session's CSRF token, and the largest
    upload the stack takes (in bytes)."""
    return jsonify(user=_user(user), csrf_token=token, max_upload_bytes=services().max_upload_bytes)


def _user(user: User) -> dict[str, Any]:
    return {"username": user.username, "role": user.role, "email": user.email}
