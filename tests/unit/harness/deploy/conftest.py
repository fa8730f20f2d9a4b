"""The replay deployer against a moto server: real AWS APIs on loopback, no LocalStack needed."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.aws import AwsTarget
from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners import PROVISIONERS, Context
from harness.deployed.stack_state import ResourceRecord
from tests.replaying import write_project


@pytest.fixture
def tiny_project(tmp_path: Path):
    """Write a small Pulumi project whose program is `body`; returns its folder."""
    return lambda body, config=None: write_project(tmp_path, body, config)


@pytest.fixture
def unique() -> Callable[[str], str]:
    """A name no other test uses in the session-wide moto server: `unique("queue")` → `queue-1a2b3c4d`."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Provisioned:
    """Provisioners applied in this process the way the replay engine applies them: the same inputs
    (camelCase wire names, as a Pulumi mock sees them), the same strictness check, and each resource's
    record kept for its next apply, as the stack state keeps it between deploys."""

    ctx: Context
    records: dict[tuple[str, str], ResourceRecord] = field(default_factory=dict)

    def apply(self, type_token: str, name: str, inputs: Mapping[str, Any]) -> ResourceRecord:
        """Create the resource, or update (or replace) the one applied under this name before."""
        wire = Inputs(inputs, f"{type_token} {name!r}")
        previous = self.records.get((type_token, name))
        applied = PROVISIONERS[type_token].provision(self.ctx, name, wire, previous)
        record = ResourceRecord(type_token, name, applied.id, fingerprint="", outputs=applied.outputs)
        self.records[(type_token, name)] = record
        return record

    def delete(self, type_token: str, name: str) -> None:
        """Delete the resource as a deploy does once the program no longer declares it."""
        record = self.records.pop((type_token, name))
        PROVISIONERS[type_token].delete(self.ctx, record)

    def delete_all(self) -> None:
        """Best effort, newest first: whether deletes work is what the tests assert, not teardown."""
        for type_token, name in reversed(list(self.records)):
            with contextlib.suppress(ClientError, DeployError):
                self.delete(type_token, name)


@pytest.fixture(scope="session")
def moto_context(moto: AwsTarget) -> Context:
    return Context(moto)


@pytest.fixture
def provisioned(moto_context: Context) -> Iterator[Provisioned]:
    """Applies provisioners into the moto server; deletes whatever the test left at teardown."""
    made = Provisioned(moto_context)
    yield made
    made.delete_all()
