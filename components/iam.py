"""Least-privilege IAM: policy documents built from statements that name exact actions and resources.

Each stage states what its function does (read these objects, write that table); nothing here grants
a wildcard action or `Resource: "*"`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi


@dataclass(frozen=True)
class Statement:
    """One `Allow` statement: these actions on these resources (ARNs, possibly Outputs)."""

    actions: Sequence[str]
    resources: Sequence[pulumi.Input[str]]
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.actions or not self.resources:
            raise ValueError("a statement needs at least one action and one resource")
        if any(action == "*" or action.endswith(":*") for action in self.actions):
            raise ValueError(f"wildcard actions are not least privilege: {list(self.actions)}")


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """The JSON policy document allowing exactly `statements`, once every ARN is known."""

    def render(resolved: list[list[str]]) -> str:
        body = []
        for statement, resources in zip(statements, resolved, strict=True):
            entry: dict[str, Any] = {
                "Effect": "Allow",
                "Action": sorted(set(statement.actions)),
                "Resource": resources if len(resources) > 1 else resources[0],
            }
            if statement.conditions:
                entry["Condition"] = {k: dict(v) for k, v in statement.conditions.items()}
            body.append(entry)
        return json.dumps({"Version": "2012-10-17", "Statement": body}, sort_keys=True)

    return pulumi.Output.all(*[pulumi.Output.all(*s.resources) for s in statements]).apply(render)


def service_assume_role_policy(service: str) -> str:
    """The trust policy letting one AWS service (e.g. `lambda.amazonaws.com`) assume a role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        },
        sort_keys=True,
    )


def resource_policy_for_source(
    sid: str,
    service: str,
    action: str,
    resource: str,
    source_arn: str,
    match: str = "ArnEquals",
    source_account: str | None = None,
) -> str:
    """A resource policy letting one AWS service do `action` on `resource`, only on behalf of the one
    resource `source_arn` (e.g. S3 publishing a bucket's events to a topic) and, when given, only of
    `source_account`: an S3 bucket's ARN names no account, so another account's bucket of the same
    name (ours deleted, the name taken) would match `aws:SourceArn` alone."""
    condition: dict[str, dict[str, str]] = {match: {"aws:SourceArn": source_arn}}
    if source_account is not None:
        condition["StringEquals"] = {"aws:SourceAccount": source_account}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": action,
                    "Resource": resource,
                    "Condition": condition,
                }
            ],
        },
        sort_keys=True,
    )


def objects_under(bucket_arn: pulumi.Input[str], prefix: str) -> pulumi.Output[str]:
    """The ARN pattern of every object under `prefix` in a bucket, e.g. `arn:aws:s3:::b/uploads/*`."""
    return pulumi.Output.concat(bucket_arn, "/", prefix.strip("/"), "/*")
