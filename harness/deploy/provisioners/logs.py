"""CloudWatch Logs: log groups with their retention."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from harness.deploy.inputs import Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord


@dataclass(frozen=True)
class LogGroupSpec:
    """A log group: its name and how many days it keeps events (0: for ever)."""

    name: str
    retention_days: int


class LogGroup(Provisioner[LogGroupSpec]):
    type_token = "aws:cloudwatch/logGroup:LogGroup"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> LogGroupSpec:
        group = physical_name(inputs, name, previous, max_length=512)
        return LogGroupSpec(group, inputs.take("retentionInDays", 0))

    def apply(self, ctx: Context, spec: LogGroupSpec, previous: ResourceRecord | None) -> Applied:
        group, retention = spec.name, spec.retention_days
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
