"""The load balancer stand-in answers as ALB does: round robin over the healthy targets with the
X-Forwarded headers, a target out after its unhealthy threshold and back after its healthy one, 503
with none healthy, 502 from a target that breaks the connection, 504 from one that does not answer."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from components.balancer import HealthCheckSettings
from harness.fleet.balancer import Balancer, HealthCheck, Target, TargetGroup
from harness.polling import wait_until

FAST = HealthCheck("/api/health", interval=0.05, healthy_threshold=2, unhealthy_threshold=2, timeout=0.5)


class Backend:
    """A target: answers its health check and echoes what it was sent, or misbehaves as told."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.mode = "ok"  # ok | sick | slow
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if self.mode == "slow":
            time.sleep(1.0)
        status = "500 Internal Server Error" if self.mode == "sick" else "200 OK"
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        body = json.dumps({"name": self.name, "path": environ["PATH_INFO"], "headers": headers}).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [body]


def get(balancer: Balancer, path: str = "/api/images", headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{balancer.port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def fleet() -> Iterator[tuple[Balancer, list[Backend]]]:
    backends = [Backend("a"), Backend("b")]
    group = TargetGroup(FAST)
    for backend in backends:
        group.register(Target(backend.name, backend.port))
    balancer = Balancer(group, 0, idle_timeout=0.5)
    balancer.start()
    wait_until(lambda: all(t.healthy for t in group.targets.values()), timeout=10, what="both targets healthy")
    yield balancer, backends
    balancer.stop()
    for backend in backends:
        backend.server.shutdown()


def test_requests_go_round_robin_with_the_forwarded_headers(fleet):
    balancer, _ = fleet
    answers = [get(balancer, headers={"X-Forwarded-For": "203.0.113.9"}) for _ in range(4)]
    assert [status for status, _ in answers] == [200] * 4
    assert sorted(body["name"] for _, body in answers) == ["a", "a", "b", "b"]
    headers = answers[0][1]["headers"]
    assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert (headers["x-forwarded-proto"], headers["x-forwarded-port"]) == ("http", str(balancer.port))
    assert {t.id: t.requests for t in balancer.group.targets.values()} == {"a": 2, "b": 2}


def test_a_failing_target_is_taken_out_and_brought_back(fleet):
    balancer, (a, _) = fleet
    a.mode = "sick"
    wait_until(lambda: not balancer.group.targets["a"].healthy, timeout=5, what="a out")
    assert {get(balancer)[1]["name"] for _ in range(4)} == {"b"}
    a.mode = "ok"
    wait_until(lambda: balancer.group.targets["a"].healthy, timeout=5, what="a back")


def test_none_healthy_is_503(fleet):
    balancer, backends = fleet
    for backend in backends:
        backend.mode = "sick"
    wait_until(lambda: not any(t.healthy for t in balancer.group.targets.values()), timeout=5, what="none healthy")
    status, page = get(balancer)
    assert status == 503 and "503 Service Temporarily Unavailable" in page


@pytest.fixture
def lone_target() -> Iterator[Balancer]:
    """A balancer with one target counted healthy, checked only once a minute: its misbehaviour is
    answered, not yet noticed."""
    group = TargetGroup(HealthCheck("/api/health", interval=60, healthy_threshold=2, unhealthy_threshold=2, timeout=5))
    balancer = Balancer(group, 0, idle_timeout=0.3)
    yield balancer
    balancer.stop()


def test_a_target_that_breaks_the_connection_is_502(lone_target):
    with socket.socket() as broken:  # accepts, then closes without answering, until the test ends
        broken.bind(("127.0.0.1", 0))
        broken.listen()

        def close_each() -> None:
            while True:
                try:
                    broken.accept()[0].close()
                except OSError:
                    return

        threading.Thread(target=close_each, daemon=True).start()
        lone_target.group.register(Target("broken", broken.getsockname()[1], healthy=True))
        lone_target.start()
        status, page = get(lone_target)
    assert status == 502 and "502 Bad Gateway" in page


def test_a_target_that_does_not_answer_in_time_is_504(lone_target):
    slow = Backend("slow")
    slow.mode = "slow"
    lone_target.group.register(Target("slow", slow.port, healthy=True))
    lone_target.start()
    status, page = get(lone_target)
    slow.server.shutdown()
    assert status == 504 and "504 Gateway Time-out" in page


def test_the_stand_in_checks_as_the_stack_declares():
    assert HealthCheck.declared(HealthCheckSettings()) == HealthCheck("/api/health", 10, 2, 3, 5, 200)
