"""Redeploying into the emulator: the pipeline's stack again without changes changes nothing, and a
small program's function runs its new code after a code change."""

from __future__ import annotations

import contextlib
import json
import uuid

import pytest

from harness.emulator import layout
from tests.replaying import replay, write_project

PROGRAM = """
    import pathlib, zipfile
    config = pulumi.Config("tiny")
    version, name = config.require("version"), config.require("name")
    package = pathlib.Path("code-" + version + ".zip").resolve()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\\n    return {'version': '" + version + "'}\\n")
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    )
    role = aws.iam.Role("role", name=name + "-role", assume_role_policy=trust)
    function = aws.lambda_.Function(
        "function", name=name, role=role.arn, runtime="python3.11",
        handler="app.handler", code=pulumi.FileArchive(str(package)), timeout=10,
    )
    pulumi.export("function", function.name)
"""


def test_a_redeploy_of_the_pipeline_without_changes_changes_nothing(stack):
    result = stack.deploy()
    assert "0 created, 0 updated" in result and "0 deleted" in result


@pytest.fixture
def redeployable(emulator, tmp_path):
    """Deploys the small program at a given code version (its function and role named for this test
    alone); removes what it made afterwards, whatever became of the test."""
    state, name = tmp_path / "state.json", f"imagepipe-e2e-redeploy-{uuid.uuid4().hex[:8]}"

    def deploy(version: str) -> dict:
        config = {"tiny:version": version, "tiny:name": name}
        result = replay(write_project(tmp_path, PROGRAM, config), "test", emulator.endpoint_url, state)
        assert "error" not in result, result
        return result

    yield deploy
    lam, iam, logs = emulator.client("lambda"), emulator.client("iam"), emulator.client("logs")
    with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName=name)
    with contextlib.suppress(iam.exceptions.NoSuchEntityException):
        iam.delete_role(RoleName=f"{name}-role")
    with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
        logs.delete_log_group(logGroupName=f"/aws/lambda/{name}")
    if emulator.embedded:
        layout().lambda_log(name).unlink(missing_ok=True)


def _invoke(emulator, name: str) -> dict:
    response = emulator.client("lambda").invoke(FunctionName=name, Payload=b"{}")
    return json.loads(response["Payload"].read())


def test_a_code_change_is_deployed_and_runs(emulator, redeployable):
    first = redeployable("one")
    assert first["created"] == 2
    assert _invoke(emulator, first["outputs"]["function"]) == {"version": "one"}

    second = redeployable("two")
    assert (second["created"], second["updated"], second["deleted"]) == (0, 1, 0)
    assert _invoke(emulator, second["outputs"]["function"]) == {"version": "two"}
