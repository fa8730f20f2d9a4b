"""The whole Pulumi program run once under recording mocks: every resource's inputs, by type and name."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest

from harness.deploy import Project
from harness.mocked_program import main_of, run_mocked

ROOT = Path(__file__).resolve().parents[3]
PREFIX_LIST_ID = "pl-3b927c52"  # CloudFront's origin-facing addresses in us-east-1


@dataclass
class Recorded:
    """What the program declared: inputs and parent type by (type, name), and its exports."""

    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    parents: dict[tuple[str, str], str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_token: str) -> dict[str, dict[str, Any]]:
        return {name: inputs for (typ, name), inputs in self.resources.items() if typ == type_token}

    def one(self, type_token: str, name: str) -> dict[str, Any]:
        return self.resources[(type_token, name)]


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like a provider would (ids, ARNs, URLs) and remembers every registration; `altered`
    (type → properties) makes it report other values for some properties of every resource of a type,
    as if their inputs had changed."""

    def __init__(self, recorded: Recorded, altered: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.recorded = recorded
        self.altered = altered or {}
        self.lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        with self.lock:
            self.recorded.resources[(args.typ, args.name)] = dict(args.inputs)
        physical = args.inputs.get("name") or args.inputs.get("bucket") or args.name
        outputs = {
            **args.inputs,
            "arn": _arn(args.typ, physical),
            "url": f"https://sqs.us-east-1.amazonaws.com/000000000000/{physical}",
            "bucket": args.inputs.get("bucket", physical),
            "name": physical,
        }
        if args.typ == "aws:ses/emailIdentity:EmailIdentity":
            outputs["arn"] = f"arn:aws:ses:us-east-1:000000000000:identity/{args.inputs['email']}"
        if args.typ == "aws:dynamodb/table:Table" and args.inputs.get("streamEnabled"):
            outputs["streamArn"] = f"{outputs['arn']}/stream/mocked"
        if args.typ == "aws:apigateway/restApi:RestApi":
            outputs["executionArn"] = f"arn:aws:execute-api:us-east-1:000000000000:{physical}-id"
            outputs["rootResourceId"] = f"{physical}-root"
        if args.typ == "aws:lambda/function:Function":
            outputs["invokeArn"] = _invoke_arn(outputs["arn"])
            outputs["version"] = "1" if args.inputs.get("publish") else "$LATEST"
        if args.typ == "aws:lambda/alias:Alias":  # arn:…:<function>:<alias>, invoked through API Gateway
            outputs["arn"] = f"{_arn('aws:lambda/function:Function', args.inputs['functionName'])}:{physical}"
            outputs["invokeArn"] = _invoke_arn(outputs["arn"])
        if args.typ == "aws:apigateway/stage:Stage":
            outputs["invokeUrl"] = f"https://api-id.execute-api.us-east-1.amazonaws.com/{args.inputs['stageName']}"
        if args.typ == "aws:cloudfront/distribution:Distribution":
            outputs["domainName"] = "d111111abcdef8.cloudfront.net"
        if args.typ == "aws:lb/loadBalancer:LoadBalancer":
            outputs["arnSuffix"] = f"app/{physical}/50dc6c495c0c9188"
            outputs["dnsName"] = f"internal-{physical}-1234567890.us-east-1.elb.amazonaws.com"
        if args.typ == "aws:lb/targetGroup:TargetGroup":
            outputs["arnSuffix"] = f"targetgroup/{physical}/73e2d6bc24d8a067"
        if args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            outputs["latestVersion"] = 1
        outputs.update(self.altered.get(args.typ, {}))
        return f"{physical}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        """AWS's answer to the one lookup the program makes: a managed prefix list (CloudFront's)."""
        if args.token == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            return {"id": PREFIX_LIST_ID, "name": args.args["name"], "addressFamily": "IPv4", "entries": []}
        raise AssertionError(f"the program should not call {args.token}")


class RecordingMonitor(pulumi.runtime.mocks.MockMonitor):
    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recorded = mocks.recorded

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.parent:
            with self.mocks.lock:
                self.recorded.parents[(request.type, request.name)] = request.parent.split("::")[2].split("$")[-1]
        return super().RegisterResource(request)


def _invoke_arn(function_arn: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def _arn(type_token: str, physical: str) -> str:
    service = type_token.split(":")[1].split("/")[0]
    if service == "s3":
        return f"arn:aws:s3:::{physical}"
    if type_token == "aws:cloudwatch/logGroup:LogGroup":
        return f"arn:aws:logs:us-east-1:000000000000:log-group:{physical}"
    return f"arn:aws:{service}:us-east-1:000000000000:{physical}"


def run_program(
    overrides: dict[str, str] | None = None,
    altered: Mapping[str, Mapping[str, Any]] | None = None,
    without: Collection[str] = (),
) -> Recorded:
    """The program for the `local` stack, with `overrides` of its config (`ns:key` → string), the
    keys `without` left out, and properties `altered` as RecordingMocks says."""
    recorded = Recorded()
    mocks = RecordingMocks(recorded, altered)
    config = {**Project(ROOT).stack_config("local"), **(overrides or {})}
    config = {key: value for key, value in config.items() if key not in without}
    recorded.outputs = run_mocked(
        main_of(ROOT), mocks, project="imagepipe", stack="local", config=config, monitor=RecordingMonitor(mocks)
    )
    return recorded


@pytest.fixture(scope="session")
def program() -> Recorded:
    return run_program()
