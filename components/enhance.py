"""Enhance: the stage that turns an accepted upload into its published variants, an optimized image
and a thumbnail, oriented and mildly enhanced, under `public/`."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.filter import UPLOAD_PREFIX
from components.function import StageFunction, StageFunctionArgs
from components.iam import Statement, objects_under
from components.stage_queue import StageQueue, StageQueueArgs
from components.wiring import PipelineWiring

PUBLIC_PREFIX = "public/"
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class EnhanceArgs:
    """Where sources are read and variants written, and the sizes and limits to apply."""

    function_name: str
    wiring: PipelineWiring
    optimized_edge: int
    thumbnail_edge: int


class Enhance(pulumi.ComponentResource):
    """The enhance queue (fed by ingest with accepted images) and the function rendering variants."""

    queue: StageQueue
    function: StageFunction

    def __init__(self, name: str, args: EnhanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:stages:Enhance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        wiring = args.wiring

        self.queue = StageQueue(
            f"{name}-queue",
            StageQueueArgs(
                queue_name=args.function_name,
                visibility_timeout_seconds=6 * TIMEOUT_SECONDS,
                max_receive_count=wiring.max_receive_count,
            ),
            opts=child,
        )
        self.function = StageFunction(
            name,
            StageFunctionArgs(
                function_name=args.function_name,
                handler="handlers.enhance.handler",
                settings=wiring.lambda_settings,
                queue_arn=self.queue.queue.arn,
                timeout_seconds=TIMEOUT_SECONDS,
                memory_size=1024,
                batch_size=1,
                statements=[
                    Statement(["s3:GetObject", "s3:DeleteObject"], [objects_under(wiring.bucket_arn, UPLOAD_PREFIX)]),
                    Statement(["s3:PutObject", "s3:DeleteObject"], [objects_under(wiring.bucket_arn, PUBLIC_PREFIX)]),
                    Statement(
                        ["s3:ListBucket"],
                        [wiring.bucket_arn],
                        conditions={"StringLike": {"s3:prefix": [f"{PUBLIC_PREFIX}*"]}},
                    ),
                    Statement(["dynamodb:GetItem", "dynamodb:UpdateItem"], [wiring.images_table.arn]),
                    wiring.idempotency_statement(),
                ],
                environment={
                    **wiring.environment("enhance"),
                    "OPTIMIZED_EDGE": str(args.optimized_edge),
                    "THUMBNAIL_EDGE": str(args.thumbnail_edge),
                },
            ),
            opts=child,
        )
        self.register_outputs({"queue_url": self.queue.queue.url, "function_name": self.function.function.name})
