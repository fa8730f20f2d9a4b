"""A stage's function: a Lambda fed by one event source (an SQS queue or a DynamoDB stream) or
invoked by a service (API Gateway), with its own role, policy and log group.

With SnapStart (`LambdaSettings.snap_start`) each deploy publishes a version, whose init Lambda runs
once and snapshots, and an alias points at it: whatever invokes the function invokes the alias
(`target_arn`, `invoke_arn`, `qualifier`), since SnapStart applies to published versions only and
`$LATEST` would cold-start as before. Without it nothing is published and nothing aliased.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.iam import Statement, policy_document, service_assume_role_policy
from handlers.contract import PACKAGES


@dataclass(frozen=True)
class LambdaSettings:
    """How every function of the stack is built and run: `packages` by name (`handlers.contract.PACKAGES`
    names the one each handler module is deployed with)."""

    packages: Mapping[str, pulumi.Archive]
    runtime: str
    architecture: str
    log_retention_days: int
    snap_start: bool = False  # only for python3.12+ runtimes (components/config.py checks)
    region: str = "us-east-1"  # in the roles' names: IAM's are account-wide, the functions' regional

    def package_for(self, handler: str) -> pulumi.Archive:
        """The package of the function whose handler is `handler` ("handlers.imaging_functions.ingest.handler")."""
        module = handler.rpartition(".")[0]
        name = PACKAGES.get(module)
        if name is None:
            raise ValueError(f"handlers.contract.PACKAGES names no package for {module} (the handler {handler})")
        if name not in self.packages:
            raise ValueError(f"{module} is deployed with the package {name!r}, which was not built")
        return self.packages[name]


ALIAS = "live"
"""The alias every invoker targets when SnapStart is on: the version the last deploy published."""


@dataclass(frozen=True)
class QueueSource:
    """An SQS queue, consumed in batches; failed messages are reported one by one."""

    queue_arn: pulumi.Input[str]
    batch_size: int = 1
    # Lambda waits up to this long to fill a batch; with a batch of one it invokes as soon as a
    # message arrives, and the poller long-polls the queue instead of polling it now and then.
    batching_window_seconds: int = 1
    # At most this many concurrent invocations (2 or more; None: as many as Lambda scales to).
    maximum_concurrency: int | None = None

    def statements(self) -> list[Statement]:
        actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
        return [Statement(actions, [self.queue_arn])]

    def mapping(self) -> dict[str, Any]:
        mapping: dict[str, Any] = {
            "event_source_arn": self.queue_arn,
            "batch_size": self.batch_size,
            "maximum_batching_window_in_seconds": self.batching_window_seconds,
        }
        if self.maximum_concurrency is not None:
            mapping["scaling_config"] = {"maximum_concurrency": self.maximum_concurrency}
        return mapping


@dataclass(frozen=True)
class StreamSource:
    """A DynamoDB table's stream, read from its newest records on. A batch whose records keep
    failing is split in halves to isolate them; a record still failing after `retries` is described
    in a message to `failure_queue_arn` (the stream itself keeps it only 24 hours)."""

    stream_arn: pulumi.Input[str]
    failure_queue_arn: pulumi.Input[str]
    batch_size: int = 10
    retries: int = 3

    def statements(self) -> list[Statement]:
        return [
            Statement(
                ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
                [self.stream_arn],
            ),
            Statement(["sqs:SendMessage"], [self.failure_queue_arn]),
        ]

    def mapping(self) -> dict[str, Any]:
        return {
            "event_source_arn": self.stream_arn,
            "starting_position": "LATEST",
            "batch_size": self.batch_size,
            "maximum_retry_attempts": self.retries,
            "bisect_batch_on_function_error": True,
            "destination_config": aws.lambda_.EventSourceMappingDestinationConfigArgs(
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                    destination_arn=self.failure_queue_arn
                )
            ),
        }


@dataclass(frozen=True)
class StageFunctionArgs:
    """One function: its handler, what it may touch, and the source it consumes in batches (None: a
    service invokes it, and grants itself that right with a `aws.lambda_.Permission`)."""

    function_name: str
    handler: str
    settings: LambdaSettings
    source: QueueSource | StreamSource | None
    statements: Sequence[Statement]
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    memory_size: int = 512
    timeout_seconds: int = 30


class StageFunction(pulumi.ComponentResource):
    """The function, an event source mapping reporting partial batch failures (when it has a
    source), and least privilege: its role may write its own log group, consume its own source, and
    do what `statements` say."""

    function: aws.lambda_.Function
    role: aws.iam.Role
    alias: aws.lambda_.Alias | None
    target_arn: pulumi.Output[str]
    """What an event source mapping invokes: the alias's ARN with SnapStart, else the function's."""
    invoke_arn: pulumi.Output[str]
    """What API Gateway integrates with: the alias's invoke ARN with SnapStart, else the function's."""
    qualifier: str | None
    """The alias a `Permission` grants on with SnapStart (None: the function itself)."""

    def __init__(self, name: str, args: StageFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:lambda:StageFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{args.function_name}",
            retention_in_days=args.settings.log_retention_days,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"{args.function_name}-{args.settings.region}",
            assume_role_policy=service_assume_role_policy("lambda.amazonaws.com"),
            opts=child,
        )
        policy = _role_policy(name, args, self.role, log_group, child)
        self.function = _function(
            name, args, self.role, pulumi.ResourceOptions(parent=self, depends_on=[log_group, policy])
        )
        if args.settings.snap_start:
            self.alias = aws.lambda_.Alias(
                f"{name}-{ALIAS}",
                name=ALIAS,
                function_name=self.function.name,
                function_version=self.function.version,
                description="the version the last deploy published (SnapStart)",
                opts=child,
            )
            self.target_arn, self.invoke_arn, self.qualifier = self.alias.arn, self.alias.invoke_arn, ALIAS
        else:
            self.alias = None
            self.target_arn, self.invoke_arn, self.qualifier = self.function.arn, self.function.invoke_arn, None
        if args.source is not None:
            aws.lambda_.EventSourceMapping(
                f"{name}-source",
                function_name=self.target_arn,
                function_response_types=["ReportBatchItemFailures"],
                **args.source.mapping(),
                opts=child,
            )

        self.function_name = self.function.name
        self.register_outputs(
            {"function_name": self.function_name, "role_arn": self.role.arn, "target_arn": self.target_arn}
        )


def _role_policy(
    name: str,
    args: StageFunctionArgs,
    role: aws.iam.Role,
    log_group: aws.cloudwatch.LogGroup,
    opts: pulumi.ResourceOptions,
) -> aws.iam.RolePolicy:
    """The role's one policy: write to `log_group`, consume the function's source, and `args.statements`."""
    statements = [
        Statement(["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.Output.concat(log_group.arn, ":*")]),
        *(args.source.statements() if args.source else []),
        *args.statements,
    ]
    return aws.iam.RolePolicy(
        f"{name}-policy",
        name=f"{args.function_name}-policy",
        role=role.id,
        policy=policy_document(statements),
        opts=opts,
    )


def _function(
    name: str, args: StageFunctionArgs, role: aws.iam.Role, opts: pulumi.ResourceOptions
) -> aws.lambda_.Function:
    """The Lambda function itself, running as `role`, its code the package of its handler."""
    return aws.lambda_.Function(
        name,
        name=args.function_name,
        role=role.arn,
        runtime=args.settings.runtime,
        architectures=[args.settings.architecture],
        handler=args.handler,
        code=args.settings.package_for(args.handler),
        memory_size=args.memory_size,
        timeout=args.timeout_seconds,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment)),
        **_snap_start(args.settings),
        opts=opts,
    )


def _snap_start(settings: LambdaSettings) -> dict[str, Any]:
    """The function's SnapStart inputs: none at all when it is off, so existing stacks (and the local
    emulator, which runs python3.11 only) see the very function they always had."""
    if not settings.snap_start:
        return {}
    return {"publish": True, "snap_start": aws.lambda_.FunctionSnapStartArgs(apply_on="PublishedVersions")}
