"""Ingest: the stage that receives every upload, accepts real JPEG and PNG images within the limits,
and rejects anything else with a reason, removing the object."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.iam import Statement, objects_under
from components.reading import listing_under
from components.routes import UPLOADS_CREATED
from components.stage import QueuedStage
from components.stage_queue import Subscription
from components.wiring import PipelineWiring
from handlers.contract import UPLOAD_PREFIX, Env


@dataclass(frozen=True)
class IngestArgs:
    """Where uploads are announced and where accepted images go on to."""

    function_name: str
    wiring: PipelineWiring
    events_topic_arn: pulumi.Input[str]
    enhance_queue_arn: pulumi.Input[str]
    enhance_queue_url: pulumi.Input[str]


class Ingest(QueuedStage):
    """The ingest queue (upload-created events from the topic) and the function checking them."""

    def __init__(self, name: str, args: IngestArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        wiring = args.wiring
        super().__init__(
            "imagepipe:stages:Ingest",
            name,
            function_name=args.function_name,
            handler="handlers.imaging_functions.ingest.handler",
            wiring=wiring,
            timeout_seconds=30,
            memory_size=512,
            batch_size=1,
            subscription=Subscription(topic_arn=args.events_topic_arn, route=UPLOADS_CREATED),
            statements=[
                Statement(["s3:GetObject", "s3:DeleteObject"], [objects_under(wiring.bucket_arn, UPLOAD_PREFIX)]),
                # An upload deleted before ingest reads it: S3 answers 404 (gone) to a role that may
                # list where it reads, 403 to any other (a failure, retried and alarmed).
                listing_under(wiring.bucket_arn, UPLOAD_PREFIX),
                Statement(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [wiring.images_table.arn]),
                wiring.idempotency_statement(),
                Statement(["sqs:SendMessage"], [args.enhance_queue_arn]),
            ],
            environment={
                **wiring.environment("ingest"),
                **wiring.limits_environment(),
                Env.ENHANCE_QUEUE_URL: args.enhance_queue_url,
            },
            opts=opts,
        )
