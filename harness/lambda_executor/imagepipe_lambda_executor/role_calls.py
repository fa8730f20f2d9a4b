"""Every AWS call made with a role's credentials, written down for the harness's IAM check.

LocalStack community enforces no IAM, so a call the function's role does not grant succeeds here
and fails on AWS. With IMAGEPIPE_ROLE_CALLS set to a file, a handler in LocalStack's chain (after
the request is parsed, before it is served) appends one JSON line per call whose credentials came
from sts:AssumeRole (Lambda's execution environments get theirs so, as do the harness's stand-ins
for an instance profile): the role, the session, the service, the operation and the parsed
request. `harness/permissions` evaluates them against the role's policies.

    {"role": "arn:aws:iam::000000000000:role/p-web-role", "session": "p-web", "service": "s3",
     "operation": "PostObject", "region": "us-east-1", "account": "000000000000",
     "internal": false, "request": {"Bucket": "p-images", "Key": "uploads/…"}}

Values JSON cannot hold (bodies, streams, bytes) are written as null.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

LOG = logging.getLogger(__name__)
ROLE_CALLS_VAR = "IMAGEPIPE_ROLE_CALLS"

_lock = threading.Lock()
_roles: dict[str, tuple[str, str]] = {}


def access_key_id(request: Any) -> str | None:
    """The access key a request was signed with: header (SigV4, SigV2), query (presigned URLs) or
    form (a browser's POST upload)."""
    auth = request.headers.get("Authorization") or ""
    if auth.startswith("AWS4-") and "Credential=" in auth:
        return auth.split("Credential=", 1)[1].split("/", 1)[0]
    if auth.startswith("AWS "):
        return auth.removeprefix("AWS ").split(":", 1)[0]
    credential = request.args.get("X-Amz-Credential") or request.args.get("AWSAccessKeyId")
    if not credential and "multipart/form-data" in (request.headers.get("Content-Type") or ""):
        fields = {name.lower(): value for name, value in request.form.items()}
        credential = fields.get("x-amz-credential") or fields.get("awsaccesskeyid")
    return credential.split("/", 1)[0] if credential else None


def assumed_role(account_id: str, key: str) -> tuple[str, str] | None:
    """(role ARN, session name) of the STS credentials `key`, or None if it is not one."""
    if key in _roles:
        return _roles[key]
    from moto.sts.models import sts_backends

    for partition in ("aws", "aws-cn", "aws-us-gov"):
        try:
            found = sts_backends[account_id][partition].get_assumed_role_from_access_key(key)
        except KeyError:
            continue
        if found is not None:
            _roles[key] = (found.role_arn, found.session_name)
            return _roles[key]
    return None


def record(context: Any, path: str) -> None:
    if context.service is None or context.operation is None:
        return
    key = access_key_id(context.request)
    if not key or not context.account_id:
        return
    role = assumed_role(context.account_id, key)
    if role is None:
        return
    request = dict(context.service_request or {})
    if context.operation.name == "PostObject":
        request["Key"] = context.request.form.get("key")
    line = json.dumps(
        {
            "role": role[0],
            "session": role[1],
            "service": context.service.service_name,
            "operation": context.operation.name,
            "region": context.region,
            "account": context.account_id,
            "internal": bool(context.is_internal_call),
            "request": request,
        },
        default=lambda _value: None,
    )
    _append(path, line)


def _append(path: str, line: str) -> None:
    """One whole line, never two calls' interleaved (LocalStack serves requests on several threads)."""
    with _lock, open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def install() -> None:
    """Add the recorder to LocalStack's chain when IMAGEPIPE_ROLE_CALLS names a file."""
    path = os.environ.get(ROLE_CALLS_VAR)
    if not path:
        return
    from localstack.aws import handlers

    def record_role_call(chain: Any, context: Any, response: Any) -> None:
        try:
            record(context, path)
        except Exception as error:  # the call goes on; the check fails on the line saying so
            LOG.exception("recording a role's call for the IAM check failed")
            operation = context.operation.name if context.operation else "?"
            _append(path, json.dumps({"error": f"recording a call to {operation} failed: {error!r}"}))

    handlers.serve_custom_service_request_handlers.append(record_role_call)
    LOG.debug("recording calls made with assumed roles in %s", path)
