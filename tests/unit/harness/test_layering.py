"""Who may import whom in harness/: the CDN edge serves what a deploy left (harness/deployed) and
imports nothing of the deployer, so either can change, and run, without the other."""

from __future__ import annotations

import ast
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[3] / "harness"


def imported_modules(folder: Path) -> dict[str, set[str]]:
    """Each module of `folder` (a file path relative to harness/) and the modules it imports."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(HARNESS))] = names
    return found


def test_the_edge_imports_nothing_of_the_deployer():
    offending = {
        module: sorted(name for name in names if name == "harness.deploy" or name.startswith("harness.deploy."))
        for module, names in imported_modules(HARNESS / "edge").items()
    }
    assert {module: names for module, names in offending.items() if names} == {}
