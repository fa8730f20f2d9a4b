"""SQS: queues (with redrive to a dead-letter queue) and queue policies."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from harness.deploy.inputs import Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord

# Pulumi input name → SQS attribute name, for the attributes applied as given.
_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "redrivePolicy": "RedrivePolicy",
    "policy": "Policy",
}
# What an attribute the program no longer declares goes back to (AWS's defaults; no redrive). A
# dropped `policy` stays, as with the AWS provider: a QueuePolicy resource may be what set it.
_DEFAULTS = {
    "VisibilityTimeout": "30",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "MaximumMessageSize": "262144",
    "ReceiveMessageWaitTimeSeconds": "0",
    "RedrivePolicy": "",
}


@dataclass(frozen=True)
class QueueSpec:
    """A (standard) queue: its name and the attributes declared, by SQS's names."""

    name: str
    attributes: dict[str, str]


class Queue(Provisioner[QueueSpec]):
    type_token = "aws:sqs/queue:Queue"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> QueueSpec:
        queue = physical_name(inputs, name, previous, max_length=80)
        inputs.ignore("fifoQueue", False)
        attributes = {
            wire: str(value) for key, wire in _ATTRIBUTES.items() if (value := inputs.take(key, None)) is not None
        }
        return QueueSpec(queue, attributes)

    def apply(self, ctx: Context, spec: QueueSpec, previous: ResourceRecord | None) -> Applied:
        queue, attributes = spec.name, spec.attributes
        sqs = ctx.client("sqs")
        if previous is not None and previous.outputs["name"] != queue:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            url = sqs.create_queue(QueueName=queue, Attributes=attributes)["QueueUrl"]
        else:
            url = previous.id
            sqs.set_queue_attributes(QueueUrl=url, Attributes={**_DEFAULTS, **attributes})
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return Applied(url, {"name": queue, "url": url, "arn": arn})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("sqs").delete_queue(QueueUrl=record.id)


@dataclass(frozen=True)
class QueuePolicySpec:
    """A queue's access policy (a JSON document), and the queue's URL."""

    url: str
    policy: str


class QueuePolicy(Provisioner[QueuePolicySpec]):
    type_token = "aws:sqs/queuePolicy:QueuePolicy"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> QueuePolicySpec:
        return QueuePolicySpec(inputs.take("queueUrl"), inputs.take("policy"))

    def apply(self, ctx: Context, spec: QueuePolicySpec, previous: ResourceRecord | None) -> Applied:
        url, policy = spec.url, spec.policy
        if previous is not None and previous.id != url:
            self.delete(ctx, previous)  # the policy moves to another queue
        ctx.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        return Applied(url, {"queueUrl": url, "policy": policy})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        sqs = ctx.client("sqs")
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):  # gone with its queue (a replaced one)
            sqs.set_queue_attributes(QueueUrl=record.id, Attributes={"Policy": ""})
