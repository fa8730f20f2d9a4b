"""A LocalStack `RuntimeExecutor` that runs each Lambda execution environment as a host process.

LocalStack community only has a Docker executor; without a Docker engine every function ends up
Failed. This one starts `supervisor.py` with the Lambda runtime's Python (a virtualenv the harness
installs) for each execution environment; the supervisor speaks the runtime side of LocalStack's
executor protocol (`executor_endpoint.py`): it announces itself at `<runtime endpoint>/status/<id>/ready`,
receives invocations on its own port and posts logs, then the response or error, back.

Configured through LocalStack's environment (see environment.py): IMAGEPIPE_LAMBDA_RUNTIMES,
IMAGEPIPE_LAMBDA_LOG_DIR, IMAGEPIPE_LAMBDA_TMP_DIR, IMAGEPIPE_LAMBDA_FAULTS_FILE (the faults the
supervisor injects: faults.py).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.services.lambda_.invocation.executor_endpoint import (
    ExecutorEndpoint,
    StatusErrorException,
)
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)
from localstack.utils.net import get_free_tcp_port

from .environment import (
    FAULTS_FILE_VAR,
    LOG_DIR_VAR,
    TMP_DIR_VAR,
    configured_runtimes,
    function_environment,
    host_architecture,
)

LOG = logging.getLogger(__name__)
SUPERVISOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "supervisor.py")
HOST = "127.0.0.1"


def _function_name(function_version: FunctionVersion) -> str:
    name: str = function_version.id.function_name
    return name


def _check_supported(function_version: FunctionVersion) -> str:
    """The runtime's virtualenv folder; LambdaRuntimeException naming what is available otherwise
    (LocalStack then marks the function Failed with that reason)."""
    name = _function_name(function_version)
    cfg = function_version.config
    if cfg.package_type != PackageType.Zip:
        raise LambdaRuntimeException(
            f"function {name}: package type {cfg.package_type} is not supported by the imagepipe "
            "host executor (no Docker here); use a .zip deployment package"
        )
    runtimes = configured_runtimes()
    available = ", ".join(sorted(runtimes)) or "none"
    if cfg.runtime not in runtimes:
        raise LambdaRuntimeException(
            f"function {name}: runtime {cfg.runtime} is not available in the imagepipe host "
            f"executor; available runtimes: {available}"
        )
    architecture = (cfg.architectures or ["x86_64"])[0]
    host = host_architecture()
    if architecture != host:
        raise LambdaRuntimeException(
            f"function {name}: architecture {architecture} cannot run on this {host} host "
            f"(the imagepipe host executor runs functions as host processes); "
            f"available: {available} on {host}"
        )
    return runtimes[cfg.runtime]


class HostRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:  # noqa: A002 - LocalStack passes id=
        super().__init__(id=id, function_version=function_version)
        self.executor_endpoint = ExecutorEndpoint(self.id, container_address=HOST)
        self.process: subprocess.Popen[bytes] | None = None
        self.tmp_dir: str | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=2000)
        self._stopped = threading.Event()

    # lifecycle
    def start(self, env_vars: dict[str, str]) -> None:
        self.executor_endpoint.start()
        runtime_dir = _check_supported(self.function_version)
        name = _function_name(self.function_version)
        code_dir = str(self.function_version.config.code.get_unzipped_code_location())
        tmp_parent = os.environ.get(TMP_DIR_VAR) or tempfile.gettempdir()
        os.makedirs(tmp_parent, exist_ok=True)
        self.tmp_dir = tempfile.mkdtemp(prefix=f"{name}-{self.id[:8]}-", dir=tmp_parent)
        env = function_environment(
            env_vars,
            code_dir=code_dir,
            tmp_dir=self.tmp_dir,
            runtime=self.function_version.config.runtime,
            runtime_dir=runtime_dir,
            function_variables=self.function_version.config.environment,
        )
        port = get_free_tcp_port()
        self.executor_endpoint.container_port = port
        command = [
            os.path.join(runtime_dir, "bin", "python"),
            "-P",
            SUPERVISOR,
            "--port",
            str(port),
        ]
        log_dir = os.environ.get(LOG_DIR_VAR)
        if log_dir:
            command += ["--log-file", os.path.join(log_dir, f"{name}.log")]
        if faults_file := os.environ.get(FAULTS_FILE_VAR):
            command += ["--faults-file", faults_file]
        LOG.debug("Starting host runtime for %s: %s", self.function_version.qualified_arn, command)
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=code_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends the worker and its children too
        )
        threading.Thread(target=self._follow, name=f"lambda-host-{self.id[:8]}", daemon=True).start()
        self.executor_endpoint.wait_for_startup()

    def _follow(self) -> None:
        """Keep the supervisor's own output (for get_logs), and fail fast if it dies."""
        process = self.process
        assert process is not None and process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._output.append(line)
            LOG.debug("[lambda %s] %s", self.id[:8], line)
        process.wait()
        if self._stopped.is_set():
            return
        payload = json.dumps(
            {
                "errorMessage": f"Runtime exited with error: exit status {process.returncode}. "
                + " | ".join(list(self._output)[-5:]),
                "errorType": "Runtime.ExitError",
            }
        ).encode()
        startup = self.executor_endpoint.startup_future
        if startup is not None and not startup.done():
            with contextlib.suppress(Exception):
                startup.set_exception(StatusErrorException("Runtime exited during startup", payload))
        invocation = self.executor_endpoint.invocation_future
        if invocation is not None and not invocation.done():
            with contextlib.suppress(Exception):
                invocation.set_result(InvocationResult("", payload, is_error=True, logs="\n".join(self._output)))

    def stop(self) -> None:
        self._stopped.set()
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                LOG.warning("Lambda host runtime %s did not exit", process.pid)
        try:
            self.executor_endpoint.shutdown()
        except Exception as error:
            LOG.debug("Error shutting down executor endpoint %s: %s", self.id, error)
        if self.tmp_dir:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    # addresses
    def get_address(self) -> str:
        return HOST

    def get_endpoint_from_executor(self) -> str:
        return HOST

    def get_runtime_endpoint(self) -> str:
        return (
            f"http://{self.get_endpoint_from_executor()}:{config.GATEWAY_LISTEN[0].port}"
            f"{self.executor_endpoint.get_endpoint_prefix()}"
        )

    # invocations
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        started = time.perf_counter()
        result = self.executor_endpoint.invoke(payload)
        LOG.debug("Invoke on host runtime %s took %.1f ms", self.id[:8], (time.perf_counter() - started) * 1000)
        return result

    def get_logs(self) -> str:
        return "\n".join(self._output)

    # versions
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        _check_supported(function_version)
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        runtimes = configured_runtimes()
        if not runtimes:
            LOG.warning(
                "imagepipe host executor: no Lambda runtime configured (IMAGEPIPE_LAMBDA_RUNTIMES); "
                "every function will fail"
            )
            return False
        return True
