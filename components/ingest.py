"""Ingest: the stage that receives every upload, accepts real JPEG and PNG images within the limits,
and rejects anything else with a reason, removing the object."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.filter import UPLOAD_CREATED, UPLOAD_PREFIX
from components.function import LambdaSettings, StageFunction, StageFunctionArgs
from components.iam import Statement, objects_under
from components.stage_queue import StageQueue, StageQueueArgs, Subscription

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class IngestArgs:
    """Where uploads come from, where records and accepted images go, and the limits to enforce."""

    function_name: str
    lambda_settings: LambdaSettings
    events_topic_arn: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    images_table: aws.dynamodb.Table
    idempotency_table: aws.dynamodb.Table
    enhance_queue: aws.sqs.Queue
    max_upload_bytes: int
    max_pixels: int
    max_receive_count: int


class Ingest(pulumi.ComponentResource):
    """The ingest queue (upload-created events from the topic) and the function validating them."""

    queue: StageQueue
    function: StageFunction

    def __init__(self, name: str, args: IngestArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:stages:Ingest", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.queue = StageQueue(
            f"{name}-queue",
            StageQueueArgs(
                queue_name=args.function_name,
                visibility_timeout_seconds=6 * TIMEOUT_SECONDS,
                max_receive_count=args.max_receive_count,
                subscription=Subscription(topic_arn=args.events_topic_arn, filter_policy=UPLOAD_CREATED),
            ),
            opts=child,
        )
        self.function = StageFunction(
            name,
            StageFunctionArgs(
                function_name=args.function_name,
                handler="handlers.ingest.handler",
                settings=args.lambda_settings,
                queue_arn=self.queue.queue.arn,
                timeout_seconds=TIMEOUT_SECONDS,
                memory_size=512,
                statements=[
                    Statement(["s3:GetObject", "s3:DeleteObject"], [objects_under(args.bucket_arn, UPLOAD_PREFIX)]),
                    Statement(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [args.images_table.arn]),
                    Statement(
                        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                        [args.idempotency_table.arn],
                    ),
                    Statement(["sqs:SendMessage"], [args.enhance_queue.arn]),
                ],
                environment={
                    "IMAGES_BUCKET": args.bucket_name,
                    "IMAGES_TABLE": args.images_table.name,
                    "IDEMPOTENCY_TABLE": args.idempotency_table.name,
                    "ENHANCE_QUEUE_URL": args.enhance_queue.url,
                    "MAX_UPLOAD_BYTES": str(args.max_upload_bytes),
                    "MAX_PIXELS": str(args.max_pixels),
                    "POWERTOOLS_SERVICE_NAME": "ingest",
                    "POWERTOOLS_METRICS_NAMESPACE": "imagepipe",
                },
            ),
            opts=child,
        )
        self.register_outputs({"queue_url": self.queue.queue.url, "function_name": self.function.function.name})
