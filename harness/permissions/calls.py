"""The calls the emulator saw made with assumed roles' credentials (written by the executor
plugin's recorder, imagepipe_lambda_executor/role_calls.py, one JSON line each)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RoleCall:
    """One AWS call: who made it (role, session: a function's name for Lambda), what, and with what."""

    role: str
    session: str
    service: str
    operation: str
    region: str
    account: str
    internal: bool = False
    request: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, line: dict[str, Any]) -> RoleCall:
        if "error" in line:
            raise ValueError(f"the emulator could not record a call: {line['error']}")
        return cls(
            role=line["role"],
            session=line["session"],
            service=line["service"],
            operation=line["operation"],
            region=line["region"],
            account=line["account"],
            internal=bool(line.get("internal")),
            request=line.get("request") or {},
        )

    @property
    def role_name(self) -> str:
        return self.role.rsplit("/", 1)[-1]

    @property
    def caller(self) -> str:
        """Who made it, for people: the function (its session), or the Lambda service acting with the
        function's role (polling its source, writing its logs), which names its sessions at random."""
        if self.internal:
            return f"the Lambda service with role {self.role_name}"
        return f"{self.session} (role {self.role_name})"


class CallLog:
    """Reads the calls appended to `path` since the last read (the file may not exist yet)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def skip_to_end(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def read_new(self) -> list[RoleCall]:
        if not self.path.exists():
            return []
        if self.path.stat().st_size < self.offset:  # a new emulator started a new file
            self.offset = 0
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line being written is read next time
        self.offset += len(complete)
        return [RoleCall.from_json(json.loads(line)) for line in complete.splitlines() if line.strip()]
