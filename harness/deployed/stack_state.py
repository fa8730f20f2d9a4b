"""What the replay deployer has provisioned for a stack, kept between deploys so a redeploy updates
resources in place and removes the ones the program no longer declares."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

DEFAULT_STACK: Final = "local"  # the stack `python -m harness` deploys unless told another


@dataclass
class ResourceRecord:
    """One provisioned resource: its type, physical id, a fingerprint of its inputs, its outputs."""

    type: str
    name: str
    id: str
    fingerprint: str
    outputs: dict[str, Any]


@dataclass
class StackState:
    """Every resource of one stack in one emulator session, in the order they were created."""

    stack: str
    endpoint_url: str
    session: str | None
    resources: dict[str, ResourceRecord] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> StackState | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        data["resources"] = {urn: ResourceRecord(**r) for urn, r in data["resources"].items()}
        return cls(**data)

    def of_type(self, type_token: str) -> list[ResourceRecord]:
        """The records of one resource type, in the order they were created."""
        return [record for record in self.resources.values() if record.type == type_token]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(self), indent=2, sort_keys=False, default=str))
        os.replace(partial, path)
