"""A stand-in for an Application Load Balancer on one machine: one listener, one target group.

It health-checks each target as the target group says (path, interval, healthy and unhealthy
thresholds, timeout, the status that passes): a new target is unhealthy until it passes `healthy`
checks in a row, a healthy one is taken out after `unhealthy` failures in a row. Requests go round
robin over the healthy targets, with `X-Forwarded-For` (the client's address appended),
`X-Forwarded-Proto` and `X-Forwarded-Port` added, and are answered as ALB answers what goes wrong:
503 when no target is healthy, 502 when the target refuses or breaks the connection or answers
something that is not HTTP, 504 when it does not answer within the idle timeout. What it does not
do: TLS, rules beyond forwarding everything, slow start, stickiness, cross-zone accounting.
"""

from __future__ import annotations

import http.client
import itertools
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from components.balancer import HealthCheckSettings
from harness.edge.exchange import HOP_BY_HOP

HOST = "127.0.0.1"


@dataclass(frozen=True)
class HealthCheck:
    """A target group's health check, as the stack declares it (components/balancer.py): the path,
    seconds between checks, passes and failures in a row that count, seconds a check may take."""

    path: str
    interval: float
    healthy_threshold: int
    unhealthy_threshold: int
    timeout: float
    matcher: int = 200

    @classmethod
    def declared(cls, settings: HealthCheckSettings) -> HealthCheck:
        return cls(
            settings.path,
            settings.interval,
            settings.healthy_threshold,
            settings.unhealthy_threshold,
            settings.timeout,
            int(settings.matcher),
        )


@dataclass
class Target:
    """One registered target: where it listens, and what its checks say so far."""

    id: str
    port: int
    host: str = HOST
    healthy: bool = False
    passes: int = 0
    failures: int = 0
    requests: int = 0

    def record(self, passed: bool, check: HealthCheck) -> None:
        """Count one check: `healthy` after enough passes in a row, unhealthy after enough failures."""
        self.passes, self.failures = (self.passes + 1, 0) if passed else (0, self.failures + 1)
        if passed and self.passes >= check.healthy_threshold:
            self.healthy = True
        elif not passed and self.failures >= check.unhealthy_threshold:
            self.healthy = False


@dataclass
class TargetGroup:
    """The targets and their health check; round robin over the healthy ones."""

    check: HealthCheck = field(default_factory=lambda: HealthCheck.declared(HealthCheckSettings()))
    targets: dict[str, Target] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _turns: Iterator[int] = field(default_factory=itertools.count)

    def register(self, target: Target) -> None:
        with self._lock:
            self.targets[target.id] = target

    def deregister(self, target_id: str) -> None:
        with self._lock:
            self.targets.pop(target_id, None)

    def check_all(self) -> None:
        """Health-check every target once."""
        for target in list(self.targets.values()):
            target.record(_passes(target, self.check), self.check)

    def next_healthy(self) -> Target | None:
        with self._lock:
            healthy = sorted((t for t in self.targets.values() if t.healthy), key=lambda t: t.id)
            if not healthy:
                return None
            target = healthy[next(self._turns) % len(healthy)]
            target.requests += 1
            return target


class Balancer:
    """Serves `group` on `port` (the listener), checking its targets every interval meanwhile."""

    def __init__(self, group: TargetGroup, port: int, idle_timeout: float = 60.0) -> None:
        self.group = group
        self.port = port
        self.idle_timeout = idle_timeout
        self._stop = threading.Event()
        self._server: BaseWSGIServer | None = None

    def start(self) -> None:
        self._server = make_server(HOST, self.port, self.app, threaded=True, request_handler=_PassThrough)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        threading.Thread(target=self._check_forever, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()

    def _check_forever(self) -> None:
        while not self._stop.is_set():
            self.group.check_all()
            self._stop.wait(self.group.check.interval)

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """The WSGI app: forward the request to the next healthy target, or answer as ALB does."""
        target = self.group.next_healthy()
        if target is None:
            return _failure(start_response, 503, "Service Temporarily Unavailable")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        path = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
        if environ.get("QUERY_STRING") and "?" not in path:
            path += f"?{environ['QUERY_STRING']}"
        connection = http.client.HTTPConnection(target.host, target.port, timeout=self.idle_timeout)
        try:
            connection.request(environ["REQUEST_METHOD"], path, body=body, headers=self._headers(environ))
            answer = connection.getresponse()
            content = answer.read()
        except TimeoutError:
            return _failure(start_response, 504, "Gateway Time-out")
        except (OSError, http.client.HTTPException):
            return _failure(start_response, 502, "Bad Gateway")
        finally:
            connection.close()
        headers = [(name, value) for name, value in answer.getheaders() if name.lower() not in HOP_BY_HOP]
        start_response(f"{answer.status} {answer.reason}", headers)
        return [content]

    def _headers(self, environ: dict[str, Any]) -> dict[str, str]:
        headers = {
            key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(name):
                headers[name.replace("_", "-").title()] = environ[name]
        headers = {name: value for name, value in headers.items() if name.lower() not in HOP_BY_HOP}
        client = environ.get("REMOTE_ADDR", "")
        earlier = headers.pop("X-Forwarded-For", "")
        headers["X-Forwarded-For"] = f"{earlier}, {client}" if earlier else client
        headers["X-Forwarded-Proto"] = environ.get("wsgi.url_scheme", "http")
        headers["X-Forwarded-Port"] = str(self.port)
        return headers


class _PassThrough(WSGIRequestHandler):
    """Answers with the target's own headers, as ALB does, without a Server and Date of its own
    (its own answers, the 5xx, say `Server: awselb/2.0`)."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)


def _passes(target: Target, check: HealthCheck) -> bool:
    connection = http.client.HTTPConnection(target.host, target.port, timeout=check.timeout)
    try:
        connection.request("GET", check.path, headers={"User-Agent": "ELB-HealthChecker/2.0"})
        answer = connection.getresponse()
        answer.read()
        return answer.status == check.matcher
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _failure(start_response: Any, status: int, reason: str) -> list[bytes]:
    """ALB's own answer when it cannot get one from a target."""
    page = f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1>"
    body = f"{page}</center>\r\n</body>\r\n</html>\r\n".encode()
    start_response(
        f"{status} {reason}",
        [
            ("Server", "awselb/2.0"),
            ("Date", formatdate(usegmt=True)),
            ("Content-Type", "text/html"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]
