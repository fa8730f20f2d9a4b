"""Where the embedded emulator keeps its state: one folder the harness owns.

`IMAGEPIPE_HOME` (an environment variable) or `<repo>/.imagepipe` (git-ignored)::

    .imagepipe/
      install-stamp.json            what is installed, keyed by hashes of its inputs
      localstack-venv/              LocalStack community + our Lambda executor plugin
      runtimes/python3.11/          the Lambda Python runtime (requirements/lambda-runtime.txt)
      localstack/                   LocalStack's FILESYSTEM_ROOT (DynamoDB Local, java/21 link, caches)
      tmp/<port>/                   TMPDIR of the emulator on <port>: S3 objects, unzipped function
                                    code, one folder per live Lambda environment; wiped at start/stop
      tmp/<port>/role-calls.jsonl   every call made with an assumed role's credentials (IAM check)
      tmp/<port>/lambda-faults.json the faults injected into functions' invocations (harness/faults.py)
      tmp/*.lock                    one installer / one start per port at a time
      logs/localstack.log           the emulator's log (logs/localstack-<port>.log off the default port)
      logs/lambda/<function>.log    each function's output, with START/END/REPORT lines
      logs/install.log              pip/npm/javac output of the last install
      emulator.json                 the running emulator: pid, endpoint, port, started_at
                                    (emulator-<port>.json off the default port)

Nothing is written to /var/lib, /etc or /usr/lib: LocalStack's own fixed paths are all redirected
under `localstack/` (FILESYSTEM_ROOT) or `tmp/<port>/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORT = 4566
LAMBDA_RUNTIMES = ("python3.11",)


def home() -> Path:
    """The state folder: `$IMAGEPIPE_HOME`, else `<repo>/.imagepipe`."""
    configured = os.environ.get("IMAGEPIPE_HOME", "").strip()
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT / ".imagepipe"


@dataclass(frozen=True)
class Paths:
    """The layout of one state folder (see the module docstring)."""

    root: Path

    @classmethod
    def default(cls) -> Paths:
        return cls(home())

    # installed things
    @property
    def stamp_file(self) -> Path:
        return self.root / "install-stamp.json"

    @property
    def localstack_venv(self) -> Path:
        return self.root / "localstack-venv"

    @property
    def localstack_python(self) -> Path:
        return self.localstack_venv / "bin" / "python"

    @property
    def runtimes(self) -> Path:
        return self.root / "runtimes"

    def runtime_venv(self, runtime: str = "python3.11") -> Path:
        return self.runtimes / runtime

    def runtime_python(self, runtime: str = "python3.11") -> Path:
        return self.runtime_venv(runtime) / "bin" / "python"

    @property
    def filesystem_root(self) -> Path:
        """LocalStack's FILESYSTEM_ROOT (its /var/lib/localstack, /usr/lib/localstack, /etc/localstack)."""
        return self.root / "localstack"

    @property
    def localstack_lib(self) -> Path:
        """Where LocalStack looks for the packages it would otherwise download (var_libs)."""
        return self.filesystem_root / "var" / "lib" / "localstack" / "lib"

    @property
    def java_home_link(self) -> Path:
        """LocalStack's `java/21`: a link to the system JDK."""
        return self.localstack_lib / "java" / "21"

    @property
    def dynamodb_local(self) -> Path:
        return self.localstack_lib / "dynamodb-local" / "2"

    # per-run things
    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def instance_tmp(self, port: int = DEFAULT_PORT) -> Path:
        """TMPDIR of the emulator on `port` (S3 objects, unzipped code, Lambda environments)."""
        return self.tmp / str(port)

    def s3_storage(self, port: int = DEFAULT_PORT) -> Path:
        return self.instance_tmp(port) / "s3-storage"

    def role_calls(self, port: int = DEFAULT_PORT) -> Path:
        """The calls made with assumed roles' credentials since the emulator started (one JSON line
        each, for the IAM check: harness/permissions)."""
        return self.instance_tmp(port) / "role-calls.jsonl"

    def lambda_faults(self, port: int = DEFAULT_PORT) -> Path:
        """The faults `python -m harness faults` injects into the functions of the emulator on `port`,
        read by its Lambda executor at every invocation (harness/faults.py); gone when it stops."""
        return self.instance_tmp(port) / "lambda-faults.json"

    def lambda_tmp(self, port: int = DEFAULT_PORT) -> Path:
        """Parent of the per-environment TMPDIRs of the Lambda functions."""
        return self.instance_tmp(port) / "lambda-environments"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def localstack_log(self, port: int = DEFAULT_PORT) -> Path:
        name = "localstack.log" if port == DEFAULT_PORT else f"localstack-{port}.log"
        return self.logs / name

    @property
    def lambda_logs(self) -> Path:
        return self.logs / "lambda"

    def lambda_log(self, function_name: str) -> Path:
        return self.lambda_logs / f"{function_name}.log"

    @property
    def install_log(self) -> Path:
        return self.logs / "install.log"

    def state_file(self, port: int = DEFAULT_PORT) -> Path:
        name = "emulator.json" if port == DEFAULT_PORT else f"emulator-{port}.json"
        return self.root / name

    def lambda_runtimes(self) -> dict[str, str]:
        """Runtime name → venv folder, as passed to the executor plugin (IMAGEPIPE_LAMBDA_RUNTIMES)."""
        return {runtime: str(self.runtime_venv(runtime)) for runtime in LAMBDA_RUNTIMES}


def layout() -> Paths:
    """The layout of the current state folder."""
    return Paths.default()
