"""The replay engine: Pulumi mocks whose every resource registration is provisioned for real in the
emulator, returning real ARNs, URLs and names to the program."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.lookups import look_up
from harness.deploy.provisioners import PROVISIONERS, Context
from harness.deployed.stack_state import ResourceRecord, StackState


class UnsupportedResource(DeployError):
    """A resource type the replay deployer does not provision."""


class Aborted(Exception):
    """Raised into the Pulumi runtime for registrations after the first failure."""


class ReplayMocks(pulumi.runtime.Mocks):
    """Provisions each custom resource the program registers; components are only recorded.

    Registrations arrive on several threads; each is provisioned as soon as its inputs are known, so
    independent resources are created in parallel. The first failure stops every later provisioning.
    """

    def __init__(
        self,
        ctx: Context,
        previous: StackState | None,
        state: StackState,
        progress: Callable[[str], None] = lambda _: None,
        skip_unchanged: bool = True,
    ) -> None:
        self.ctx = ctx
        self.skip_unchanged = skip_unchanged
        self.previous = previous
        self.state = state
        self.progress = progress
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self.created = self.updated = self.unchanged = 0

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if self.error is not None:
            raise Aborted(f"not provisioned after an earlier failure: {args.typ} {args.name!r}")
        try:
            return self._provision(args)
        except BaseException as error:
            with self._lock:
                if self.error is None:
                    self.error = error
            raise Aborted(str(error)) from error

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Answer a lookup the program makes (harness/deploy/lookups.py) from the emulator."""
        try:
            return look_up(self.ctx, args.token, dict(args.args)), []
        except BaseException as error:
            with self._lock:
                self.error = self.error or error
            raise

    def _provision(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:
            return f"{args.name}", {}
        key = f"{args.typ}::{args.name}"
        provisioner = PROVISIONERS.get(args.typ)
        if provisioner is None:
            raise UnsupportedResource(
                f"{args.typ} {args.name!r}: the replay deployer does not provision this resource type "
                f"(it knows {', '.join(sorted(PROVISIONERS))})"
            )
        if args.provider and not args.provider.startswith("urn:pulumi:") and "default" not in args.provider:
            raise UnsupportedResource(f"{args.typ} {args.name!r}: explicit providers are not applied ({args.provider})")
        fingerprint = _fingerprint(args.inputs)
        previous = self.previous.resources.get(key) if self.previous else None
        if previous is not None and previous.type != args.typ:
            previous = None
        if previous is not None and self.skip_unchanged and previous.fingerprint == fingerprint:
            record = previous
            outcome = "unchanged"
        else:
            inputs = Inputs(args.inputs, f"{args.typ} {args.name!r}")
            applied = provisioner.provision(self.ctx, args.name, inputs, previous)
            record = ResourceRecord(args.typ, args.name, applied.id, fingerprint, applied.outputs)
            outcome = "created" if previous is None else "updated"
        with self._lock:
            if key in self.state.resources:
                raise DeployError(f"two resources of type {args.typ} are named {args.name!r}")
            self.state.resources[key] = record
            setattr(self, outcome, getattr(self, outcome) + 1)
            if outcome != "unchanged":
                self.progress(f"  {outcome:9} {args.typ.split(':')[-1]:24} {record.id}")
        return record.id, {**_plain_inputs(args.inputs), **record.outputs, "id": record.id}

    def remove_stale(self) -> int:
        """Delete what the previous deploy made and this one no longer declares, newest first."""
        if self.previous is None:
            return 0
        stale = [(k, r) for k, r in self.previous.resources.items() if k not in self.state.resources]
        for _, record in reversed(stale):
            self.progress(f"  {'deleted':9} {record.type.split(':')[-1]:24} {record.id}")
            PROVISIONERS[record.type].delete(self.ctx, record)
        return len(stale)


def _fingerprint(inputs: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=_archive_digest).encode()).hexdigest()


def _archive_digest(value: Any) -> Any:
    """An archive's or a file's fingerprint: its path and its content's digest."""
    if isinstance(value, pulumi.FileArchive | pulumi.FileAsset):
        path = Path(value.path)
        kind = "fileArchive" if isinstance(value, pulumi.FileArchive) else "fileAsset"
        return {kind: str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    raise TypeError(f"cannot fingerprint input {value!r}")


def _plain_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in inputs.items() if not isinstance(v, pulumi.Archive | pulumi.Asset)}
