"""The deployed web function's code and environment served by gunicorn on a loopback port, as the
3-tier option serves the app: the API bench measures it, and the e2e suite runs it with the web role's
credentials for the IAM check."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from harness import background
from harness.aws import AwsTarget
from harness.bench import BenchError
from harness.deployed.loopback_ports import free_port
from harness.polling import wait_until


def app_environment(
    function_environment: Mapping[str, str],
    target: AwsTarget,
    credentials: Mapping[str, str],
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The deployed web function's environment, for the app run on this machine against the emulator
    at `target` with `credentials` (AWS_ACCESS_KEY_ID and the rest); `overrides` replace some of the
    function's variables (the bench swaps the images table and the session key's secret)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        **function_environment,
        **(overrides or {}),
        "AWS_ENDPOINT_URL": target.endpoint_url,
        "AWS_REGION": target.region,
        "AWS_DEFAULT_REGION": target.region,
        **credentials,
    }


@dataclass(frozen=True)
class DeployedApp:
    """The deployed web function's code (unzipped) and environment."""

    code: Path
    environment: dict[str, str]
    role: str
    """The function's execution role's ARN."""


def deployed_app(target: AwsTarget, function_name: str, cache: Path) -> DeployedApp:
    """The code and environment the web function `function_name` runs with; the code is fetched
    once per deployed version (its CodeSha256) into `cache`."""
    function = target.client("lambda").get_function(FunctionName=function_name)
    version = hashlib.sha256(function["Configuration"]["CodeSha256"].encode()).hexdigest()[:16]
    folder = cache / f"{function_name}-{version}"
    if not folder.exists():
        answer = requests.get(function["Code"]["Location"], timeout=120)
        if answer.status_code != 200:
            raise BenchError(f"the code of {function_name} could not be fetched: {answer.status_code}")
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            archive.extractall(partial)
        partial.rename(folder)
    configuration = function["Configuration"]
    return DeployedApp(folder, configuration["Environment"]["Variables"], configuration["Role"])


@contextmanager
def served_app(code: Path, environment: dict[str, str]) -> Iterator[str]:
    """gunicorn serving the web app of `code` (first on the path) from `environment`: one worker,
    threads for keep-alive; its URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    command += ["--worker-class", "gthread", "--threads", "2", "handlers.web.environment:app_from_environment()"]
    variables = {**environment, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="imagepipe-app-") as folder:
        log = Path(folder) / "gunicorn.log"
        process = background.launch(command, log=log, cwd=code, env=variables)
        base = f"http://127.0.0.1:{port}"
        try:

            def answering() -> bool:
                if process.poll() is not None:
                    raise BenchError(f"gunicorn serving the web app ended:\n{background.log_tail(log)}")
                try:
                    return requests.get(f"{base}/api/health", timeout=2).status_code == 200
                except requests.ConnectionError:
                    return False

            wait_until(answering, timeout=30, what="gunicorn to serve the web app", error=BenchError)
            yield base
        finally:
            background.stop(process.pid, grace=10, family=True)  # its worker too
