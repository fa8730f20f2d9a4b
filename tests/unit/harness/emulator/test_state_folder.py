"""The state folder's layout, and that the emulator's environment keeps every path inside it."""

from __future__ import annotations

import json
from pathlib import Path

from harness.emulator import state_folder as paths_module
from harness.emulator.process import SERVICES, emulator_environment
from harness.emulator.state_folder import DEFAULT_PORT, REPO_ROOT, Paths


def test_the_state_folder_is_imagepipe_home_or_the_repos_dot_imagepipe(monkeypatch, tmp_path):
    monkeypatch.delenv("IMAGEPIPE_HOME", raising=False)
    assert paths_module.home() == REPO_ROOT / ".imagepipe"
    monkeypatch.setenv("IMAGEPIPE_HOME", str(tmp_path / "elsewhere"))
    assert paths_module.home() == tmp_path / "elsewhere"
    assert paths_module.layout().root == tmp_path / "elsewhere"


def test_layout(tmp_path):
    layout = Paths(tmp_path)
    assert layout.localstack_venv == tmp_path / "localstack-venv"
    assert layout.localstack_python == tmp_path / "localstack-venv" / "bin" / "python"
    assert layout.runtime_venv("python3.11") == tmp_path / "runtimes" / "python3.11"
    assert layout.filesystem_root == tmp_path / "localstack"
    assert layout.java_home_link == tmp_path / "localstack/var/lib/localstack/lib/java/21"
    assert layout.dynamodb_local == tmp_path / "localstack/var/lib/localstack/lib/dynamodb-local/2"
    assert layout.localstack_log() == tmp_path / "logs" / "localstack.log"
    assert layout.localstack_log(4610) == tmp_path / "logs" / "localstack-4610.log"
    assert layout.lambda_log("ingest") == tmp_path / "logs" / "lambda" / "ingest.log"
    assert layout.state_file() == layout.state_file(DEFAULT_PORT) == tmp_path / "emulator.json"
    assert layout.state_file(4610) == tmp_path / "emulator-4610.json"
    assert layout.instance_tmp(4566) == tmp_path / "tmp" / "4566"
    assert layout.lambda_runtimes() == {"python3.11": str(tmp_path / "runtimes" / "python3.11")}


def test_the_emulators_environment_keeps_every_path_in_the_state_folder(tmp_path):
    layout = Paths(tmp_path)
    env = emulator_environment(layout, 4610, base={"PATH": "/usr/bin", "VIRTUAL_ENV": "/x", "PYTHONPATH": "/y"})
    assert env["GATEWAY_LISTEN"] == "127.0.0.1:4610"
    assert env["OVERRIDE_IN_DOCKER"] == "0"
    assert env["FILESYSTEM_ROOT"] == str(tmp_path / "localstack")
    assert env["TMPDIR"] == str(tmp_path / "tmp" / "4610")
    assert f"-Djava.io.tmpdir={tmp_path / 'tmp' / '4610'}" in env["JAVA_TOOL_OPTIONS"]
    assert "-XX:-UsePerfData" in env["JAVA_TOOL_OPTIONS"]
    assert env["IMAGEPIPE_S3_STORAGE_DIR"].startswith(str(tmp_path / "tmp" / "4610"))
    assert json.loads(env["IMAGEPIPE_LAMBDA_RUNTIMES"]) == layout.lambda_runtimes()
    assert env["LAMBDA_RUNTIME_EXECUTOR"] == "imagepipe-host"
    assert env["SERVICES"].split(",") == list(SERVICES)
    assert env["EAGER_SERVICE_LOADING"] == "1"
    assert float(env["LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC"]) <= 1
    assert env["LOCALSTACK_TELEMETRY_DISABLED"] == "1" and env["DISABLE_EVENTS"] == "1"
    assert "VIRTUAL_ENV" not in env and "PYTHONPATH" not in env  # the project's venv stays out
    for key, value in env.items():
        for forbidden in ("/var/lib", "/etc/", "/usr/lib"):
            assert not value.startswith(forbidden), (key, value)
        if value.startswith("/") and key not in ("PATH",):
            assert Path(value).is_relative_to(tmp_path), (key, value)
