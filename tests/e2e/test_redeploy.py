"""Redeploying into the emulator after a code change: the function runs the new code."""

from __future__ import annotations

import json

import pytest

from tests.replaying import replay, write_project

PROGRAM = """
    import pathlib, zipfile
    version = pulumi.Config("tiny").require("version")
    package = pathlib.Path("code-" + version + ".zip").resolve()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\\n    return {'version': '" + version + "'}\\n")
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    )
    role = aws.iam.Role("role", name="imagepipe-e2e-redeploy-role", assume_role_policy=trust)
    function = aws.lambda_.Function(
        "function", name="imagepipe-e2e-redeploy", role=role.arn, runtime="python3.11",
        handler="app.handler", code=pulumi.FileArchive(str(package)), timeout=10,
    )
    pulumi.export("function", function.name)
"""


@pytest.fixture
def redeployable(emulator, tmp_path):
    """Deploys the small program at a given code version; removes what it made afterwards."""
    state = tmp_path / "state.json"

    def deploy(version: str) -> dict:
        result = replay(
            write_project(tmp_path, PROGRAM, {"tiny:version": version}), "test", emulator.endpoint_url, state
        )
        assert "error" not in result, result
        return result

    yield deploy
    emulator.client("lambda").delete_function(FunctionName="imagepipe-e2e-redeploy")
    emulator.client("iam").delete_role(RoleName="imagepipe-e2e-redeploy-role")


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
