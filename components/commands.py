"""Commands: the stages that edit image metadata and record reviewers' verdicts, fed by the events
topic (any publisher), and the queue where commands that cannot be valid are parked with why."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement
from components.routes import METADATA_COMMANDS, REVIEW_COMMANDS, Route
from components.stage import QueuedStage
from components.stage_queue import FOURTEEN_DAYS, Subscription
from components.wiring import PipelineWiring
from handlers.contract import Env


@dataclass(frozen=True)
class CommandsArgs:
    """The functions' names (`<prefix>-metadata`, `<prefix>-review`, `<prefix>-command-rejections`),
    where commands are published, and how their numeric dates read (handlers/contract.py DATE_ORDERS)."""

    name_prefix: str
    wiring: PipelineWiring
    events_topic_arn: pulumi.Input[str]
    date_order: str


class Commands(pulumi.ComponentResource):
    """Two queued stages, metadata and review, subscribed to the events topic by their routes, and
    the command rejections queue both park invalid commands in (kept 14 days, to read and fix)."""

    rejections: aws.sqs.Queue
    metadata: QueuedStage
    review: QueuedStage

    def __init__(self, name: str, args: CommandsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:stages:Commands", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        wiring = args.wiring

        self.rejections = aws.sqs.Queue(
            f"{name}-rejections",
            name=f"{args.name_prefix}-command-rejections",
            message_retention_seconds=FOURTEEN_DAYS,
            opts=child,
        )

        def stage(route: Route, handler: str) -> QueuedStage:
            return QueuedStage(
                f"imagepipe:stages:{route.name.capitalize()}Commands",
                route.name,
                function_name=f"{args.name_prefix}-{route.name}",
                handler=handler,
                wiring=wiring,
                timeout_seconds=30,
                memory_size=256,
                batch_size=10,
                subscription=Subscription(topic_arn=args.events_topic_arn, route=route),
                statements=[
                    Statement(["dynamodb:GetItem", "dynamodb:UpdateItem"], [wiring.images_table.arn]),
                    wiring.idempotency_statement(),
                    Statement(["sqs:SendMessage"], [self.rejections.arn]),
                ],
                environment={
                    **wiring.environment(route.name),
                    Env.COMMAND_REJECTIONS_URL: self.rejections.url,
                    Env.COMMAND_DATE_ORDER: args.date_order,
                },
                opts=child,
            )

        self.metadata = stage(METADATA_COMMANDS, "handlers.stage_functions.commands.metadata_handler")
        self.review = stage(REVIEW_COMMANDS, "handlers.stage_functions.commands.review_handler")
        self.rejections_url = self.rejections.url
        self.rejections_queue_name = self.rejections.name
        self.register_outputs(
            {
                "rejections_url": self.rejections_url,
                "metadata_function_name": self.metadata.function_name,
                "review_function_name": self.review.function_name,
            }
        )
