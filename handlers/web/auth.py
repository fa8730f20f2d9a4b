"""Who is asking, and the CSRF defence every state-changing request goes through.

A session is Flask's signed cookie (HttpOnly, SameSite=Strict, Secure over https) holding the user
name, when it was issued (by `Services.clock`), its id and its CSRF token; the user's item in the
users table lists the ids of their open sessions (`handlers.stores.user_store`). `current_user()` answers the
signed-in user, read from the users table on each request, so a removed user is signed out at once;
an altered or forged cookie reads as no session, one older than `WebSettings.session_seconds` as an
expired one, one signed in before the user's password last changed, or whose id the user's item no
longer lists (signed out, here or everywhere), as ended: all are `NotSignedIn` (401). A copy of the
cookie taken before sign-out is worth nothing after it.

The cookie is set by signing in and cleared by signing out (or by a request whose session has
ended); it is never re-sent on other answers (`SESSION_REFRESH_EACH_REQUEST` off), and every answer
that sets or clears it is `Cache-Control: private, no-store`, so no cache can keep it for another.

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
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from handlers.web.errors import Forbidden, NotSignedIn
from handlers.web.services import services

if TYPE_CHECKING:
    from flask import Flask, Response

    from handlers.stores.user_store import User
    from handlers.web.app import WebSettings

CSRF_HEADER = "X-CSRF-Token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SETTINGS = "imagepipe.settings"

# What the signed session cookie holds.
USER, ISSUED_AT, SESSION_ID, CSRF, CREDENTIAL = "user", "issued_at", "sid", "csrf", "credential"
# What every answer that sets or clears the cookie says to caches: keep none of it.
NO_STORE = "private, no-store"

View = TypeVar("View", bound=Callable[..., Any])


def csrf_exempt(view: View) -> View:
    """Mark a view as needing no CSRF token (signing in only)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def sign_in(user: User) -> str:
    """Start a session for `user` (a fresh one: nothing of a previous session is kept), recorded as
    open in the users table; answers its CSRF token."""
    session.clear()
    now = int(services().clock())
    session_id = f"{now}.{secrets.token_urlsafe(18)}"
    services().users.start_session(user, session_id, expired_before=now - _settings().session_seconds)
    token = secrets.token_urlsafe(32)
    session.permanent = True  # the cookie expires after PERMANENT_SESSION_LIFETIME
    session.update(
        {USER: user.username, ISSUED_AT: now, SESSION_ID: session_id, CSRF: token, CREDENTIAL: user.credential}
    )
    g.imagepipe_user = user
    return token


def sign_out() -> None:
    """End the caller's session on the server and remove its cookie."""
    user = current_user()
    services().users.end_session(user.username, str(session[SESSION_ID]))
    _forget()


def sign_out_everywhere() -> None:
    """End every session of the caller (this one included) and remove this one's cookie."""
    services().users.end_sessions(current_user().username)
    _forget()


def current_user() -> User:
    """The signed-in user; `NotSignedIn` when there is no session, it has expired or ended, its
    cookie was altered, or the user no longer exists."""
    user: User | None = g.get("imagepipe_user")
    if user is not None:
        return user
    username, issued_at, session_id = session.get(USER), session.get(ISSUED_AT), session.get(SESSION_ID)
    if not isinstance(username, str) or not isinstance(issued_at, int) or not isinstance(session_id, str):
        if session:  # a signed cookie, but not a session this app made
            _forget()
        raise NotSignedIn("sign in first: POST /api/session")
    age = services().clock() - issued_at
    if not 0 <= age < _settings().session_seconds:
        _forget()
        raise NotSignedIn("the session has expired: sign in again")
    user = services().users.get(username)
    if user is None:
        _forget()
        raise NotSignedIn("sign in first: POST /api/session")
    if not hmac.compare_digest(str(session.get(CREDENTIAL, "")), user.credential):
        _forget()
        raise NotSignedIn("the password has changed since this session signed in: sign in again")
    if session_id not in user.sessions:
        _forget()
        raise NotSignedIn("this session has ended (signed out): sign in again")
    g.imagepipe_user = user
    return user


def csrf_token() -> str:
    """The session's CSRF token (for the login answer and `GET /api/me`)."""
    current_user()
    token = session.get(CSRF)
    if not isinstance(token, str):  # a session without one is not one this app made
        _forget()
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


class NoStoreSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, where an answer that sets or clears the cookie is also marked
    `Cache-Control: private, no-store`: a session must never be kept by a cache and handed to
    someone else. (The cookie is written after every `after_request` hook, so this is where to.)"""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        super().save_session(app, session, response)
        if "Set-Cookie" in response.headers:
            response.headers["Cache-Control"] = NO_STORE


def init_app(app: Flask) -> None:
    """Install the CSRF check before every request of `app`, and sessions whose cookie no cache keeps."""
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False  # the cookie goes out when signing in or out only
    app.session_interface = NoStoreSessions()
    app.before_request(check_csrf)


def _forget() -> None:
    """Drop the session from this request (its cookie is cleared in the answer)."""
    session.clear()
    g.pop("imagepipe_user", None)


def _settings() -> WebSettings:
    settings: WebSettings = current_app.extensions[SETTINGS]
    return settings
