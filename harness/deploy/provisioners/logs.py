"""CloudWatch Logs: log groups with their retention."""

from __future__ import annotations

import contextlib

from harness.deploy.inputs import Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord


class LogGroup(Provisioner):
    type_token = "aws:cloudwatch/logGroup:LogGroup"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        group = physical_name(inputs, name, previous, max_length=512)
        retention = inputs.take("retentionInDays", 0)
        inputs.check_all_taken()
        logs = ctx.client("logs")
        if previous is not None and previous.id != group:
            self.delete(ctx, previous)
        # Lambda creates its group on its first log line; the declared one takes it over.
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=group)
        if retention:
            logs.put_retention_policy(logGroupName=group, retentionInDays=retention)
        else:
            logs.delete_retention_policy(logGroupName=group)
        return Applied(
            group, {"name": group, "arn": ctx.arn("logs", f"log-group:{group}"), "retentionInDays": retention}
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("logs").delete_log_group(logGroupName=record.id)
