"""Ingest: the stage that receives every upload, accepts real JPEG and PNG images within the limits,
and rejects anything else with a reason, removing the object."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.filter import UPLOAD_CREATED, UPLOAD_PREFIX
from components.function import StageFunction, StageFunctionArgs
from components.iam import Statement, objects_under
from components.stage_queue import StageQueue, StageQueueArgs, Subscription
from components.wiring import PipelineWiring

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class IngestArgs:
    """Where uploads come from, where records and accepted images go, and the limits to enforce."""

    function_name: str
    wiring: PipelineWiring
    events_topic_arn: pulumi.Input[str]
    enhance_queue: aws.sqs.Queue


class Ingest(pulumi.ComponentResource):
    """The ingest queue (upload-created events from the topic) and the function validating them."""

    queue: StageQueue
    function: StageFunction

    def __init__(self, name: str, args: IngestArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:stages:Ingest", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        wiring = args.wiring

        self.queue = StageQueue(
            f"{name}-queue",
            StageQueueArgs(
                queue_name=args.function_name,
                visibility_timeout_seconds=6 * TIMEOUT_SECONDS,
                max_receive_count=wiring.max_receive_count,
                subscription=Subscription(topic_arn=args.events_topic_arn, filter_policy=UPLOAD_CREATED),
            ),
            opts=child,
        )
        self.function = StageFunction(
            name,
            StageFunctionArgs(
                function_name=args.function_name,
                handler="handlers.ingest.handler",
                settings=wiring.lambda_settings,
                queue_arn=self.queue.queue.arn,
                timeout_seconds=TIMEOUT_SECONDS,
                memory_size=512,
                statements=[
                    Statement(["s3:GetObject", "s3:DeleteObject"], [objects_under(wiring.bucket_arn, UPLOAD_PREFIX)]),
                    Statement(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [wiring.images_table.arn]),
                    wiring.idempotency_statement(),
                    Statement(["sqs:SendMessage"], [args.enhance_queue.arn]),
                ],
                environment={**wiring.environment("ingest"), "ENHANCE_QUEUE_URL": args.enhance_queue.url},
            ),
            opts=child,
        )
        self.register_outputs({"queue_url": self.queue.queue.url, "function_name": self.function.function.name})
