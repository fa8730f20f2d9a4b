"""Lambda entry point of the web function: the Flask app (handlers/web) behind API Gateway's Lambda
proxy integration, through apig-wsgi.

The settings are read at import, so a misconfigured function fails at once; the app (and with it the
AWS clients and the session key) is made on the first request and kept for the instance's life, or,
in a SnapStart init (handlers/runtime/snapstart.py), at import, so that it is in the snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apig_wsgi import DEFAULT_NON_BINARY_CONTENT_TYPE_PREFIXES, make_lambda_handler
from aws_lambda_powertools import Logger

from handlers.runtime import gc_pause, snapstart
from handlers.web.environment import WebFunctionSettings, app_from_environment, read_session_key

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Answers of these types go out as text; any other (an image) base64-encoded, which API Gateway
# decodes for a client whose Accept matches the API's binary media types. An SVG icon is text: sent
# base64 it would reach a browser as base64 wherever API Gateway keeps it (LocalStack skips `*/*`).
TEXT = (*DEFAULT_NON_BINARY_CONTENT_TYPE_PREFIXES, "image/svg+xml", "application/javascript", "application/xml")

logger = Logger()
settings = WebFunctionSettings.from_environment()
_serve: Any = None
_app: Any = None


def serve() -> Any:
    """The app behind apig-wsgi: made once, then the same."""
    global _serve, _app
    if _serve is None:
        try:
            _app = app_from_environment(settings)
        finally:  # the init is over (or failed): what it made is frozen, the collector back on
            gc_pause.resume()
        _serve = make_lambda_handler(_app, binary_support=True, non_binary_content_type_prefixes=TEXT)
    return _serve


def reread_session_key() -> None:
    """After a restore, the key Secrets Manager holds now: the snapshot's is the one current when the
    version was published, and a key rotated since would otherwise never reach the copies restored
    from it (sessions signed with the new key refused, the old key's still accepted)."""
    if _app is not None:
        _app.config["SECRET_KEY"] = read_session_key(settings)


snapstart.prepare_snapshot(serve, after_restore=[logger.refresh_sample_rate_calculation, reread_session_key])


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = serve()(event, context)
    return response
