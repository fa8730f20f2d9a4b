"""Running the Pulumi program (`__main__.py` with a stack's config) under Pulumi's mock runtime,
with the replay engine provisioning what it declares."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from harness.aws import AwsTarget
from harness.deploy.engine import Aborted, ReplayMocks
from harness.deploy.inputs import DeployError
from harness.deploy.provisioners import Context
from harness.deployed.loopback_ports import LoopbackPorts
from harness.deployed.stack_state import StackState
from harness.mocked_program import in_project, main_of, run_mocked


@dataclass(frozen=True)
class Project:
    """The Pulumi project on disk: its name, its program and its stack config files."""

    root: Path

    @property
    def name(self) -> str:
        return cast(str, yaml.safe_load((self.root / "Pulumi.yaml").read_text())["name"])

    def stack_config(self, stack: str) -> dict[str, str]:
        """The stack's `config:` as Pulumi hands it to a program: `ns:key` → string (JSON if not a string)."""
        path = self.root / f"Pulumi.{stack}.yaml"
        if not path.exists():
            known = sorted(
                p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in self.root.glob("Pulumi.*.yaml")
            )
            raise DeployError(f"no stack {stack!r}: {path.name} does not exist (stacks here: {', '.join(known)})")
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        flat: dict[str, str] = {}
        for key, value in config.items():
            if ":" not in key:
                key = f"{self.name}:{key}"
            if isinstance(value, dict) and "secure" in value:
                raise DeployError(f"{path.name}: {key} is a Pulumi secret, which the replay deployer cannot decrypt")
            flat[key] = value if isinstance(value, str) else json.dumps(value)
        return flat


@dataclass(frozen=True)
class DeployResult:
    outputs: dict[str, Any]
    created: int
    updated: int
    unchanged: int
    deleted: int
    seconds: float


def run_program(
    project: Project,
    stack: str,
    target: AwsTarget,
    state_path: Path,
    session: str | None,
    progress: Callable[[str], None] = lambda _: None,
    overrides: Mapping[str, str] | None = None,
) -> DeployResult:
    """Run the program once, provisioning into `target`; save and return the stack's outputs.
    `overrides` replace settings of the stack's config (`ns:key` → string, as `pulumi config set`).

    `session` identifies the emulator's lifetime (None when unknown): state kept from another
    session is dropped, and without a session every resource is applied again (updated in place).
    Pulumi's runtime is process-global, so a process runs the program at most once.
    """
    started = time.monotonic()
    config = {**project.stack_config(stack), **(overrides or {})}
    config["aws:region"] = target.region
    previous = StackState.load(state_path)
    if previous is not None and (
        previous.endpoint_url != target.endpoint_url or (session is not None and previous.session != session)
    ):
        previous = None  # another emulator, or this one restarted: what the state lists is gone
    state = StackState(stack=stack, endpoint_url=target.endpoint_url, session=session)
    # Unchanged inputs are skipped only when the emulator's session proves the state is current.
    context = Context(target, ports=LoopbackPorts.held_in(previous))
    mocks = ReplayMocks(context, previous, state, progress, skip_unchanged=session is not None)

    try:
        with in_project(project.root):
            outputs = run_mocked(main_of(project.root), mocks, project=project.name, stack=stack, config=config)
    except Exception as error:
        if mocks.error is not None:
            _save_partial(state, previous, state_path)
            raise _as_deploy_error(mocks.error) from None
        _save_partial(state, previous, state_path)
        raise DeployError(f"the Pulumi program failed: {type(error).__name__}: {error}") from error
    if mocks.error is not None:
        _save_partial(state, previous, state_path)
        raise _as_deploy_error(mocks.error)
    deleted = mocks.remove_stale()
    state.outputs = outputs
    state.save(state_path)
    return DeployResult(outputs, mocks.created, mocks.updated, mocks.unchanged, deleted, time.monotonic() - started)


def _save_partial(state: StackState, previous: StackState | None, path: Path) -> None:
    """Keep what exists after a failed deploy: what this run made plus what it did not get to."""
    if previous is not None:
        for key, record in previous.resources.items():
            state.resources.setdefault(key, record)
    state.save(path)


def _as_deploy_error(error: BaseException) -> DeployError:
    if isinstance(error, DeployError):
        return error
    if isinstance(error, Aborted) and isinstance(error.__cause__, DeployError):
        return error.__cause__
    return DeployError(f"{type(error).__name__}: {error}")
