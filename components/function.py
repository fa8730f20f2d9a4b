"""A stage's function: a Lambda fed by one SQS queue, with its own role, policy and log group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.iam import Statement, policy_document, service_assume_role_policy


@dataclass(frozen=True)
class LambdaSettings:
    """How every function of the stack is built and run."""

    package: pulumi.Archive
    runtime: str
    architecture: str
    log_retention_days: int


@dataclass(frozen=True)
class StageFunctionArgs:
    """One function: its handler, what it may touch, and the queue it consumes in batches."""

    function_name: str
    handler: str
    settings: LambdaSettings
    queue_arn: pulumi.Input[str]
    statements: Sequence[Statement]
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    memory_size: int = 512
    timeout_seconds: int = 30
    batch_size: int = 1
    # Lambda waits up to this long to fill a batch; with a batch of one it invokes as soon as a
    # message arrives, and the poller long-polls the queue instead of polling it now and then.
    batching_window_seconds: int = 1


class StageFunction(pulumi.ComponentResource):
    """The function, an event source mapping reporting partial batch failures, and least privilege:
    its role may write its own log group, consume its own queue, and do what `statements` say."""

    function: aws.lambda_.Function
    role: aws.iam.Role

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
            name=f"{args.function_name}-role",
            assume_role_policy=service_assume_role_policy("lambda.amazonaws.com"),
            opts=child,
        )
        statements = [
            Statement(["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.Output.concat(log_group.arn, ":*")]),
            Statement(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
                [args.queue_arn],
            ),
            *args.statements,
        ]
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=f"{args.function_name}-policy",
            role=self.role.id,
            policy=policy_document(statements),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            name,
            name=args.function_name,
            role=self.role.arn,
            runtime=args.settings.runtime,
            architectures=[args.settings.architecture],
            handler=args.handler,
            code=args.settings.package,
            memory_size=args.memory_size,
            timeout=args.timeout_seconds,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, policy]),
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-source",
            event_source_arn=args.queue_arn,
            function_name=self.function.arn,
            batch_size=args.batch_size,
            maximum_batching_window_in_seconds=args.batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            opts=child,
        )

        self.register_outputs({"function_name": self.function.name, "role_arn": self.role.arn})
