"""Who may import whom in handlers/: each kind of function's code imports only what its package
carries (the shared code and its own), and nothing but the web app imports the web app."""

from __future__ import annotations

import ast
from pathlib import Path

from handlers.contract import PACKAGE_SOURCES, SHARED_SOURCES

HANDLERS = Path(__file__).resolve().parents[3] / "handlers"


def imported_folders(path: Path) -> set[str]:
    """The files and folders of handlers/ the module at `path` imports from (`contract.py`, `web`, ...)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "handlers" and len(parts) > 1:
                found.add(parts[1] if (HANDLERS / parts[1]).is_dir() else f"{parts[1]}.py")
    return found


def part_of(path: Path) -> str:
    return path.relative_to(HANDLERS).parts[0]


def test_every_part_of_handlers_ships_in_some_package():
    parts = {path.name for path in HANDLERS.iterdir() if path.name not in ("requirements", "__pycache__")}
    shipped = {part for sources in PACKAGE_SOURCES.values() for part in sources}
    assert parts == shipped


def test_each_kind_imports_only_what_its_package_carries():
    strays = {}
    for kind, sources in PACKAGE_SOURCES.items():
        for path in HANDLERS.rglob("*.py"):
            if part_of(path) in sources:
                missing = imported_folders(path) - set(sources)
                if missing:
                    strays[f"{kind}: {path.relative_to(HANDLERS)}"] = sorted(missing)
    assert strays == {}


def test_nothing_but_the_web_app_imports_it_and_the_shared_code_imports_no_kind():
    for path in HANDLERS.rglob("*.py"):
        imported = imported_folders(path)
        if part_of(path) != "web":
            assert "web" not in imported, path
        if part_of(path) in SHARED_SOURCES:
            assert imported <= set(SHARED_SOURCES), path
