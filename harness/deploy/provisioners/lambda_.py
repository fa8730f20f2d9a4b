"""Lambda: functions (zip packages), event source mappings and permissions (resource policy statements)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from harness.deploy.inputs import DeployError, Inputs, UnsupportedInput
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name, wait_until
from harness.deployed.stack_state import ResourceRecord

# What a mapping's optional setting goes back to when the program drops it (AWS's "none" values).
_CLEARED: dict[str, Any] = {
    "ScalingConfig": {},
    "MaximumRetryAttempts": -1,
    "BisectBatchOnFunctionError": False,
    "DestinationConfig": {"OnFailure": {}},
}


@dataclass(frozen=True)
class FunctionSpec:
    """A function: its name, its configuration as CreateFunction takes it, its architectures, and
    its zip package with the package's SHA-256."""

    name: str
    configuration: dict[str, Any]
    architectures: list[str]
    code: bytes = field(repr=False)
    code_sha: str


class Function(Provisioner[FunctionSpec]):
    type_token = "aws:lambda/function:Function"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> FunctionSpec:
        _refuse_snap_start(inputs)
        function = physical_name(inputs, name, previous)
        package = _zip_of(inputs.take("code"), inputs.where)
        environment = inputs.sub("environment")
        configuration: dict[str, Any] = {
            "Role": inputs.take("role"),
            "Runtime": inputs.take("runtime"),
            "Handler": inputs.take("handler"),
            "Timeout": inputs.take("timeout", 3),
            "MemorySize": inputs.take("memorySize", 128),
            "Description": inputs.take("description", ""),
            "Environment": {"Variables": environment.take("variables", {}) if environment else {}},
        }
        architectures = inputs.take("architectures", ["x86_64"])
        inputs.ignore("packageType", "Zip")
        inputs.ignore("publish", False)
        code = package.read_bytes()
        return FunctionSpec(function, configuration, architectures, code, hashlib.sha256(code).hexdigest())

    def apply(self, ctx: Context, spec: FunctionSpec, previous: ResourceRecord | None) -> Applied:
        function, configuration, architectures = spec.name, spec.configuration, spec.architectures
        code, code_sha = spec.code, spec.code_sha
        lambda_ = ctx.client("lambda")
        if previous is not None and (previous.id != function or previous.outputs["architectures"] != architectures):
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            lambda_.create_function(
                FunctionName=function, Code={"ZipFile": code}, Architectures=architectures, **configuration
            )
        else:
            if previous.outputs["codeSha"] != code_sha:
                lambda_.update_function_code(FunctionName=function, ZipFile=code)
                _wait_updated(lambda_, function)
            if previous.outputs["configuration"] != configuration:
                lambda_.update_function_configuration(FunctionName=function, **configuration)
                _wait_updated(lambda_, function)
        described = wait_until(lambda: _settled(lambda_, function), f"function {function} to become Active", 120)
        arn = described["FunctionArn"]
        return Applied(
            function,
            {
                "name": function,
                "arn": arn,
                "qualifiedArn": f"{arn}:$LATEST",
                "invokeArn": f"arn:aws:apigateway:{ctx.region}:lambda:path/2015-03-31/functions/{arn}/invocations",
                "version": "$LATEST",
                "architectures": architectures,
                "configuration": configuration,
                "codeSha": code_sha,
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("lambda").delete_function(FunctionName=record.id)


@dataclass(frozen=True)
class EventSourceMappingSpec:
    """A mapping: its event source's ARN, its settings as CreateEventSourceMapping takes them (the
    function among them), and where in a stream it starts (None: not a stream, or not declared)."""

    source: str
    settings: dict[str, Any]
    starting_position: str | None


class EventSourceMapping(Provisioner[EventSourceMappingSpec]):
    type_token = "aws:lambda/eventSourceMapping:EventSourceMapping"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> EventSourceMappingSpec:
        source = inputs.take("eventSourceArn")
        settings: dict[str, Any] = {
            "FunctionName": inputs.take("functionName"),
            "Enabled": inputs.take("enabled", True),
            "BatchSize": inputs.take("batchSize", 10),
            "MaximumBatchingWindowInSeconds": inputs.take("maximumBatchingWindowInSeconds", 0),
            "FunctionResponseTypes": inputs.take("functionResponseTypes", []),
        }
        scaling = inputs.sub("scalingConfig")
        if scaling is not None:
            settings["ScalingConfig"] = {"MaximumConcurrency": scaling.take("maximumConcurrency")}
        settings.update(_stream_settings(inputs))
        starting_position = inputs.take("startingPosition", None)  # streams only; fixed once created
        return EventSourceMappingSpec(source, settings, starting_position)

    def apply(self, ctx: Context, spec: EventSourceMappingSpec, previous: ResourceRecord | None) -> Applied:
        source, settings, starting_position = spec.source, spec.settings, spec.starting_position
        lambda_ = ctx.client("lambda")
        if previous is not None and (
            previous.outputs["eventSourceArn"] != source
            or previous.outputs.get("startingPosition") != starting_position
        ):
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            position = {"StartingPosition": starting_position} if starting_position else {}
            uuid = lambda_.create_event_source_mapping(EventSourceArn=source, **position, **settings)["UUID"]
        else:
            uuid = previous.id
            dropped = {
                k: v for k, v in _CLEARED.items() if k in previous.outputs.get("settings", ()) and k not in settings
            }
            lambda_.update_event_source_mapping(UUID=uuid, **dropped, **settings)
        wanted = "Enabled" if settings["Enabled"] else "Disabled"
        wait_until(
            lambda: lambda_.get_event_source_mapping(UUID=uuid)["State"] == wanted,
            f"event source mapping {uuid} to be {wanted}",
        )
        return Applied(
            uuid,
            {
                "uuid": uuid,
                "eventSourceArn": source,
                "functionArn": settings["FunctionName"],
                "startingPosition": starting_position,
                "settings": sorted(settings),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("lambda").delete_event_source_mapping(UUID=record.id)


@dataclass(frozen=True)
class PermissionSpec:
    """A statement: its id, the prefix the id was made from (None: declared), and what it grants,
    as AddPermission takes it (the function among it)."""

    statement_id: str
    prefix: str | None
    granted: dict[str, str]


class Permission(Provisioner[PermissionSpec]):
    """One statement of a function's resource policy, e.g. API Gateway allowed to invoke it. Every
    input is what the statement is: any change replaces it (removed, then added again)."""

    type_token = "aws:lambda/permission:Permission"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> PermissionSpec:
        statement = inputs.take("statementId", None)
        prefix = inputs.take("statementIdPrefix", None)
        if statement is None:
            statement = (
                previous.outputs["statementId"]
                if previous is not None and previous.outputs.get("statementIdPrefix") == prefix
                else f"{prefix or name + '-'}{secrets.token_hex(4)}"
            )
        granted = {
            "FunctionName": inputs.take("function"),
            "Action": inputs.take("action"),
            "Principal": inputs.take("principal"),
        }
        for key, wire in (("sourceArn", "SourceArn"), ("sourceAccount", "SourceAccount")):
            if (value := inputs.take(key, None)) is not None:
                granted[wire] = value
        return PermissionSpec(statement, prefix, granted)

    def apply(self, ctx: Context, spec: PermissionSpec, previous: ResourceRecord | None) -> Applied:
        statement, prefix, granted = spec.statement_id, spec.prefix, spec.granted
        outputs = {
            "statementId": statement,
            "statementIdPrefix": prefix,
            "function": granted["FunctionName"],
            "granted": granted,
        }
        if previous is not None and previous.outputs == outputs:
            return Applied(statement, outputs)
        if previous is not None:
            self.delete(ctx, previous)
        ctx.client("lambda").add_permission(StatementId=statement, **granted)
        return Applied(statement, outputs)

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        lambda_ = ctx.client("lambda")
        with contextlib.suppress(lambda_.exceptions.ResourceNotFoundException):  # gone with its function
            lambda_.remove_permission(FunctionName=record.outputs["granted"]["FunctionName"], StatementId=record.id)


def _stream_settings(inputs: Inputs) -> dict[str, Any]:
    """What only a stream's mapping has: retries, bisecting a failing batch, where failures go."""
    settings: dict[str, Any] = {}
    if (retries := inputs.take("maximumRetryAttempts", None)) is not None:
        settings["MaximumRetryAttempts"] = retries
    if (bisect := inputs.take("bisectBatchOnFunctionError", None)) is not None:
        settings["BisectBatchOnFunctionError"] = bisect
    destinations = inputs.sub("destinationConfig")
    if destinations is not None:
        on_failure = destinations.sub("onFailure")
        if on_failure is None:
            raise DeployError(f"{destinations.where}: only an onFailure destination is applied here")
        settings["DestinationConfig"] = {"OnFailure": {"Destination": on_failure.take("destinationArn")}}
    return settings


def _refuse_snap_start(inputs: Inputs) -> None:
    """SnapStart (the stack setting imagepipe:lambdaSnapStart) needs a python3.12+ runtime, and the
    emulator runs python3.11 only: say so, rather than name the inputs it comes with."""
    snap_start = inputs.sub("snapStart")
    if snap_start is not None and snap_start.take("applyOn", "None") != "None":
        raise UnsupportedInput(
            f"{inputs.where}: SnapStart (imagepipe:lambdaSnapStart) cannot run here: it needs a python3.12+ "
            "runtime, and the local emulator runs functions on python3.11 only (nor does it snapshot them); "
            "turn imagepipe:lambdaSnapStart off for this stack"
        )


def _zip_of(code: Any, where: str) -> Path:
    if isinstance(code, pulumi.FileArchive) and str(code.path).endswith(".zip") and Path(code.path).is_file():
        return Path(code.path)
    raise DeployError(f"{where}: input 'code' must be a pulumi.FileArchive of an existing .zip, not {code!r}")


def _wait_updated(lambda_: Any, function: str) -> None:
    def done() -> bool:
        status = lambda_.get_function_configuration(FunctionName=function).get("LastUpdateStatus")
        if status == "Failed":
            raise DeployError(f"updating function {function} failed")
        return status in (None, "Successful")

    wait_until(done, f"function {function} to finish updating", 120)


def _settled(lambda_: Any, function: str) -> dict[str, Any] | None:
    described = lambda_.get_function_configuration(FunctionName=function)
    if described["State"] == "Failed":
        raise DeployError(f"function {function} failed to start: {described.get('StateReason', 'no reason given')}")
    return described if described["State"] == "Active" else None
