"""Notify: the notifications topic, and the function that publishes to it each upload's outcome
(processed, rejected, failed) as the image records' stream reports it, and mails it to the owner
when the stack knows the owner's address."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.function import StageFunction, StageFunctionArgs, StreamSource
from components.iam import Statement
from components.stage_queue import FOURTEEN_DAYS
from components.wiring import PipelineWiring
from handlers.contract import Env


@dataclass(frozen=True)
class NotifyArgs:
    """The function's and the topic's names; the records table's stream comes with the wiring.
    With a `sender_email` (verified as an SES identity here), owners listed in `owner_emails` get
    each notice by mail too."""

    function_name: str
    topic_name: str
    wiring: PipelineWiring
    sender_email: str | None = None
    owner_emails: Mapping[str, str] = field(default_factory=dict)
    images_base_url: pulumi.Input[str] | None = None  # where the variants are served (the CDN): the links
    users_table: aws.dynamodb.Table | None = None  # the web tier's users: mail goes to the address they gave


class Notify(pulumi.ComponentResource):
    """Subscribers of `topic` (mail, queues, …) get one message per upload outcome, with `status`
    and `owner` message attributes to filter on. Changes the function could not publish after its
    retries are described in the `failures` queue."""

    topic: aws.sns.Topic
    sender: aws.ses.EmailIdentity | None
    failures: aws.sqs.Queue
    function: StageFunction

    def __init__(self, name: str, args: NotifyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:stages:Notify", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        wiring = args.wiring

        self.topic = aws.sns.Topic(f"{name}-topic", name=args.topic_name, opts=child)
        self.failures = aws.sqs.Queue(
            f"{name}-failures",
            name=f"{args.function_name}-failures",
            message_retention_seconds=FOURTEEN_DAYS,
            opts=child,
        )
        statements = [Statement(["sns:Publish"], [self.topic.arn]), wiring.idempotency_statement()]
        environment = {**wiring.environment("notify"), Env.NOTIFICATIONS_TOPIC_ARN: self.topic.arn}
        if args.images_base_url is not None:
            environment[Env.IMAGES_BASE_URL] = args.images_base_url
        self.sender = None
        if args.sender_email:
            self.sender = aws.ses.EmailIdentity(f"{name}-sender", email=args.sender_email, opts=child)
            statements.append(
                Statement(
                    ["ses:SendEmail"],
                    [self.sender.arn],
                    conditions={"StringEquals": {"ses:FromAddress": args.sender_email}},
                )
            )
            environment[Env.SENDER_EMAIL] = args.sender_email
            environment[Env.OWNER_EMAILS] = json.dumps(dict(args.owner_emails), sort_keys=True)
            if args.users_table is not None:
                statements.append(Statement(["dynamodb:GetItem"], [args.users_table.arn]))
                environment[Env.USERS_TABLE] = args.users_table.name
        self.function = StageFunction(
            name,
            StageFunctionArgs(
                function_name=args.function_name,
                handler="handlers.notify.handler",
                settings=wiring.lambda_settings,
                source=StreamSource(stream_arn=wiring.images_table.stream_arn, failure_queue_arn=self.failures.arn),
                statements=statements,
                environment=environment,
                memory_size=256,
                timeout_seconds=30,
            ),
            opts=child,
        )
        self.topic_arn = self.topic.arn
        self.failures_url = self.failures.url
        self.failures_queue_name = self.failures.name
        self.function_name = self.function.function_name
        self.register_outputs(
            {"topic_arn": self.topic_arn, "failures_url": self.failures_url, "function_name": self.function_name}
        )
