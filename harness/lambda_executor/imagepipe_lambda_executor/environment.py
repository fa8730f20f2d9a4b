"""How the executor configures itself (from LocalStack's environment) and builds a function's
environment. Standard library only, so it is testable without LocalStack."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping

# Set in LocalStack's environment by the harness (harness/emulator/process.py).
RUNTIMES_VAR = "IMAGEPIPE_LAMBDA_RUNTIMES"  # JSON: {"python3.11": "<venv folder>"}
LOG_DIR_VAR = "IMAGEPIPE_LAMBDA_LOG_DIR"  # <state>/logs/lambda
TMP_DIR_VAR = "IMAGEPIPE_LAMBDA_TMP_DIR"  # parent of the per-environment TMPDIRs
FAULTS_FILE_VAR = "IMAGEPIPE_LAMBDA_FAULTS_FILE"  # <state>/tmp/<port>/lambda-faults.json (faults.py)

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def configured_runtimes(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Runtime name -> virtualenv folder, for those that exist on disk."""
    try:
        runtimes = json.loads(environ.get(RUNTIMES_VAR) or "{}")
    except ValueError:
        return {}
    return {name: folder for name, folder in runtimes.items() if os.path.exists(os.path.join(folder, "bin", "python"))}


def host_architecture() -> str:
    """The host's CPU as Lambda names architectures: x86_64 or arm64."""
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


def function_environment(
    env_vars: Mapping[str, object],
    *,
    code_dir: str,
    tmp_dir: str,
    runtime: str,
    runtime_dir: str,
    function_variables: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The clean environment a function's process gets: what LocalStack passes for the function
    (its Environment, credentials, AWS_ENDPOINT_URL, _HANDLER, timeout, memory size, runtime id and
    endpoint) plus what AWS's runtime provides; nothing from LocalStack's or the harness's own
    environment."""
    env = {key: str(value) for key, value in env_vars.items() if value is not None}
    env.update(
        {
            "PATH": f"{os.path.join(runtime_dir, 'bin')}:{SYSTEM_PATH}",
            "LANG": "C.UTF-8",
            "HOME": tmp_dir,
            "TMPDIR": tmp_dir,
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": runtime_dir,
            "PYTHONPATH": code_dir,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        }
    )
    env.setdefault("TZ", ":UTC")
    # The function's own Environment may override what AWS leaves unreserved (PATH, LANG, TZ,
    # PYTHONPATH, ...), never the reserved keys (LAMBDA_TASK_ROOT, _HANDLER, AWS_*, ...).
    for key, value in (function_variables or {}).items():
        if key not in RESERVED and not key.startswith("AWS_LAMBDA_"):
            env[key] = str(value)
    return env


RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "LOCALSTACK_RUNTIME_ID",
        "LOCALSTACK_RUNTIME_ENDPOINT",
    }
)
