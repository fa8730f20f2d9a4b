"""Fixtures for the emulator's unit tests: a fake LocalStack runtime endpoint and a factory that
runs the Lambda runtime supervisor (harness/lambda_executor/.../supervisor.py) as a subprocess
against it, with a handler package written to tmp_path. No LocalStack involved."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.emulator.state_folder import REPO_ROOT
from harness.polling import wait_until
from imagepipe_lambda_executor.environment import function_environment

EXECUTOR_SOURCE = REPO_ROOT / "harness" / "lambda_executor"  # on pytest's pythonpath (pyproject.toml)

SUPERVISOR = EXECUTOR_SOURCE / "imagepipe_lambda_executor" / "supervisor.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Post:
    path: str
    body: bytes
    at: float

    def json(self):
        return json.loads(self.body)


class FakeRuntimeApi:
    """Plays LocalStack's side of the executor protocol: records every POST."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with api._lock:
                    api.posts.append(Post(self.path, body, time.monotonic()))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/_localstack_lambda/exec1"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def snapshot(self) -> list[Post]:
        with self._lock:
            return list(self.posts)

    def find(self, suffix: str) -> Post | None:
        return next((p for p in self.snapshot() if p.path.endswith(suffix)), None)

    def outcome(self, request_id: str) -> Post | None:
        return self.find(f"/invocations/{request_id}/response") or self.find(f"/invocations/{request_id}/error")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Result:
    request_id: str
    kind: str  # "response" or "error"
    body: object
    logs: str
    logs_posted_first: bool
    elapsed: float


@dataclass
class RunningSupervisor:
    api: FakeRuntimeApi
    process: subprocess.Popen
    port: int
    runtime_id: str
    code_dir: Path
    tmp_dir: Path
    log_file: Path

    def invoke(self, event=None, timeout: float = 15.0) -> Result:
        request_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "invoke-id": request_id,
                "payload": json.dumps(event if event is not None else {}),
                "invoked-function-arn": "arn:aws:lambda:us-east-1:000000000000:function:fn",
                "trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            }
        ).encode()
        started = time.monotonic()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/invoke", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 202
        outcome = wait_until(
            lambda: self.api.outcome(request_id), timeout=timeout, interval=0.01, what=f"the outcome of {request_id}"
        )
        logs = self.api.find(f"/invocations/{request_id}/logs")
        kind = outcome.path.rsplit("/", 1)[-1]
        return Result(
            request_id=request_id,
            kind=kind,
            body=outcome.json(),
            logs=logs.json()["logs"] if logs else "",
            logs_posted_first=bool(logs) and self.api.snapshot().index(logs) < self.api.snapshot().index(outcome),
            elapsed=time.monotonic() - started,
        )


@pytest.fixture
def runtime_api():
    api = FakeRuntimeApi()
    yield api
    api.close()


@pytest.fixture
def start_supervisor(tmp_path, runtime_api):
    """start_supervisor(files={"app.py": "..."}, handler="app.handler", timeout=3, memory=128,
    environment={...}, extra_env={...}, args=[...]) -> RunningSupervisor, ready (its ready post seen)."""
    started: list[RunningSupervisor] = []

    def start(
        files: dict[str, str],
        handler: str = "app.handler",
        timeout: int = 3,
        memory: int = 128,
        environment: dict[str, str] | None = None,
        extra_env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ) -> RunningSupervisor:
        index = len(started)
        code_dir = tmp_path / f"code{index}"
        for name, text in files.items():
            path = code_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        code_dir.mkdir(exist_ok=True)
        env_tmp = tmp_path / f"env{index}"
        env_tmp.mkdir()
        runtime_id = uuid.uuid4().hex
        env_vars = {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": "fn",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/01/01/[$LATEST]{runtime_id}",
            "AWS_ACCESS_KEY_ID": "AKIATEST",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_SESSION_TOKEN": "token",
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "TZ": ":UTC",
            "AWS_LAMBDA_FUNCTION_TIMEOUT": timeout,
            "LOCALSTACK_RUNTIME_ID": runtime_id,
            "LOCALSTACK_RUNTIME_ENDPOINT": runtime_api.url,
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "_HANDLER": handler,
            "AWS_EXECUTION_ENV": "AWS_Lambda_rapid",
            **(environment or {}),
        }
        env = function_environment(
            env_vars,
            code_dir=str(code_dir),
            tmp_dir=str(env_tmp),
            runtime="python3.11",
            runtime_dir=str(Path(sys.executable).parent.parent),
            function_variables=environment,
        )
        env.update(extra_env or {})
        port = free_port()
        log_file = tmp_path / "logs" / "fn.log"
        process = subprocess.Popen(
            [sys.executable, "-P", str(SUPERVISOR), "--port", str(port), "--log-file", str(log_file), *(args or [])],
            env=env,
            cwd=code_dir,
            start_new_session=True,
        )
        running = RunningSupervisor(runtime_api, process, port, runtime_id, code_dir, env_tmp, log_file)
        started.append(running)
        wait_until(lambda: runtime_api.find(f"/status/{runtime_id}/ready"), interval=0.01, what="the ready post")
        return running

    yield start
    for running in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(running.process.pid, 9)
        running.process.wait(timeout=5)
