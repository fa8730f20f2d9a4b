"""Lambda functions and event source mappings, provisioned into moto and read back. (moto does not
run function code or poll event sources, so invocations and deliveries are tested in the emulator,
tests/e2e; here: what is configured.)"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import dynamodb, iam, lambda_, sqs

FUNCTION = lambda_.Function.type_token
MAPPING = lambda_.EventSourceMapping.type_token
ROLE = iam.Role.type_token
QUEUE = sqs.Queue.type_token
TABLE = dynamodb.Table.type_token


@pytest.fixture
def package(tmp_path: Path) -> Callable[[str], pulumi.FileArchive]:
    """A deployment package whose handler returns `answer`."""

    def make(answer: str) -> pulumi.FileArchive:
        path = tmp_path / f"{answer}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("main.py", f"def handler(event, context):\n    return {answer!r}\n")
        return pulumi.FileArchive(str(path))

    return make


@pytest.fixture
def role(provisioned, unique) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return provisioned.apply(ROLE, "role", {"name": unique("fn-role"), "assumeRolePolicy": trust}).outputs["arn"]


def _function(name: str, role: str, code: pulumi.FileArchive, **extra: Any) -> dict[str, Any]:
    return {"name": name, "role": role, "code": code, "runtime": "python3.11", "handler": "main.handler", **extra}


def _configuration(moto, name: str) -> dict[str, Any]:
    return moto.client("lambda").get_function_configuration(FunctionName=name)


def _function_names(moto, prefix: str) -> list[str]:
    functions = moto.client("lambda").list_functions()["Functions"]
    return [function["FunctionName"] for function in functions if function["FunctionName"].startswith(prefix)]


def _code_sha256(code: pulumi.FileArchive) -> str:
    return base64.b64encode(hashlib.sha256(Path(code.path).read_bytes()).digest()).decode()


def test_a_function_is_created_with_its_package_and_configuration(moto, provisioned, unique, role, package):
    name, code = unique("ingest"), package("v1")
    inputs = _function(
        name,
        role,
        code,
        timeout=30,
        memorySize=512,
        description="ingest",
        environment={"variables": {"STAGE": "test"}},
        architectures=["arm64"],
    )
    function = provisioned.apply(FUNCTION, "ingest", inputs)
    described = _configuration(moto, name)
    assert (function.id, function.outputs["arn"]) == (name, described["FunctionArn"])
    assert (described["Role"], described["Runtime"], described["Handler"]) == (role, "python3.11", "main.handler")
    assert (described["Timeout"], described["MemorySize"], described["Description"]) == (30, 512, "ingest")
    assert described["Environment"]["Variables"] == {"STAGE": "test"}
    assert described["Architectures"] == ["arm64"]
    assert described["CodeSha256"] == _code_sha256(code)


def test_a_function_is_updated_in_place_with_new_code_and_configuration(moto, provisioned, unique, role, package):
    name = unique("ingest")
    declared = {"timeout": 30, "environment": {"variables": {"STAGE": "test"}}}
    first = provisioned.apply(FUNCTION, "ingest", _function(name, role, package("v1"), **declared))

    new_code = package("v2")
    second = provisioned.apply(FUNCTION, "ingest", _function(name, role, new_code, timeout=60))
    assert second.outputs["arn"] == first.outputs["arn"]
    described = _configuration(moto, name)
    assert described["CodeSha256"] == _code_sha256(new_code)
    assert described["Timeout"] == 60
    assert not described.get("Environment", {}).get("Variables")  # dropped from the program, gone here


def test_a_function_renamed_or_moved_to_another_architecture_is_replaced(moto, provisioned, unique, role, package):
    old_name, new_name = unique("before"), unique("after")
    provisioned.apply(FUNCTION, "fn", _function(old_name, role, package("v1")))
    provisioned.apply(FUNCTION, "fn", _function(new_name, role, package("v1")))
    assert _function_names(moto, new_name) == [new_name]
    assert _function_names(moto, old_name) == []

    provisioned.apply(FUNCTION, "fn", _function(new_name, role, package("v1"), architectures=["arm64"]))
    assert _configuration(moto, new_name)["Architectures"] == ["arm64"]


def test_a_deleted_function_is_gone(moto, provisioned, unique, role, package):
    name = unique("gone")
    provisioned.apply(FUNCTION, "fn", _function(name, role, package("v1")))
    provisioned.delete(FUNCTION, "fn")
    assert _function_names(moto, name) == []


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"tags": {"team": "photos"}}, "'tags'"),
        ({"publish": True}, "'publish' = True"),
        ({"layers": ["x"]}, "'layers'"),
    ],
)
def test_a_function_input_not_applied_stops_the_deploy_naming_it(
    moto, provisioned, unique, role, package, extra, named
):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=rf"^aws:lambda/function:Function 'fn': .*{named}"):
        provisioned.apply(FUNCTION, "fn", _function(name, role, package("v1"), **extra))
    assert _function_names(moto, name) == []


def test_a_function_whose_code_is_not_a_zip_archive_is_refused_naming_it(moto, provisioned, unique, role, tmp_path):
    name = unique("strict")
    code = pulumi.FileArchive(str(tmp_path))
    with pytest.raises(DeployError, match=r"^aws:lambda/function:Function 'fn': input 'code' must be"):
        provisioned.apply(FUNCTION, "fn", _function(name, role, code))
    assert _function_names(moto, name) == []


@pytest.fixture
def function(provisioned, unique, role, package) -> str:
    return provisioned.apply(FUNCTION, "fn", _function(unique("consumer"), role, package("v1"))).id


@pytest.fixture
def queues(provisioned, unique) -> tuple[str, str]:
    return tuple(provisioned.apply(QUEUE, name, {"name": unique(name)}).outputs["arn"] for name in ("first", "second"))


def _mapping(moto, uuid: str) -> dict[str, Any]:
    return moto.client("lambda").get_event_source_mapping(UUID=uuid)


def _mapping_uuids(moto, function: str) -> list[str]:
    mappings = moto.client("lambda").list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
    return [mapping["UUID"] for mapping in mappings]


def test_a_queue_mapping_is_created_with_its_batching_and_scaling(moto, provisioned, function, queues):
    queue, _ = queues
    inputs = {
        "eventSourceArn": queue,
        "functionName": function,
        "batchSize": 5,
        "maximumBatchingWindowInSeconds": 2,
        "functionResponseTypes": ["ReportBatchItemFailures"],
        "scalingConfig": {"maximumConcurrency": 4},
    }
    mapping = provisioned.apply(MAPPING, "m", inputs)
    described = _mapping(moto, mapping.id)
    assert (described["EventSourceArn"], described["State"]) == (queue, "Enabled")
    assert described["FunctionArn"].endswith(f":function:{function}")
    assert (described["BatchSize"], described["MaximumBatchingWindowInSeconds"]) == (5, 2)
    assert described["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert described["ScalingConfig"] == {"MaximumConcurrency": 4}


def test_a_mapping_is_updated_in_place_and_loses_what_is_dropped(moto, provisioned, function, queues):
    queue, _ = queues
    wiring = {"eventSourceArn": queue, "functionName": function}
    first = provisioned.apply(MAPPING, "m", {**wiring, "batchSize": 5, "scalingConfig": {"maximumConcurrency": 4}})

    second = provisioned.apply(MAPPING, "m", {**wiring, "batchSize": 8, "enabled": False})
    assert second.id == first.id
    described = _mapping(moto, first.id)
    assert (described["BatchSize"], described["State"]) == (8, "Disabled")
    assert not described.get("ScalingConfig")


def test_a_mapping_to_another_source_replaces_the_old_one(moto, provisioned, function, queues):
    first_queue, second_queue = queues
    old = provisioned.apply(MAPPING, "m", {"eventSourceArn": first_queue, "functionName": function})
    new = provisioned.apply(MAPPING, "m", {"eventSourceArn": second_queue, "functionName": function})
    assert _mapping_uuids(moto, function) == [new.id] != [old.id]
    assert _mapping(moto, new.id)["EventSourceArn"] == second_queue

    provisioned.delete(MAPPING, "m")
    assert _mapping_uuids(moto, function) == []


def test_a_stream_mapping_is_created_with_its_retries_and_failure_destination(
    moto, provisioned, unique, function, queues
):
    _, failures = queues
    table = {"name": unique("records"), "hashKey": "id", "attributes": [{"name": "id", "type": "S"}]}
    stream = provisioned.apply(TABLE, "records", {**table, "streamEnabled": True, "streamViewType": "NEW_IMAGE"})
    inputs = {
        "eventSourceArn": stream.outputs["streamArn"],
        "functionName": function,
        "startingPosition": "LATEST",
        "maximumRetryAttempts": 2,
        "bisectBatchOnFunctionError": True,
        "destinationConfig": {"onFailure": {"destinationArn": failures}},
    }
    mapping = provisioned.apply(MAPPING, "m", inputs)
    described = _mapping(moto, mapping.id)
    assert (described["StartingPosition"], described["MaximumRetryAttempts"]) == ("LATEST", 2)
    assert described["BisectBatchOnFunctionError"] is True
    assert described["DestinationConfig"] == {"OnFailure": {"Destination": failures}}

    replaced = provisioned.apply(MAPPING, "m", {**inputs, "startingPosition": "TRIM_HORIZON"})  # fixed once created
    assert _mapping_uuids(moto, function) == [replaced.id] != [mapping.id]
    assert _mapping(moto, replaced.id)["StartingPosition"] == "TRIM_HORIZON"

    wiring = {k: inputs[k] for k in ("eventSourceArn", "functionName")}
    updated = provisioned.apply(MAPPING, "m", {**wiring, "startingPosition": "TRIM_HORIZON"})
    described = _mapping(moto, updated.id)
    assert updated.id == replaced.id
    assert (described["MaximumRetryAttempts"], described["BisectBatchOnFunctionError"]) == (-1, False)
    assert not described["DestinationConfig"]["OnFailure"].get("Destination")


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"filterCriteria": {"filters": []}}, "'filterCriteria'"),
        ({"scalingConfig": {"maximumConcurrency": 2, "x": 1}}, r"'scalingConfig.x'"),
    ],
)
def test_a_mapping_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, function, queues, extra, named):
    queue, _ = queues
    inputs = {"eventSourceArn": queue, "functionName": function, **extra}
    with pytest.raises(UnsupportedInput, match=rf"^aws:lambda/eventSourceMapping:EventSourceMapping 'm': .*{named}"):
        provisioned.apply(MAPPING, "m", inputs)
    assert _mapping_uuids(moto, function) == []


PERMISSION = lambda_.Permission.type_token


def _statements(moto, function: str) -> dict[str, dict[str, Any]]:
    lambda_client = moto.client("lambda")
    try:
        policy = json.loads(lambda_client.get_policy(FunctionName=function)["Policy"])
    except lambda_client.exceptions.ResourceNotFoundException:
        return {}
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def _api_may_invoke(function: str, source_arn: str, **extra: Any) -> dict[str, Any]:
    return {
        "action": "lambda:InvokeFunction",
        "function": function,
        "principal": "apigateway.amazonaws.com",
        "sourceArn": source_arn,
        **extra,
    }


def test_a_function_gives_the_invoke_arn_api_gateway_integrations_use(provisioned, unique, role, package):
    function = provisioned.apply(FUNCTION, "web", _function(unique("web"), role, package("v1")))
    arn = function.outputs["arn"]
    assert function.outputs["invokeArn"] == (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    )


def test_a_permission_lets_api_gateway_invoke_a_function_and_is_removed(moto, provisioned, unique, role, package):
    name = unique("web")
    function = provisioned.apply(FUNCTION, "web", _function(name, role, package("v1")))
    source = "arn:aws:execute-api:us-east-1:123456789012:abc123/*/*"
    permission = provisioned.apply(PERMISSION, "api", _api_may_invoke(function.outputs["arn"], source))
    assert permission.id.startswith("api-")
    statement = _statements(moto, name)[permission.id]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == source

    again = provisioned.apply(PERMISSION, "api", _api_may_invoke(function.outputs["arn"], source))
    assert again.id == permission.id and list(_statements(moto, name)) == [permission.id]

    provisioned.delete(PERMISSION, "api")
    assert _statements(moto, name) == {}


def test_a_changed_permission_replaces_its_statement(moto, provisioned, unique, role, package):
    name = unique("web")
    provisioned.apply(FUNCTION, "web", _function(name, role, package("v1")))
    first = provisioned.apply(
        PERMISSION, "api", _api_may_invoke(name, "arn:aws:execute-api:us-east-1:1:a/*", statementId="s1")
    )
    changed = provisioned.apply(
        PERMISSION, "api", _api_may_invoke(name, "arn:aws:execute-api:us-east-1:1:b/*", statementId="s1")
    )
    assert first.id == changed.id == "s1"
    assert _statements(moto, name)["s1"]["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(":b/*")
    renamed = provisioned.apply(
        PERMISSION, "api", _api_may_invoke(name, "arn:aws:execute-api:us-east-1:1:b/*", statementIdPrefix="apigw-")
    )
    assert renamed.id.startswith("apigw-") and list(_statements(moto, name)) == [renamed.id]


def test_a_permission_of_a_deleted_function_deletes_quietly(moto, provisioned, unique, role, package):
    name = unique("web")
    provisioned.apply(FUNCTION, "web", _function(name, role, package("v1")))
    provisioned.apply(PERMISSION, "api", _api_may_invoke(name, "arn:aws:execute-api:us-east-1:1:a/*"))
    provisioned.delete(FUNCTION, "web")
    provisioned.delete(PERMISSION, "api")


@pytest.mark.parametrize(
    ("extra", "named"), [({"qualifier": "live"}, "'qualifier'"), ({"principalOrgId": "o-1"}, "'principalOrgId'")]
)
def test_a_permission_input_not_applied_stops_the_deploy_naming_it(
    moto, provisioned, unique, role, package, extra, named
):
    name = unique("web")
    provisioned.apply(FUNCTION, "web", _function(name, role, package("v1")))
    with pytest.raises(UnsupportedInput, match=rf"^aws:lambda/permission:Permission 'strict': .*{named}"):
        provisioned.apply(PERMISSION, "strict", _api_may_invoke(name, "arn:aws:execute-api:us-east-1:1:a/*", **extra))
    assert _statements(moto, name) == {}
