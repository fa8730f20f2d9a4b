"""The replay deployer against a moto server: real AWS APIs on loopback, no LocalStack needed.

Pulumi's runtime is process-global, so every deploy runs in a process of its own (`replay`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from harness.aws import AwsTarget

ROOT = Path(__file__).resolve().parents[4]
RUNNER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from harness.aws import AwsTarget
    from harness.deploy import DeployError, Project, run_program
    root, stack, endpoint, state, session = sys.argv[1:6]
    try:
        result = run_program(Project(Path(root)), stack, AwsTarget(endpoint), Path(state), session or None)
    except DeployError as error:
        print(json.dumps({"error": str(error)}))
    else:
        print(json.dumps({"outputs": result.outputs, "created": result.created, "updated": result.updated,
                          "unchanged": result.unchanged, "deleted": result.deleted}, default=str))
    """
)


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


def replay(project: Path, stack: str, endpoint_url: str, state: Path, session: str = "session-1") -> dict[str, Any]:
    """Deploy `project`'s stack into `endpoint_url` in a fresh process; its result or {"error": ...}."""
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(project), stack, endpoint_url, str(state), session],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def tiny_project(tmp_path: Path):
    """Write a small Pulumi project whose program is `body`; returns its folder."""

    def write(body: str, config: dict[str, str] | None = None) -> Path:
        (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
        lines = ["config:", "  aws:region: us-east-1"] + [f"  {k}: '{v}'" for k, v in (config or {}).items()]
        (tmp_path / "Pulumi.test.yaml").write_text("\n".join(lines) + "\n")
        (tmp_path / "__main__.py").write_text("import pulumi\nimport pulumi_aws as aws\n" + textwrap.dedent(body))
        return tmp_path

    return write
