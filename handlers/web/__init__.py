"""The web tier: one WSGI app (Flask) serving the JSON API under `/api` and the dashboard.

`create_app(settings, services)` is the application factory: the settings say what the app is
(the session key, the tables), the services are what it talks to (the stores over boto3 clients),
so the tests give it moto-backed ones and the Lambda entry point real ones. One blueprint per
resource; errors are JSON `{"error", "detail"}` with the right status code.
"""

from __future__ import annotations

from handlers.web.app import WebSettings, create_app

__all__ = ["WebSettings", "create_app"]
