"""A snapshot of what the program declares for the local stack (every resource, its parent and its
inputs), kept in tests/unit/components/snapshots/local.json, as LocalStack's own tests snapshot what
an API answered: a change to IAM, a queue or the CDN then reads as a diff of that file in review.

When the change is meant, write the snapshot again and commit it with the change:

    IMAGEPIPE_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/components/test_snapshot.py

Normalised so that it changes only when the declaration does: JSON held in a string (policies, filter
policies, the dashboard) is parsed, and a function's code archive is named by its package, not by
the path of the build.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pulumi

from tests.unit.components.conftest import Recorded

SNAPSHOT = Path(__file__).parent / "snapshots" / "local.json"
UPDATE = "IMAGEPIPE_UPDATE_SNAPSHOTS"


def _plain(value: Any) -> Any:
    if isinstance(value, pulumi.Archive | pulumi.Asset):
        path = getattr(value, "path", "")
        return f"<archive {Path(path).name.rsplit('-', 1)[0] if path else type(value).__name__}>"
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _plain(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def declared(program: Recorded) -> dict[str, Any]:
    """`<type> <name>` → {"parent", "inputs"} for every resource of the program, sorted."""
    return {
        f"{typ} {name}": {"parent": program.parents.get((typ, name)), "inputs": _plain(inputs)}
        for (typ, name), inputs in sorted(program.resources.items())
    }


def test_the_declared_resources_are_the_snapshot(program: Recorded) -> None:
    current = json.dumps(declared(program), indent=1, sort_keys=True) + "\n"
    if os.environ.get(UPDATE) == "1":
        SNAPSHOT.write_text(current)
    assert SNAPSHOT.exists(), f"{SNAPSHOT} is missing: write it with {UPDATE}=1"
    assert current == SNAPSHOT.read_text(), (
        f"the program declares something else than {SNAPSHOT.name} says: if meant, run with {UPDATE}=1 "
        "and commit the snapshot with the change"
    )
