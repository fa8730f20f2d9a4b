"""SQS: queues (with redrive to a dead-letter queue) and queue policies."""

from __future__ import annotations

from harness.deploy.inputs import Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deploy.state import ResourceRecord

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


class Queue(Provisioner):
    type_token = "aws:sqs/queue:Queue"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        queue = physical_name(inputs, name, previous, max_length=80)
        inputs.ignore("fifoQueue", False)
        attributes = {
            wire: str(value) for key, wire in _ATTRIBUTES.items() if (value := inputs.take(key, None)) is not None
        }
        inputs.check_all_taken()
        sqs = ctx.client("sqs")
        if previous is not None and previous.outputs["name"] != queue:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            url = sqs.create_queue(QueueName=queue, Attributes=attributes)["QueueUrl"]
        else:
            url = previous.id
            cleared = {} if "RedrivePolicy" in attributes else {"RedrivePolicy": ""}
            if attributes or cleared:
                sqs.set_queue_attributes(QueueUrl=url, Attributes={**cleared, **attributes})
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return Applied(url, {"name": queue, "url": url, "arn": arn})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("sqs").delete_queue(QueueUrl=record.id)


class QueuePolicy(Provisioner):
    type_token = "aws:sqs/queuePolicy:QueuePolicy"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        url = inputs.take("queueUrl")
        policy = inputs.take("policy")
        inputs.check_all_taken()
        ctx.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        return Applied(url, {"queueUrl": url, "policy": policy})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("sqs").set_queue_attributes(QueueUrl=record.id, Attributes={"Policy": ""})
