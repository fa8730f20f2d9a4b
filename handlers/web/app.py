"""The application factory and what every request shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import RequestRedirect

from handlers.web import auth
from handlers.web.errors import ApiError
from handlers.web.services import EXTENSION, Services


@dataclass(frozen=True)
class WebSettings:
    """What the app is: the key that signs its sessions and cursors (from Secrets Manager, never
    from code or plain config), how long a session lasts, and whether cookies are https-only."""

    secret_key: bytes
    session_seconds: int = 8 * 3600
    secure_cookies: bool = True

    def __post_init__(self) -> None:
        if len(self.secret_key) < 32:
            raise ValueError("the session key must be at least 32 bytes")


def create_app(settings: WebSettings, services: Services) -> Flask:
    """The app, with its blueprints registered and the CSRF check installed; `services` carries
    the stores it works with (`handlers.web.services.services()` in a request)."""
    app = Flask(__name__, static_folder=None)  # the dashboard serves its own files, at /assets/
    _no_automatic_redirects(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=64 * 1024,  # the API takes small JSON bodies only; uploads go to S3 directly
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=settings.session_seconds,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # fields in the order the API gives them
    app.extensions[EXTENSION] = services
    app.extensions[auth.SETTINGS] = settings
    auth.init_app(app)

    from handlers.web.dashboard import dashboard
    from handlers.web.health import health
    from handlers.web.image_edits import image_edits
    from handlers.web.images import images
    from handlers.web.openapi import openapi
    from handlers.web.presigned_posts import uploads
    from handlers.web.sessions import sessions

    app.register_blueprint(health, url_prefix="/api")
    app.register_blueprint(images, url_prefix="/api")
    app.register_blueprint(image_edits, url_prefix="/api")
    app.register_blueprint(openapi, url_prefix="/api")
    app.register_blueprint(sessions, url_prefix="/api")
    app.register_blueprint(uploads, url_prefix="/api")
    app.register_blueprint(dashboard)  # the page at / (and the client's routes), its files at /assets/

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Any:
        return jsonify(error=error.error, detail=error.detail), error.status, error.headers

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        name = (error.name or "error").lower().replace(" ", "-")
        return jsonify(error=name, detail=error.description), error.code or 500

    return app


def _no_automatic_redirects(app: Flask) -> None:
    """No answer of the app is a redirect Werkzeug's routing makes by itself: a path that differs
    from a route only by a doubled slash (`/view//x`) or a missing trailing slash is unknown, 404
    like any unknown path, and a path matching a route with defaults is that route's answer.

    Werkzeug would answer those with 308 to an absolute URL built from the Host header, which behind
    the CDN is the origin's (API Gateway's host, without its stage; the load balancer's), sending the
    client off the CDN to a URL that does not work. With `merge_slashes` and `redirect_defaults` off
    for the routes registered from here on, what routing can still redirect (a route ending in `/`,
    asked for without it) is
    answered 404 by a check before every request."""
    app.url_map.merge_slashes = False
    app.url_map.redirect_defaults = False

    @app.before_request
    def unknown_instead_of_redirect() -> None:
        if isinstance(request.routing_exception, RequestRedirect):
            raise NotFound()
