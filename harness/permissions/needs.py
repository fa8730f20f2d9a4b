"""What IAM checks for one call: the actions, on which resources, with which condition keys.

From AWS's Service Authorization Reference (docs.aws.amazon.com/service-authorization/latest/
reference/): an operation mostly needs the action of its own name on the resource its parameters
name, with these exceptions, each written below where it applies: S3's HEAD, list and multi-object
operations and the browser's POST upload; DynamoDB's batch and transaction operations (each item
checked on its own table, a transaction's parts by kind); SQS's batch operations; SES's sender
identity. A call this module cannot place raises `Unplaceable`: the check then fails naming it,
so a new kind of call is added here before it can pass unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlparse

from harness.permissions.calls import RoleCall


class Unplaceable(ValueError):
    """A call whose action or resource this module does not know how to name."""


@dataclass(frozen=True)
class Need:
    """One authorization AWS makes for a call: `action` on `resource`, given `conditions`."""

    action: str
    resource: str
    conditions: Mapping[str, str] = field(default_factory=dict)


FREE = frozenset({("sts", "GetCallerIdentity")})
"""Operations IAM does not authorize (any credentials may call them)."""

S3_ACTIONS = {
    "HeadObject": "GetObject",
    "PostObject": "PutObject",
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "DeleteObjects": "DeleteObject",
    "GetBucketLocation": "GetBucketLocation",
}
TRANSACT_ACTIONS = {
    "ConditionCheck": "ConditionCheckItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
}
SQS_BATCHES = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def needs(call: RoleCall, *, ses_sandbox: bool = False) -> list[Need]:
    """Every authorization `call` needs; [] for operations IAM does not authorize, and for a
    `CreateLogGroup` the Lambda service makes (the emulator's makes it before every first write; AWS's
    only when the function's log group is missing, and the stack declares each one)."""
    if (call.service, call.operation) in FREE or (call.internal and call.operation == "CreateLogGroup"):
        return []
    place = PLACES.get(call.service)
    if place is None:
        raise Unplaceable(f"{call.service}:{call.operation}: the IAM check does not know this service")
    found = place(call)
    if ses_sandbox and call.service in ("ses", "sesv2"):
        found += _recipients(call, found[0])
    return found


def _required(call: RoleCall, name: str) -> Any:
    value = call.request.get(name)
    if value in (None, ""):
        raise Unplaceable(f"{call.service}:{call.operation} without {name}: its resource cannot be named")
    return value


def _s3(call: RoleCall) -> list[Need]:
    if call.operation == "ListBuckets":
        return [Need("s3:ListAllMyBuckets", "*")]
    bucket = _required(call, "Bucket")
    action = "s3:" + S3_ACTIONS.get(call.operation, call.operation)
    if call.operation == "DeleteObjects":
        objects = (call.request.get("Delete") or {}).get("Objects") or []
        return [Need(action, f"arn:aws:s3:::{bucket}/{item['Key']}") for item in objects]
    if call.operation in ("ListObjects", "ListObjectsV2", "ListObjectVersions"):
        return [Need(action, f"arn:aws:s3:::{bucket}", {"s3:prefix": call.request.get("Prefix") or ""})]
    if call.operation == "CopyObject":
        source = str(_required(call, "CopySource")).lstrip("/").split("?", 1)[0]
        return [
            Need("s3:GetObject", f"arn:aws:s3:::{source}"),
            Need("s3:PutObject", f"arn:aws:s3:::{bucket}/{_required(call, 'Key')}"),
        ]
    key = call.request.get("Key")
    if key is None:
        return [Need(action, f"arn:aws:s3:::{bucket}")]
    if call.operation == "GetObject" and call.request.get("VersionId"):
        action = "s3:GetObjectVersion"
    return [Need(action, f"arn:aws:s3:::{bucket}/{key}")]


def _table(call: RoleCall, name: str) -> str:
    return f"arn:aws:dynamodb:{call.region}:{call.account}:table/{name}"


def _dynamodb(call: RoleCall) -> list[Need]:
    operation = call.operation
    if operation in ("BatchGetItem", "BatchWriteItem"):
        action = "dynamodb:BatchGetItem" if operation == "BatchGetItem" else "dynamodb:BatchWriteItem"
        return [Need(action, _table(call, table)) for table in _required(call, "RequestItems")]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for item in _required(call, "TransactItems"):
            for kind, part in item.items():
                action = "dynamodb:" + ("GetItem" if kind == "Get" else TRANSACT_ACTIONS[kind])
                found.append(Need(action, _table(call, part["TableName"])))
        return found
    if operation in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return [Need(f"dynamodb:{operation}", "*")]
    resource = _table(call, _required(call, "TableName"))
    if operation in ("Query", "Scan") and call.request.get("IndexName"):
        resource += f"/index/{call.request['IndexName']}"
    return [Need(f"dynamodb:{operation}", resource)]


def _dynamodb_streams(call: RoleCall) -> list[Need]:
    if call.operation == "ListStreams":
        return [Need("dynamodb:ListStreams", "*")]
    if call.operation == "GetRecords":
        # IAM checks the stream the shard iterator was made for; the emulator's iterator carries its
        # table and label (under DynamoDB Local's own region and account, so those are the caller's).
        iterator = str(_required(call, "ShardIterator"))
        match = re.search(r"table/([\w.-]+)/stream/([\w.:-]+)", iterator)
        if match is None:
            raise Unplaceable("dynamodb:GetRecords: the shard iterator names no stream")
        table, label = match.groups()
        return [Need("dynamodb:GetRecords", f"{_table(call, table)}/stream/{label}")]
    return [Need(f"dynamodb:{call.operation}", _required(call, "StreamArn"))]


def _sqs(call: RoleCall) -> list[Need]:
    if call.operation == "GetQueueUrl":
        account = call.request.get("QueueOwnerAWSAccountId") or call.account
        return [Need("sqs:GetQueueUrl", f"arn:aws:sqs:{call.region}:{account}:{_required(call, 'QueueName')}")]
    if call.operation == "ListQueues":
        return [Need("sqs:ListQueues", "*")]
    path = [part for part in urlparse(str(_required(call, "QueueUrl"))).path.split("/") if part]
    if len(path) < 2:
        raise Unplaceable(f"sqs:{call.operation}: {call.request['QueueUrl']!r} is not a queue URL")
    account, name = path[-2], path[-1]
    return [
        Need("sqs:" + SQS_BATCHES.get(call.operation, call.operation), f"arn:aws:sqs:{call.region}:{account}:{name}")
    ]


def _sns(call: RoleCall) -> list[Need]:
    action = "sns:Publish" if call.operation == "PublishBatch" else f"sns:{call.operation}"
    topic = call.request.get("TopicArn") or call.request.get("TargetArn")
    if not topic:
        raise Unplaceable(f"sns:{call.operation} without a topic: its resource cannot be named")
    return [Need(action, topic)]


def _ses(call: RoleCall) -> list[Need]:
    if call.operation not in ("SendEmail", "SendRawEmail", "SendTemplatedEmail"):
        raise Unplaceable(f"ses:{call.operation}: the IAM check knows SES's sending operations only")
    sender = call.request.get("FromEmailAddress") or call.request.get("Source")
    if not sender:
        raise Unplaceable(f"ses:{call.operation} without a sender: the identity cannot be named")
    name, address = parseaddr(sender)
    keys = {"ses:FromAddress": address or sender, "ses:FromDisplayName": name}
    action = f"ses:{call.operation}"
    found = [Need(action, call.request.get("SourceArn") or _identity(call, sender), keys)]
    if call.request.get("ConfigurationSetName"):
        name = call.request["ConfigurationSetName"]
        found.append(Need(action, f"arn:aws:ses:{call.region}:{call.account}:configuration-set/{name}", keys))
    return found


def _recipients(call: RoleCall, sending: Need) -> list[Need]:
    """In SES's sandbox, SES also authorizes the send on each recipient's identity."""
    destination = call.request.get("Destination") or {}
    addresses = [a for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destination.get(kind) or []]
    addresses += list(call.request.get("Destinations") or [])  # SendRawEmail
    return [Need(sending.action, _identity(call, address), sending.conditions) for address in addresses]


def _identity(call: RoleCall, sender: str) -> str:
    """The identity ARN SES authorizes a send against: the sender's address (a domain identity
    covers it too: `evaluate` tries both through `alternatives`)."""
    if sender.startswith("arn:"):
        return sender
    address = parseaddr(sender)[1] or sender
    return f"arn:aws:ses:{call.region}:{call.account}:identity/{address}"


def alternatives(need: Need) -> list[Need]:
    """The resources any one of which satisfies `need`: an SES address identity or its domain's."""
    match = re.fullmatch(r"(arn:aws[\w-]*:ses:[^:]*:[^:]*:identity/)[^@/]+@([^/]+)", need.resource)
    if match is None:
        return [need]
    return [need, Need(need.action, match.group(1) + match.group(2), need.conditions)]


def _secretsmanager(call: RoleCall) -> list[Need]:
    secret = str(_required(call, "SecretId"))
    if not secret.startswith("arn:"):
        raise Unplaceable(
            f"secretsmanager:{call.operation} names the secret {secret!r}, not its ARN: IAM matches the ARN, "
            "whose random suffix the check cannot know; pass the ARN"
        )
    return [Need(f"secretsmanager:{call.operation}", secret)]


def _logs(call: RoleCall) -> list[Need]:
    group = f"arn:aws:logs:{call.region}:{call.account}:log-group:{_required(call, 'logGroupName')}"
    if call.operation == "CreateLogGroup":
        return [Need("logs:CreateLogGroup", group)]
    if call.operation in ("CreateLogStream", "PutLogEvents"):
        return [Need(f"logs:{call.operation}", f"{group}:log-stream:{_required(call, 'logStreamName')}")]
    raise Unplaceable(f"logs:{call.operation}: the IAM check knows a function's own logging only")


def _cloudwatch(call: RoleCall) -> list[Need]:
    if call.operation != "PutMetricData":
        raise Unplaceable(f"cloudwatch:{call.operation}: the IAM check knows PutMetricData only")
    return [Need("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": call.request.get("Namespace") or ""})]


PLACES: Mapping[str, Callable[[RoleCall], list[Need]]] = {
    "s3": _s3,
    "dynamodb": _dynamodb,
    "dynamodbstreams": _dynamodb_streams,
    "sqs": _sqs,
    "sns": _sns,
    "ses": _ses,
    "sesv2": _ses,
    "secretsmanager": _secretsmanager,
    "cloudwatch": _cloudwatch,
    "logs": _logs,
}
