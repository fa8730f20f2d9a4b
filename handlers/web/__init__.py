"""The web tier: one WSGI app (Flask) serving the JSON API under `/api` (and, later, the dashboard).

`create_app(settings, services)` is the application factory: the settings say what the app is
(the session key, the tables), the services are what it talks to (the stores over boto3 clients),
so the tests give it moto-backed ones and the Lambda entry point real ones. One blueprint per
resource; errors are JSON `{"error", "detail"}` with the right status code.

`WebSettings` and `create_app` are loaded on first use (PEP 562), so a tool that needs only the
users (`python -m harness users`) does not load Flask.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WebSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from handlers.web import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
