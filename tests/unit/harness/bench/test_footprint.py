"""What a cold start loads and weighs: distributions read from an unpacked package's dist-info, the
package's size per function, and `-X importtime` shares by owner."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from harness.bench import footprint


def _install(package: Path, name: str, files: dict[str, int]) -> None:
    """A distribution `name` as pip lays it out: its files (path → bytes) and a dist-info."""
    info = package / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    record = [f"{path},sha256=x,{size}" for path, size in files.items()]
    record += [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,", "../../bin/tool,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n")
    for path, size in files.items():
        (package / path).parent.mkdir(parents=True, exist_ok=True)
        (package / path).write_bytes(b"x" * size)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "package"
    _install(root, "Pillow", {"PIL/__init__.py": 1000, "PIL/_imaging.so": 50_000, "pillow.libs/libz.so": 30_000})
    _install(root, "six", {"six.py": 2000})
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "six.cpython-311.pyc").write_bytes(b"x" * 1500)
    (root / "handlers").mkdir()
    (root / "handlers" / "ingest.py").write_bytes(b"x" * 700)
    return root


def test_distributions_own_their_folders_modules_bytecode_and_dist_info(package: Path) -> None:
    dists = footprint.distributions(package)
    assert set(dists) == {"pillow", "six", "handlers"}
    assert dists["pillow"].top_level == {"PIL", "pillow.libs"}
    info = sum(p.stat().st_size for p in (package / "Pillow-1.0.dist-info").iterdir())
    assert dists["pillow"].size == 81_000 + info
    assert dists["six"].top_level == {"six"}
    assert dists["six"].size == 2000 + 1500 + sum(p.stat().st_size for p in (package / "six-1.0.dist-info").iterdir())
    assert dists["handlers"].size == 700
    assert footprint.loaded(["PIL", "json", "handlers", "six", "sys"], dists) == ["handlers", "pillow", "six"]


def test_a_row_per_function_gives_the_package_and_what_its_cold_start_loaded(package: Path, tmp_path: Path) -> None:
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(package.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(package))
    dists = footprint.distributions(package)
    ingest = footprint.package_row(
        "ingest", "handlers.imaging_functions.ingest", "imaging", archive, dists, ["handlers", "PIL", "os"]
    )
    notify = footprint.package_row("notify", "handlers.stage_functions.notify", "stage", archive, dists, [])
    unzipped = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
    assert (ingest["function"], ingest["handler"], ingest["package"]) == (
        "ingest",
        "handlers.imaging_functions.ingest",
        "imaging",
    )
    assert ingest["loaded"] == ["handlers", "pillow"]
    assert ingest["unzipped_mb"] == round(unzipped / 1e6, 1) and ingest["files"] == len(
        zipfile.ZipFile(archive).namelist()
    )
    assert ingest["zip_mb"] == round(archive.stat().st_size / 1e6, 1)
    assert notify["loaded"] == [] and notify["loaded_mb"] == 0


def test_import_shares_sum_each_owners_own_times_after_the_probe_starts() -> None:
    report = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:      9000 |       9000 | _distutils_hack",  # the interpreter's start-up: not counted
            footprint.PROBE_MARK,
            "import time:       300 |        300 |     PIL._binary",
            "import time:       700 |       1000 |   PIL.Image",
            "import time:      1000 |       1000 |   json",
            "import time:      2000 |       4000 | handlers.imaging_functions.ingest",
            "some other line the handler printed",
        ]
    )
    dists = {"pillow": footprint.Distribution("pillow", frozenset({"PIL"}), 0)}
    dists["handlers"] = footprint.Distribution("handlers", frozenset({"handlers"}), 0)
    shares = footprint.import_shares(report, dists)
    assert shares == {"handlers": 50.0, "pillow": 25.0, "runtime": 25.0}
    assert list(shares) == ["handlers", "pillow", "runtime"]  # largest first
