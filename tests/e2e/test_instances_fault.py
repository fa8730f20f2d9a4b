"""The instances tier losing an instance under steady traffic through the CDN: the process that
stands for one instance is killed; requests fail only until the balancer stops sending to it (the
health-check window its target group declares: failures in a row × interval + timeout), a
replacement with a new id becomes healthy, and the test prints how many requests failed and how long
the replacement took."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests

from components.balancer import HealthCheckSettings
from harness.polling import wait_until
from tests.stack_fixtures import harness_process

INSTANCES = "local-instances"
pytestmark = pytest.mark.parametrize("stack", [INSTANCES], indirect=True)


@dataclass
class Traffic:
    """GET /api/health through the CDN, one request after another, until stopped: each failure
    (status or error) with when it happened."""

    url: str
    sent: int = 0
    failures: list[tuple[float, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with requests.Session() as http:
            while not self._stop.is_set():
                try:
                    status = http.get(self.url, timeout=10).status_code
                    outcome = "" if status == 200 else str(status)
                except requests.RequestException as error:
                    outcome = type(error).__name__
                self.sent += 1
                if outcome:
                    self.failures.append((time.monotonic(), outcome))

    def stop(self) -> None:
        self._stop.set()


def _instances() -> list[dict]:
    return json.loads(harness_process("instances", "--stack", INSTANCES, "--json"))


def test_an_instance_killed_under_traffic_is_replaced_with_errors_only_in_the_health_check_window(stack):
    before = wait_until(
        lambda: (rows := _instances()) and all(r["health"] == "healthy" for r in rows) and len(rows) >= 2 and rows,
        timeout=180,
        what="the fleet healthy",
    )
    traffic = Traffic(f"{stack.outputs['cdn_url']}/api/health")
    sender = threading.Thread(target=traffic.run, daemon=True)
    sender.start()
    try:
        wait_until(lambda: traffic.sent >= 20, timeout=30, what="steady traffic")
        victim = before[0]
        killed_at = time.monotonic()
        os.kill(victim["pid"], signal.SIGKILL)
        after = wait_until(
            lambda: (
                (rows := _instances())
                and victim["id"] not in {r["id"] for r in rows}
                and len(rows) == len(before)
                and all(r["health"] == "healthy" for r in rows)
                and rows
            ),
            timeout=180,
            what="a healthy replacement",
        )
        replaced_in = time.monotonic() - killed_at
        sent_before_stop = traffic.sent
        wait_until(lambda: traffic.sent >= sent_before_stop + 20, timeout=30, what="traffic after the replacement")
    finally:
        traffic.stop()
        sender.join(timeout=15)
    check = HealthCheckSettings()  # the target group's, as components/balancer.py declares it
    window = check.unhealthy_threshold * check.interval + check.timeout
    late = [(round(at - killed_at, 1), what) for at, what in traffic.failures if at - killed_at > window]
    print(
        f"\nkilled {victim['id']} under traffic: {len(traffic.failures)} of {traffic.sent} requests failed "
        f"({sorted({what for _, what in traffic.failures})}), "
        f"a replacement ({', '.join(r['id'] for r in after if r['id'] not in {b['id'] for b in before})}) "
        f"healthy {replaced_in:.1f} s after the kill"
    )
    assert late == []
    assert all(at >= killed_at for at, _ in traffic.failures)  # none before the kill
