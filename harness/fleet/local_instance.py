"""One instance of the instances tier, booted here from its launch template's user data.

The user data runs as it is, under a root folder of the instance's own (`IMAGEPIPE_ROOT`), with
stand-ins on the PATH for what needs EC2: the package manager and the user database do nothing (the
machine has Python), the CLI's `aws s3 cp` copies from the emulator's S3, `python3.11` is the given
interpreter without site packages (so the bundle must hold all it imports, as on the instance), and
`systemctl` records what it is asked. The service the script enables is then started as systemd
would: its unit's `ExecStart`, `EnvironmentFile`, `Environment` and `WorkingDirectory`, with two
differences: the interpreter is the given one, and gunicorn binds a loopback port of the harness's
choosing instead of 0.0.0.0:<port> (the instance's own address on EC2).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness import background

S3_COPY = f"{sys.executable} -m harness.fleet.s3_copy"
STANDINS = {
    "dnf": 'echo "dnf $*" >> "$IMAGEPIPE_CALLS"',
    "id": "exit 1",
    "useradd": 'echo "useradd $*" >> "$IMAGEPIPE_CALLS"',
    "systemctl": 'echo "systemctl $*" >> "$IMAGEPIPE_CALLS"',
}


class BootFailed(RuntimeError):
    """The user data failed, or enabled no service: what it said, for the instance's log."""


@dataclass(frozen=True)
class Service:
    """What the boot left systemd to start: its command, environment and working folder."""

    command: list[str]
    environment: dict[str, str]
    cwd: Path


def boot(user_data: str, root: Path, python: str, environment: dict[str, str]) -> Service:
    """Run `user_data` under `root` with the stand-ins; the service it enabled. `environment`: what
    the stand-ins need to reach the emulator (its endpoint, region, credentials)."""
    bin_dir, calls = root / ".standins", root / ".calls"
    bin_dir.mkdir(parents=True, exist_ok=True)
    standins = {**STANDINS, "aws": f'exec {S3_COPY} "$@"', "python3.11": f'exec {python} -S "$@"'}
    for name, body in standins.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    script = root / ".user-data"
    script.write_text(user_data)
    run_environment = {
        **environment,
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "IMAGEPIPE_ROOT": str(root),
        "IMAGEPIPE_CALLS": str(calls),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),  # for the S3 copy stand-in
    }
    result = subprocess.run(["bash", str(script)], env=run_environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BootFailed(f"the user data exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    called = calls.read_text().splitlines() if calls.exists() else []
    enabled = [line.split()[-1] for line in called if line.startswith("systemctl enable")]
    if not enabled:
        raise BootFailed("the user data enabled no service")
    unit = root / "etc/systemd/system" / f"{enabled[-1]}.service"
    return service_of(unit.read_text(), root, python)


def service_of(unit: str, root: Path, python: str) -> Service:
    """The service a unit file describes, its paths under `root` and its interpreter `python`."""
    settings: dict[str, list[str]] = {}
    for line in unit.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", "[")):
            settings.setdefault(key.strip(), []).append(value.strip())
    if "ExecStart" not in settings:
        raise BootFailed("the service's unit has no ExecStart")
    command = shlex.split(settings["ExecStart"][-1])
    command[0] = python if Path(command[0]).name.startswith("python") else str(root / command[0].lstrip("/"))
    environment: dict[str, str] = {}
    for path in settings.get("EnvironmentFile", []):
        environment.update(_environment_file(root / path.lstrip("-/")))
    for assignment in settings.get("Environment", []):
        name, _, value = assignment.partition("=")
        environment[name] = str(root / value.lstrip("/")) if value.startswith("/") else value
    cwd = root / settings.get("WorkingDirectory", ["/"])[-1].lstrip("/")
    return Service(command, environment, cwd)


def start(service: Service, port: int, log: Path, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `service` as systemd would, gunicorn bound to 127.0.0.1:`port`; `environment` adds what
    the instance's role and metadata would give (region, credentials, the emulator's endpoint)."""
    command = list(service.command)
    if "--bind" in command:
        command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **service.environment, **environment}
    return background.launch(command, log=log, cwd=service.cwd, env=env)


def _environment_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile: `NAME=value` lines, a value possibly double-quoted with `\\`
    escapes; blank lines and comments skipped."""
    values = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        name, _, raw = line.partition("=")
        values[name.strip()] = _unquoted(raw.strip())
    return values


def _unquoted(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        out, escaped = [], False
        for char in raw[1:-1]:
            if escaped or char != "\\":
                out.append(char)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return raw
