"""S3 answering a role as AWS does, for handler tests against moto.

AWS answers a read (GetObject, HeadObject) of a key the bucket does not hold with 404 NoSuchKey only
when the caller may also list the bucket, `s3:ListBucket` evaluated with `s3:prefix` set to the key;
to any other caller it answers 403 AccessDenied. moto (and LocalStack) answer 404 to everyone, so a
handler that takes 404 for "gone" passes there and fails on AWS whenever its role cannot list.

`as_role(client, policy, bucket_arn)` makes a moto S3 client answer such reads as AWS would answer
a role holding the identity policy `policy` (a document as the stack declares it) on a bucket whose
ARN in that policy is `bucket_arn`. Only what decides that answer is evaluated: Allow and Deny
statements, `Action`/`NotAction` and `Resource` with wildcards, and the string conditions on
`s3:prefix`; a condition it cannot evaluate is an error naming it, never a guess.
"""

from __future__ import annotations

import fnmatch
from typing import Any

READS = ("GetObject", "HeadObject")
STRING_CONDITIONS = {
    "StringEquals": lambda value, pattern: value == pattern,
    "StringLike": lambda value, pattern: fnmatch.fnmatchcase(value, pattern),
}


class Unevaluated(ValueError):
    """A policy holds a condition this module does not evaluate."""


def may_list(policy: dict[str, Any], bucket_arn: str, prefix: str) -> bool:
    """Whether `policy` allows `s3:ListBucket` on `bucket_arn` for a listing of `prefix`."""
    matching = [s for s in _statements(policy) if _applies(s, "s3:ListBucket", bucket_arn, {"s3:prefix": prefix})]
    return any(s["Effect"] == "Allow" for s in matching) and not any(s["Effect"] == "Deny" for s in matching)


def as_role(client: Any, policy: dict[str, Any], bucket_arn: str) -> Any:
    """`client` (a boto3 S3 client on moto), answering reads of missing keys as AWS answers a role
    with `policy`: 403 AccessDenied unless the policy may list the key. Returns the client."""
    plain = _unhooked(client)

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["s3_as_aws_read"] = (params["Bucket"], params["Key"])

    def answer(context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        bucket, key = context["s3_as_aws_read"]
        if _holds(plain, bucket, key) or may_list(policy, bucket_arn, key):
            return None  # moto answers: the object, or 404 as AWS would to this role
        return _Response(403), {
            "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    for operation in READS:
        client.meta.events.register(f"before-parameter-build.s3.{operation}", remember)
        client.meta.events.register(f"before-call.s3.{operation}", answer)
    return client


class _Response:
    """What botocore reads of an HTTP response it did not send: the status."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


def _unhooked(client: Any) -> Any:
    import boto3

    return boto3.client("s3", region_name=client.meta.region_name)


def _holds(s3: Any, bucket: str, key: str) -> bool:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    return any(item["Key"] == key for item in listing.get("Contents", []))


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether `statement` speaks of `action` on `resource` with request `context` (condition keys)."""
    if "Action" in statement:
        acts = any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement["Action"]))
    else:
        acts = not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement["NotAction"]))
    on = any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement.get("Resource", [])))
    return acts and on and _conditions_hold(statement.get("Condition", {}), context)


def _conditions_hold(conditions: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    for operator, keys in conditions.items():
        test = STRING_CONDITIONS.get(operator)
        for key, patterns in keys.items():
            if test is None or key not in context:
                raise Unevaluated(f"condition {operator} on {key} is not evaluated here")
            if not any(test(context[key], pattern) for pattern in _listed(patterns)):
                return False
    return True
