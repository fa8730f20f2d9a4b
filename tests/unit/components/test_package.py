"""The deployment package: handlers plus wheels for the target, reproducible and cached by content."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from components.package import PackageBuildError, PackageSpec, build_package

ROOT = Path(__file__).resolve().parents[3]


def _spec(source_dir: Path, requirements: Path, **overrides) -> PackageSpec:
    return PackageSpec(
        **{
            "source_dir": source_dir,
            "requirements": requirements,
            "runtime": "python3.11",
            "architecture": "x86_64",
            **overrides,
        }
    )


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    package = tmp_path / "handlers"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "entry.py").write_text("def handler(event, context):\n    return event\n")
    (package / "__pycache__" / "entry.cpython-311.pyc").write_bytes(b"stale")
    return package


def test_the_real_package_carries_handlers_and_wheels_for_the_lambda_runtime(tmp_path):
    spec = _spec(ROOT / "handlers", ROOT / "handlers" / "requirements.txt")
    names = zipfile.ZipFile(build_package(spec, tmp_path)).namelist()
    assert "handlers/ingest.py" in names and "handlers/enhance.py" in names
    assert "handlers/requirements.txt" not in names
    assert any(n.startswith("PIL/") and n.endswith(".cpython-311-x86_64-linux-gnu.so") for n in names)
    assert any(n.startswith("aws_lambda_powertools/") for n in names)
    assert "handlers/__pycache__/ingest.cpython-311.pyc" in names  # bytecode shipped: no compiling at cold start
    assert any(n.startswith("aws_lambda_powertools/__pycache__/") for n in names)


def test_equal_content_gives_equal_bytes_and_is_built_once(sources, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    first = build_package(_spec(sources, requirements), tmp_path / "a")
    second = build_package(_spec(sources, requirements), tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    built_at = first.stat().st_mtime_ns
    assert build_package(_spec(sources, requirements), tmp_path / "a") == first
    assert first.stat().st_mtime_ns == built_at
    archive = zipfile.ZipFile(first)
    assert archive.namelist() == [
        "handlers/__init__.py",
        "handlers/__pycache__/__init__.cpython-311.pyc",
        "handlers/__pycache__/entry.cpython-311.pyc",
        "handlers/entry.py",
    ]
    bytecode = archive.read("handlers/__pycache__/entry.cpython-311.pyc")
    assert bytecode != b"stale"  # compiled from the source, never copied from the source tree
    assert int.from_bytes(bytecode[4:8], "little") == 0b01  # hash-based, not checked against the source


def test_a_changed_source_or_target_is_a_new_package(sources, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    before = _spec(sources, requirements).digest()
    assert _spec(sources, requirements, architecture="arm64").digest() != before
    (sources / "entry.py").write_text("def handler(event, context):\n    return None\n")
    assert _spec(sources, requirements).digest() != before


def test_targets_outside_lambda_python_are_refused(sources, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    with pytest.raises(PackageBuildError, match="architecture 'sparc'"):
        build_package(_spec(sources, requirements, architecture="sparc"), tmp_path)
    with pytest.raises(PackageBuildError, match="only Python runtimes"):
        build_package(_spec(sources, requirements, runtime="nodejs20.x"), tmp_path)


def test_a_requirement_without_a_wheel_for_the_target_names_it(sources, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("imagepipe-no-such-package-anywhere==1.0\n")
    with pytest.raises(PackageBuildError, match="imagepipe-no-such-package-anywhere"):
        build_package(_spec(sources, requirements), tmp_path)
