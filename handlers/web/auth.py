"""Who is asking, and the CSRF defence every state-changing request goes through.

A session is Flask's signed cookie (HttpOnly, SameSite=Strict, Secure over https) holding the user
name, when it was issued (by `Services.clock`) and its CSRF token. `current_user()` answers the
signed-in user, read from the users table on each request, so a removed user is signed out at once;
an altered or forged cookie reads as no session, one older than `WebSettings.session_seconds` as an
expired one, one signed in before the user's password last changed as ended: all are `NotSignedIn`
(401).

CSRF: `init_app` installs a check before every POST, PUT, PATCH and DELETE: the caller must be signed
in (401 otherwise) and send the session's token in the `X-CSRF-Token` header (403 `csrf` otherwise,
compared in constant time). Views are protected by default; only signing in opts out, with
`@csrf_exempt` (it has no session yet: SameSite=Strict and its required JSON content type defend it).
A blueprint needs nothing more than calling `current_user()` in its views.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app, g, request, session

from handlers.web.errors import Forbidden, NotSignedIn
from handlers.web.services import services

if TYPE_CHECKING:
    from flask import Flask

    from handlers.web.users import User

CSRF_HEADER = "X-CSRF-Token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SETTINGS = "imagepipe.settings"

# What the signed session cookie holds.
USER, ISSUED_AT, CSRF, CREDENTIAL = "user", "issued_at", "csrf", "credential"

View = TypeVar("View", bound=Callable[..., Any])


def csrf_exempt(view: View) -> View:
    """Mark a view as needing no CSRF token (signing in only)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def sign_in(user: User) -> str:
    """Start a session for `user` (a fresh one: nothing of a previous session is kept); answers its
    CSRF token."""
    session.clear()
    token = secrets.token_urlsafe(32)
    session.permanent = True  # the cookie expires after PERMANENT_SESSION_LIFETIME
    session.update({USER: user.username, ISSUED_AT: int(services().clock()), CSRF: token, CREDENTIAL: user.credential})
    g.imagepipe_user = user
    return token


def sign_out() -> None:
    """End the session (the cookie is removed)."""
    session.clear()
    g.pop("imagepipe_user", None)


def current_user() -> User:
    """The signed-in user; `NotSignedIn` when there is no session, it has expired, its cookie was
    altered, or the user no longer exists."""
    user: User | None = g.get("imagepipe_user")
    if user is not None:
        return user
    username = session.get(USER)
    issued_at = session.get(ISSUED_AT)
    if not isinstance(username, str) or not isinstance(issued_at, int):
        raise NotSignedIn("sign in first: POST /api/session")
    age = services().clock() - issued_at
    if not 0 <= age < current_app.extensions[SETTINGS].session_seconds:
        session.clear()
        raise NotSignedIn("the session has expired: sign in again")
    user = services().users.get(username)
    if user is None:
        session.clear()
        raise NotSignedIn("sign in first: POST /api/session")
    if not hmac.compare_digest(str(session.get(CREDENTIAL, "")), user.credential):
        session.clear()
        raise NotSignedIn("the password has changed since this session signed in: sign in again")
    g.imagepipe_user = user
    return user


def csrf_token() -> str:
    """The session's CSRF token (for the login answer and `GET /api/me`)."""
    current_user()
    token = session.get(CSRF)
    if not isinstance(token, str):  # a session without one is not one this app made
        session.clear()
        raise NotSignedIn("sign in first: POST /api/session")
    return token


def check_csrf() -> None:
    """Refuse a state-changing request without the session's token: 401 when not signed in, 403
    `csrf` when the header is missing or wrong. `init_app` runs this before every such request."""
    if request.method not in STATE_CHANGING:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "csrf_exempt", False):
        return  # an unknown path answers 404/405 as it is
    current_user()
    expected = session.get(CSRF)
    sent = request.headers.get(CSRF_HEADER, "")
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(f"a state-changing request sends the {CSRF_HEADER} header of the session", error="csrf")


def init_app(app: Flask) -> None:
    """Install the CSRF check before every request of `app`."""
    app.before_request(check_csrf)
