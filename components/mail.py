"""The mail stage, declared: the outbox table where notices wait for their owner's digest, and the
mail queue with the function that sends from it as the stack's sender, under the stack's sending
rate (handlers/stage_functions/mail.py). The notify stage posts to both (`MailStage.poster_*`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement
from components.stage import QueuedStage
from components.wiring import PipelineWiring
from handlers.contract import Env, MailOutboxTable

# The mail function's concurrent invocations at most (the least an SQS event source allows): the
# stack's sending rate is shared between them.
MAIL_CONCURRENCY = 2


@dataclass(frozen=True)
class MailStageArgs:
    """`sending`: what the function may send as (the sender's SES statement); `sending_rate`: mails
    a second the stack sends at most; `digest_seconds`: an owner's mails within it go as one."""

    function_name: str
    outbox_table_name: str
    wiring: PipelineWiring
    sender_email: str
    sending: Sequence[Statement]
    sending_rate: float
    digest_seconds: int


class MailStage(pulumi.ComponentResource):
    outbox: aws.dynamodb.Table
    stage: QueuedStage

    def __init__(self, name: str, args: MailStageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:stages:Mail", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.digest_seconds = args.digest_seconds
        self.outbox = _outbox_table(f"{name}-outbox", args.outbox_table_name, child)
        environment: dict[str, pulumi.Input[str]] = {
            **args.wiring.environment("mail"),
            Env.SENDER_EMAIL: args.sender_email,
            Env.MAIL_OUTBOX_TABLE: self.outbox.name,
            Env.MAIL_RATE: repr(args.sending_rate / MAIL_CONCURRENCY),
        }
        self.stage = QueuedStage(
            "imagepipe:stages:MailQueue",
            name,
            function_name=args.function_name,
            handler="handlers.stage_functions.mail.handler",
            wiring=args.wiring,
            timeout_seconds=60,
            memory_size=256,
            batch_size=10,
            statements=[
                *args.sending,
                args.wiring.idempotency_statement(),
                Statement(["dynamodb:Query", "dynamodb:PutItem", "dynamodb:BatchWriteItem"], [self.outbox.arn]),
            ],
            environment=environment,
            maximum_concurrency=MAIL_CONCURRENCY,
            opts=child,
        )
        self.function_name = self.stage.function_name
        self.dead_letter_queue_name = self.stage.dead_letter_queue_name
        self.register_outputs({"function_name": self.function_name, "outbox_table": self.outbox.name})

    def poster_statements(self) -> list[Statement]:
        """What the notify stage does to post mail: queue a message, file a notice for a digest."""
        return [
            Statement(["sqs:SendMessage"], [self.stage.queue_arn]),
            Statement(["dynamodb:PutItem"], [self.outbox.arn]),
        ]

    def poster_environment(self) -> dict[str, pulumi.Input[str]]:
        return {
            Env.MAIL_QUEUE_URL: self.stage.queue_url,
            Env.MAIL_OUTBOX_TABLE: self.outbox.name,
            Env.MAIL_DIGEST_SECONDS: str(self.digest_seconds),
        }


def _outbox_table(name: str, table_name: str, opts: pulumi.ResourceOptions) -> aws.dynamodb.Table:
    """Notices by digest, each expiring a day after it was posted if it was never sent."""
    return aws.dynamodb.Table(
        name,
        name=table_name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=MailOutboxTable.KEY,
        range_key=MailOutboxTable.SORT,
        attributes=[
            aws.dynamodb.TableAttributeArgs(name=MailOutboxTable.KEY, type="S"),
            aws.dynamodb.TableAttributeArgs(name=MailOutboxTable.SORT, type="S"),
        ],
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=MailOutboxTable.EXPIRES, enabled=True),
        opts=opts,
    )
