"""Enhance: the stage that turns an accepted upload into its published variants, an optimized image
and a thumbnail, oriented and mildly enhanced, under `public/`."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.filter import UPLOAD_PREFIX
from components.function import LambdaSettings, StageFunction, StageFunctionArgs
from components.iam import Statement, objects_under
from components.stage_queue import StageQueue, StageQueueArgs

PUBLIC_PREFIX = "public/"
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class EnhanceArgs:
    """Where sources are read and variants written, and the sizes and limits to apply."""

    function_name: str
    lambda_settings: LambdaSettings
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    images_table: aws.dynamodb.Table
    idempotency_table: aws.dynamodb.Table
    max_upload_bytes: int
    max_pixels: int
    optimized_edge: int
    thumbnail_edge: int
    max_receive_count: int


class Enhance(pulumi.ComponentResource):
    """The enhance queue (fed by ingest with accepted images) and the function rendering variants."""

    queue: StageQueue
    function: StageFunction

    def __init__(self, name: str, args: EnhanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:stages:Enhance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.queue = StageQueue(
            f"{name}-queue",
            StageQueueArgs(
                queue_name=args.function_name,
                visibility_timeout_seconds=6 * TIMEOUT_SECONDS,
                max_receive_count=args.max_receive_count,
            ),
            opts=child,
        )
        self.function = StageFunction(
            name,
            StageFunctionArgs(
                function_name=args.function_name,
                handler="handlers.enhance.handler",
                settings=args.lambda_settings,
                queue_arn=self.queue.queue.arn,
                timeout_seconds=TIMEOUT_SECONDS,
                memory_size=1024,
                batch_size=1,
                statements=[
                    Statement(["s3:GetObject", "s3:DeleteObject"], [objects_under(args.bucket_arn, UPLOAD_PREFIX)]),
                    Statement(["s3:PutObject", "s3:DeleteObject"], [objects_under(args.bucket_arn, PUBLIC_PREFIX)]),
                    Statement(
                        ["s3:ListBucket"],
                        [args.bucket_arn],
                        conditions={"StringLike": {"s3:prefix": [f"{PUBLIC_PREFIX}*"]}},
                    ),
                    Statement(["dynamodb:GetItem", "dynamodb:UpdateItem"], [args.images_table.arn]),
                    Statement(
                        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                        [args.idempotency_table.arn],
                    ),
                ],
                environment={
                    "IMAGES_BUCKET": args.bucket_name,
                    "IMAGES_TABLE": args.images_table.name,
                    "IDEMPOTENCY_TABLE": args.idempotency_table.name,
                    "MAX_UPLOAD_BYTES": str(args.max_upload_bytes),
                    "MAX_PIXELS": str(args.max_pixels),
                    "OPTIMIZED_EDGE": str(args.optimized_edge),
                    "THUMBNAIL_EDGE": str(args.thumbnail_edge),
                    "POWERTOOLS_SERVICE_NAME": "enhance",
                    "POWERTOOLS_METRICS_NAMESPACE": "imagepipe",
                },
            ),
            opts=child,
        )
        self.register_outputs({"queue_url": self.queue.queue.url, "function_name": self.function.function.name})
