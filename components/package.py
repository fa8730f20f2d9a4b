"""The Lambda deployment package: the `handlers` package plus its dependencies as wheels built for the
function's runtime and architecture, zipped reproducibly and cached by content.

The same zip is what `pulumi up` uploads to AWS and what the harness runs in the emulator.

Each function gets the package its handler module is named for in `handlers.contract.PACKAGES`:
the handlers and the requirements of `handlers/requirements/<name>.txt` (every function's in
`stage.txt`; the codecs only for the functions that read pixels; Flask only for the web function).

The package carries its own AWS SDK (boto3 and botocore, pinned in handlers/requirements/stage.txt), and
botocore's data only for the services the functions call (`handlers.contract.SDK_SERVICES`): making
the first client reads the service's model and ruleset, and before that lists every service botocore
knows and parses its whole endpoint table. With the data of six services instead of 400+, the first
client is made in well under half the time (docs/benchmarks.md, "Design figures").
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from handlers.contract import PACKAGE_SOURCES, PACKAGES, SDK_SERVICES

# Bump when the way packages are assembled changes, so cached zips are rebuilt.
_LAYOUT_VERSION = "3"
_MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# Wheel platform tags each runtime's OS can load: python3.11 runs on Amazon Linux 2 (glibc 2.26),
# so newer manylinux wheels (e.g. Pillow 13's manylinux_2_28) do not run there; 3.12+ run on AL2023.
_MANYLINUX = {"python3.11": ("manylinux2014",), "python3.12": ("manylinux2014", "manylinux_2_28", "manylinux_2_34")}
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIPPED = {"__pycache__", ".pytest_cache", "requirements", "requirements.txt"}


class PackageBuildError(RuntimeError):
    """The dependencies could not be fetched or built for the target runtime."""


@dataclass(frozen=True)
class PackageSpec:
    """What goes into a deployment package and for which Lambda runtime and architecture."""

    source_dir: Path
    requirements: Path
    runtime: str
    architecture: str
    sdk_services: tuple[str, ...] = ()
    """The AWS services whose botocore data the package keeps (all of them when empty)."""
    include: tuple[str, ...] = ()
    """The files and folders of `source_dir` the package carries (all of them when empty)."""

    @property
    def python_version(self) -> str:
        if not self.runtime.startswith("python"):
            raise PackageBuildError(f"only Python runtimes are packaged, not {self.runtime!r}")
        return self.runtime.removeprefix("python")

    @property
    def platforms(self) -> list[str]:
        """The wheel platform tags the target can load, e.g. `manylinux2014_x86_64`."""
        machine = _MACHINES.get(self.architecture)
        if machine is None:
            raise PackageBuildError(f"unknown Lambda architecture {self.architecture!r}")
        manylinux = _MANYLINUX.get(self.runtime, _MANYLINUX["python3.12"])
        return [f"{tag}_{machine}" for tag in manylinux]

    def sources(self) -> list[Path]:
        """Every file of the source package that goes into the zip, in a stable order."""
        return sorted(
            path
            for path in self.source_dir.rglob("*")
            if path.is_file()
            and not _SKIPPED.intersection(path.relative_to(self.source_dir).parts)
            and (not self.include or path.relative_to(self.source_dir).parts[0] in self.include)
            and path.suffix != ".pyc"
        )

    def digest(self) -> str:
        """A hash of everything the zip is made from: sources, requirements, target."""
        h = hashlib.sha256()
        parts = (
            _LAYOUT_VERSION,
            self.runtime,
            self.architecture,
            *requirement_texts(self.requirements),
            *self.sdk_services,
        )
        for part in parts:
            h.update(part.encode() + b"\0")
        for path in self.sources():
            h.update(str(path.relative_to(self.source_dir)).encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
        return h.hexdigest()


def requirement_texts(requirements: Path) -> list[str]:
    """The text of a requirements file and of every file it includes (`-r other.txt`), in order."""
    texts, pending, seen = [], [requirements], set()
    while pending:
        path = pending.pop(0).resolve()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text()
        texts.append(text)
        for line in text.splitlines():
            words = line.split()
            if len(words) == 2 and words[0] in ("-r", "--requirement"):
                pending.append(path.parent / words[1])
    return texts


def handlers_spec(root: Path, runtime: str, architecture: str, name: str) -> PackageSpec:
    """The functions' package `name` (`handlers/requirements/<name>.txt`) for a runtime and
    architecture: the code of `root`/handlers its kind runs (`PACKAGE_SOURCES`), those requirements,
    and botocore's data for the services the functions call."""
    handlers = root / "handlers"
    requirements = handlers / "requirements" / f"{name}.txt"
    if not requirements.is_file():
        raise PackageBuildError(f"there is no package named {name!r}: no {requirements}")
    return PackageSpec(handlers, requirements, runtime, architecture, SDK_SERVICES, PACKAGE_SOURCES[name])


def package_names() -> list[str]:
    """The packages the functions are deployed with (`handlers.contract.PACKAGES`' values)."""
    return sorted(set(PACKAGES.values()))


def build_package(spec: PackageSpec, cache_dir: Path) -> Path:
    """The path of the zip for `spec`, building it only when no zip of the same content exists."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    name = f"{spec.source_dir.name}-{spec.requirements.stem}-{spec.runtime}-{spec.architecture}-{spec.digest()[:16]}"
    target = cache_dir / f"{name}.zip"
    if target.exists():
        return target
    with tempfile.TemporaryDirectory(prefix="imagepipe-package-") as tmp:
        staging = Path(tmp) / "package"
        _install_dependencies(spec, staging)
        if spec.sdk_services:
            prune_sdk_data(staging, spec.sdk_services)
        for path in spec.sources():
            destination = staging / spec.source_dir.name / path.relative_to(spec.source_dir)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
        _precompile(spec, staging)
        partial = target.with_suffix(".zip.partial")
        _write_zip(staging, partial)
        os.replace(partial, target)
    return target


def _install_dependencies(spec: PackageSpec, staging: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(staging),
        *[flag for platform in spec.platforms for flag in ("--platform", platform)],
        "--implementation", "cp",
        "--python-version", spec.python_version,
        "--only-binary=:all:",
        "--requirement", str(spec.requirements),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PackageBuildError(
            f"pip could not install {spec.requirements} for {spec.runtime}/{spec.architecture}:\n"
            + _tail(result.stderr or result.stdout)
        )


def prune_sdk_data(root: Path, services: tuple[str, ...]) -> None:
    """Keep botocore's (and boto3's) data under `root` only for `services`: other services' models,
    every `examples-1.json` (documentation), and other services' entries of the endpoint table go.
    A service botocore does not know is a PackageBuildError naming it."""
    data = root / "botocore" / "data"
    if not data.is_dir():
        raise PackageBuildError("the package has no botocore: boto3 must be in its requirements to keep SDK services")
    known = {path.name for path in data.iterdir() if path.is_dir()}
    unknown = sorted(set(services) - known)
    if unknown:
        raise PackageBuildError(f"botocore has no service named {', '.join(unknown)}")
    for path in data.iterdir():
        if path.is_dir() and path.name not in services:
            shutil.rmtree(path)
    for path in data.glob("*/*/examples-1.json"):
        path.unlink()
    resources = root / "boto3" / "data"
    if resources.is_dir():
        for path in resources.iterdir():
            if path.is_dir() and path.name not in services:
                shutil.rmtree(path)
    prefixes = {_endpoint_prefix(data / service) for service in services}
    endpoints_path = data / "endpoints.json"
    endpoints = json.loads(endpoints_path.read_text())
    for partition in endpoints["partitions"]:
        partition["services"] = {name: value for name, value in partition["services"].items() if name in prefixes}
    endpoints_path.write_text(json.dumps(endpoints, separators=(",", ":"), sort_keys=True))


def _endpoint_prefix(service: Path) -> str:
    """The endpoint table's name for a service (SES's is `email`): its newest model's endpointPrefix."""
    model = max(service.iterdir()) / "service-2.json.gz"
    if model.exists():
        text = gzip.decompress(model.read_bytes())
    else:
        text = model.with_suffix("").read_bytes()
    return str(json.loads(text)["metadata"]["endpointPrefix"])


def _precompile(spec: PackageSpec, staging: Path) -> None:
    """Ship bytecode: Lambda's code folder is read-only, so without it every cold start compiles
    every module again. Only when this interpreter is the runtime's version (bytecode is per minor
    version); unchecked-hash .pyc files need no source timestamps and make the same bytes each build."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" != spec.python_version:
        return
    command = [
        sys.executable, "-m", "compileall", "-q", "-j", "0",
        "--invalidation-mode", "unchecked-hash",
        "-s", str(staging), "-p", "/var/task",
        str(staging),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PackageBuildError(f"compiling the package's modules failed:\n{_tail(result.stdout + result.stderr)}")


def _write_zip(root: Path, destination: Path) -> None:
    """Zip `root` with sorted entries and fixed timestamps, so equal content gives equal bytes."""
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo(str(path.relative_to(root)), date_time=_ZIP_EPOCH)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
