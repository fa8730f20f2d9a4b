"""The supervisor's side of LocalStack's runtime API: it listens for `POST /invoke` (JSON: invoke-id,
payload, invoked-function-arn, trace-id), answers 202 at once and queues the invocation; and it posts
to LocalStack's runtime endpoint (ready, an invocation's logs, response or error). Standard library
only: it runs with the Lambda runtime's Python."""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# typing.TYPE_CHECKING without importing typing at run time (annotations are not evaluated).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class RuntimeApi:
    """One execution environment's line to LocalStack: invocations in on `port`, results out to
    `endpoint`; `log` says what could not be posted."""

    def __init__(self, port: int, endpoint: str, log: Callable[[str], None]) -> None:
        self.port = port
        self.endpoint = endpoint.rstrip("/")
        self.log = log
        self.invocations: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.server: ThreadingHTTPServer | None = None

    def listen(self) -> None:
        """Serve `POST /invoke` on a thread of its own: each invocation goes to `invocations`."""
        invocations = self.invocations

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status = 202
                if self.path.rstrip("/") != "/invoke":
                    status = 404
                else:
                    try:
                        invocations.put(json.loads(body))
                    except ValueError:
                        status = 400
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()

    def post(self, path: str, body: bytes, retries: int = 3) -> None:
        """POST `body` to `path` of the runtime endpoint, `retries` times before it logs giving up."""
        url = f"{self.endpoint}{path}"
        for attempt in range(retries):
            try:
                request = urllib.request.Request(
                    url, data=body, method="POST", headers={"Content-Type": "application/json"}
                )
                with _opener.open(request, timeout=30) as response:
                    response.read()
                return
            except Exception as error:  # LocalStack busy or going away
                if attempt == retries - 1:
                    self.log(f"POST {url} failed: {error}")
                    return
                time.sleep(0.1 * (attempt + 1))
