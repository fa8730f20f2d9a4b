"""Fixtures every unit suite may use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from moto import mock_aws

from harness.aws import AwsTarget
from harness.polling import wait_until

# moto accepts any credentials; these keep boto3 from looking for real ones.
FAKE_AWS = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process moto for the test, with fake credentials and region in the environment."""
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto() -> Iterator[AwsTarget]:
    """A moto server on a loopback port for the whole session: real AWS APIs over HTTP, standing in
    for the emulator (the harness reaches it by its endpoint, as it reaches the emulator). Tests
    sharing it keep apart by unique names. It runs in a process of its own with AWS's managed
    policies loaded, as the emulator has them (the instances' role attaches Session Manager's):
    that setting is moto's process-wide, and would make every in-process `mock_aws` load them too
    (seconds per test)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: server.poll() is None and _listening(port), timeout=30, what="the moto server")
        yield AwsTarget(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
