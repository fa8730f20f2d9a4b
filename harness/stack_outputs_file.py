"""A stack on AWS, from the file of its outputs (`pulumi stack output --json > FILE`): the outputs,
and a boto3 session in the stack's region (the file's `region` when it has one, else the caller's
AWS configuration's), with boto3's default credentials. The harness's commands that take
`--outputs FILE` (users, status, redrive) read it here; each says a problem in its own error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3


class OutputsFileError(ValueError):
    """The file cannot serve: unreadable, not outputs, an emulator's, or no region to be had."""


def aws_stack(path: Path) -> tuple[dict[str, Any], boto3.session.Session]:
    """The outputs in `path` and a session in the stack's region; OutputsFileError saying why not."""
    outputs = read_outputs(path)
    if "endpoint_url" in outputs:
        raise OutputsFileError(
            f"{path} describes a stack in an emulator ({outputs['endpoint_url']}), not on AWS: "
            "leave out --outputs to use the local stack"
        )
    region = outputs.get("region")
    if region is not None and (not isinstance(region, str) or not region):
        raise OutputsFileError(f"{path}: region {region!r} is not a region name")
    session = boto3.session.Session(region_name=region)
    if session.region_name is None:
        raise OutputsFileError(
            f"no AWS region: {path} has no `region` and the AWS configuration none "
            "(set AWS_REGION, or a region in ~/.aws/config)"
        )
    return outputs, session


def read_outputs(path: Path) -> dict[str, Any]:
    """The JSON object of stack outputs in `path`."""
    try:
        outputs = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise OutputsFileError(f"cannot read the outputs file {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise OutputsFileError(f"{path} is not JSON (expected `pulumi stack output --json`): {error}") from None
    if not isinstance(outputs, dict):
        raise OutputsFileError(f"{path} is not a JSON object of stack outputs (expected `pulumi stack output --json`)")
    return outputs
