"""The replay deployer against a moto server: real AWS APIs on loopback, no LocalStack needed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from harness.aws import AwsTarget
from tests.replaying import write_project


@dataclass
class Moto:
    endpoint_url: str

    def client(self, service: str) -> Any:
        return AwsTarget(self.endpoint_url).client(service)


@pytest.fixture(scope="session")
def moto() -> Iterator[Moto]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield Moto(f"http://127.0.0.1:{port}")
    finally:
        server.stop()


@pytest.fixture
def tiny_project(tmp_path: Path):
    """Write a small Pulumi project whose program is `body`; returns its folder."""
    return lambda body, config=None: write_project(tmp_path, body, config)
