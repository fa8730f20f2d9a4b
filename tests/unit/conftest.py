"""Fixtures every unit suite may use."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from harness.aws import AwsTarget

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
    sharing it keep apart by unique names. AWS's managed policies are there, as in the emulator (the
    instances' role attaches Session Manager's)."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    try:
        yield AwsTarget(f"http://127.0.0.1:{server.get_host_and_port()[1]}")
    finally:
        server.stop()
