"""End-to-end fixtures: one emulator for the whole session.

`emulator` starts the embedded emulator (installing it first if needed) on IMAGEPIPE_PORT (default
4566), or attaches to the one at IMAGEPIPE_ENDPOINT if that is set (e.g. LocalStack in Docker, or one
left running by `python -m harness up`). It stops the emulator at the end only if it started it.
Fixtures that deploy the pipeline build on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import emulator as embedded
from harness.aws import AwsTarget
from harness.emulator import DEFAULT_PORT, Emulator, EmulatorError

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in item.nodeid.replace(os.sep, "/") or item.nodeid.startswith("e2e/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def emulator() -> Emulator:
    url = os.environ.get("IMAGEPIPE_ENDPOINT", "").strip()
    if url:
        try:
            yield embedded.attach(url)
        except EmulatorError as error:
            pytest.fail(str(error), pytrace=False)
        return
    port = int(os.environ.get("IMAGEPIPE_PORT") or DEFAULT_PORT)
    already = embedded.running(port)
    try:
        emu = already or embedded.start(port, progress=lambda line: print(line, flush=True))
    except EmulatorError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield emu
    finally:
        if already is None:
            embedded.stop(port)


@dataclass
class DeployedStack:
    """The pipeline deployed into the session's emulator, as a client sees it."""

    emulator: Emulator
    outputs: dict

    @property
    def target(self) -> AwsTarget:
        return AwsTarget(self.outputs["endpoint_url"], self.outputs["region"])

    @property
    def bucket(self) -> str:
        return self.outputs["images_bucket"]

    @property
    def table(self) -> str:
        return self.outputs["images_table"]

    def deploy(self) -> str:
        return deploy(self.emulator)


def harness(*args: str) -> str:
    """Run `python -m harness ARGS` (a process of its own: Pulumi's runtime is process-global)."""
    result = subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, f"harness {' '.join(args)} failed:\\n{result.stdout}\\n{result.stderr}"
    return result.stdout


def deploy(emu: Emulator) -> str:
    return harness("up", "--endpoint", emu.endpoint_url)


@pytest.fixture(scope="session")
def stack(emulator: Emulator) -> DeployedStack:
    deploy(emulator)
    return DeployedStack(emulator, json.loads(harness("outputs")))
