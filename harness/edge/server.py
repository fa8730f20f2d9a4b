"""Serving a stack's distributions, each on its own loopback port, in this process (threads)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from harness.edge.app import EdgeApp
from harness.edge.functions import FunctionRuntime
from harness.edge.origins import HttpOrigins, S3Origins
from harness.edge.stack import EdgeStack

log = logging.getLogger(__name__)
HOST = "127.0.0.1"


class _Handler(WSGIRequestHandler):
    """Werkzeug's handler, speaking HTTP/1.1 (keep-alive) like CloudFront, logging to our log. An
    answer keeps the origin's `Server` and `Date` (as CloudFront passes them on); only an answer
    without them (the edge's own) gets the edge's."""

    protocol_version = "HTTP/1.1"
    _sent: set[str]

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self._sent = set()

    def send_header(self, keyword: str, value: str) -> None:
        if hasattr(self, "_sent"):
            self._sent.add(keyword.lower())
        super().send_header(keyword, value)

    def end_headers(self) -> None:
        sent = getattr(self, "_sent", None)
        if sent is not None:
            if "server" not in sent:
                super().send_header("Server", self.version_string())
            if "date" not in sent:
                super().send_header("Date", self.date_time_string())
            del self._sent
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info('%s "%s" %s %s', self.address_string(), self.requestline, code, size)

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's signature
        log.info("%s %s", self.address_string(), message % args)

    def version_string(self) -> str:
        return "imagepipe-edge"


class EdgeServer:
    """One threaded HTTP server per distribution of `stack`, on the distribution's port."""

    def __init__(self, stack: EdgeStack, region: str = "us-east-1") -> None:
        self.stack = stack
        self.s3 = S3Origins(stack.endpoint_url, region)
        self.http = HttpOrigins(aws_endpoint=stack.endpoint_url)
        self.functions = FunctionRuntime()  # one node for every distribution's functions
        self.apps = {
            site.distribution.port: EdgeApp(site, self.s3, self.http, functions=self.functions) for site in stack.sites
        }
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Bind every port (all or none: a port taken stops the start) and serve in threads."""
        try:
            for port, app in self.apps.items():
                self._servers.append(make_server(HOST, port, app, threaded=True, request_handler=_Handler))
        except (OSError, SystemExit) as error:  # werkzeug exits when a port is taken
            self.stop()
            raise OSError(f"the edge cannot listen on {HOST}: {error}") from None
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, name=f"edge-{server.server_port}", daemon=True)
            thread.start()
            self._threads.append(thread)
            log.info("serving distribution on http://%s:%d", HOST, server.server_port)

    def stop(self) -> None:
        for server in self._servers:
            if self._threads:  # serving: end its loop first (shutdown waits for a loop to end)
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []
        self.functions.close()

    @property
    def urls(self) -> list[str]:
        return [f"http://{HOST}:{port}" for port in self.apps]
