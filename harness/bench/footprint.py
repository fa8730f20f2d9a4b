"""What a function's cold start loads, and what it weighs: the deployment package by distribution.

Each function of the stack is deployed with the package `handlers.contract.PACKAGES` names for it
(`components/package.py`). For each function the bench reports its package's size (zipped, as
uploaded, and unzipped, as Lambda lays it out in /var/task), and which of the package's
distributions its cold start actually imported, with their size.

Where the import time goes is read from `python -X importtime` of the same cold start: each module's
own time (not its imports'), summed by owner: a distribution of the package (`pillow`,
`aws-lambda-powertools`, ...), `handlers` (ours), or `runtime` (the Python runtime's own modules,
the standard library). The shares are what matter: `-X importtime` itself slows every import down.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OURS = "handlers"
RUNTIME = "runtime"
# What the cold start probe writes to stderr just before it imports the handler: the interpreter's own
# start-up imports (site, encodings, .pth hooks) come before it and are no part of the handler's time.
PROBE_MARK = "imagepipe-probe: importing the handler"
MB = 1_000_000
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


@dataclass(frozen=True)
class Distribution:
    """One distribution installed in the package: its top-level names and its bytes on disk."""

    name: str
    top_level: frozenset[str]
    size: int


def _bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(each.stat().st_size for each in path.rglob("*") if each.is_file())


def distributions(package: Path) -> dict[str, Distribution]:
    """The distributions in an unpacked package, by name (from each `*.dist-info/RECORD`), and our
    own `handlers`. A distribution's size is that of its top-level folders and modules (their
    compiled bytecode included) and of its dist-info."""
    found: dict[str, Distribution] = {}
    for info in sorted(package.glob("*.dist-info")):
        name = _distribution_name(info)
        tops: set[str] = set()
        for line in (info / "RECORD").read_text().splitlines():
            first = line.split(",", 1)[0].split("/", 1)[0]
            if first and first != info.name and not first.startswith(("..", "__pycache__", "bin")):
                tops.add(first)
        size = _bytes(info)
        for top in tops:
            size += _bytes(package / top)
            if top.endswith(".py"):  # a top-level module's bytecode is in the package's __pycache__
                size += sum(_bytes(pyc) for pyc in (package / "__pycache__").glob(top[:-3] + ".*.pyc"))
        found[name] = Distribution(name, frozenset(_module_name(top) for top in tops), size)
    found[OURS] = Distribution(OURS, frozenset({OURS}), _bytes(package / OURS))
    return found


def _distribution_name(info: Path) -> str:
    for line in (info / "METADATA").read_text(errors="replace").splitlines():
        if line.startswith("Name:"):
            return line.split(":", 1)[1].strip().lower().replace("_", "-")
    return info.name.split("-", 1)[0].lower()


def _module_name(top: str) -> str:
    """`six.py` → `six`, `PIL` → `PIL`, `pillow.libs` stays (it is no module, only weight)."""
    return top[:-3] if top.endswith(".py") else top


def owners(dists: Mapping[str, Distribution]) -> dict[str, str]:
    """Top-level module name → the distribution that installed it."""
    return {module: dist.name for dist in dists.values() for module in dist.top_level}


def loaded(modules: Iterable[str], dists: Mapping[str, Distribution]) -> list[str]:
    """The package's distributions that the top-level `modules` of a cold start came from."""
    owner = owners(dists)
    return sorted({owner[module] for module in modules if module in owner})


def package_row(
    function: str, handler: str, name: str, archive: Path, dists: Mapping[str, Distribution], modules: Iterable[str]
) -> dict[str, Any]:
    """A function's row: {"function", "handler", "package" (its name), "zip_mb", "unzipped_mb", "files",
    "loaded" (which of `dists`, the :func:`distributions` of the unpacked `archive`, its cold start
    imported `modules` from), "loaded_mb"}."""
    with zipfile.ZipFile(archive) as zipped:
        entries = [entry for entry in zipped.infolist() if not entry.is_dir()]
    names = loaded(modules, dists)
    return {
        "function": function,
        "handler": handler,
        "package": name,
        "zip_mb": round(archive.stat().st_size / MB, 1),
        "unzipped_mb": round(sum(entry.file_size for entry in entries) / MB, 1),
        "files": len(entries),
        "loaded": names,
        "loaded_mb": round(sum(dists[each].size for each in names) / MB, 1),
    }


def import_shares(importtime: str, dists: Mapping[str, Distribution]) -> dict[str, float]:
    """From `-X importtime` output, each owner's share (%) of the summed self times of the modules
    imported after :data:`PROBE_MARK` (all of them without it), largest first: the package's
    distributions, `handlers`, and `runtime` for the rest."""
    owner = owners(dists)
    totals: dict[str, int] = {}
    lines = importtime.splitlines()
    if PROBE_MARK in lines:
        lines = lines[lines.index(PROBE_MARK) + 1 :]
    for line in lines:
        match = _IMPORT_LINE.match(line)
        if match is None:
            continue
        top = match.group(4).split(".", 1)[0]
        who = owner.get(top, RUNTIME)
        totals[who] = totals.get(who, 0) + int(match.group(1))
    overall = sum(totals.values()) or 1
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return {who: round(100 * microseconds / overall, 1) for who, microseconds in ordered}
