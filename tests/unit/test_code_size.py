"""The size half of the complexity gate (ruff holds complexity, branches and statements; see
pyproject.toml): no module, class or function of the deployed code and the harness grows past
where the refit left the largest, so a constructor of a hundred lines or a class of three hundred
does not come back unnoticed. Lower a limit when the code allows; raise one only with a reason."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("handlers", "components", "harness")
MAX_MODULE_LINES = 450
MAX_CLASS_LINES = 225
MAX_FUNCTION_LINES = 60


def sources() -> list[Path]:
    return sorted(path for folder in FOLDERS for path in (ROOT / folder).rglob("*.py"))


def blocks(path: Path) -> list[tuple[str, str, int]]:
    """Each class and function of the module at `path`: what it is, its name and line, its length."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            assert node.end_lineno is not None
            found.append(
                (kind, f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", node.end_lineno - node.lineno + 1)
            )
    return found


def test_the_gate_reads_the_code():
    assert len(sources()) > 100 and any(kind == "class" for kind, _, _ in blocks(ROOT / "handlers/runtime/stage.py"))


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_module_class_or_function_is_over_its_limit(folder):
    limits = {"class": MAX_CLASS_LINES, "function": MAX_FUNCTION_LINES}
    over = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in sources()
        if path.is_relative_to(ROOT / folder) and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    over += [
        f"{where}: {kind} of {length} lines"
        for path in sources()
        if path.is_relative_to(ROOT / folder)
        for kind, where, length in blocks(path)
        if length > limits[kind]
    ]
    assert over == [], f"over {MAX_MODULE_LINES} (module), {MAX_CLASS_LINES} (class), {MAX_FUNCTION_LINES} (function)"
