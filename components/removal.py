"""Removal: the stage that hears of deleted uploads, removes their published variants, forgets their
fingerprints and marks their records deleted."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.iam import Statement, objects_under
from components.routes import UPLOADS_REMOVED
from components.stage import QueuedStage
from components.stage_queue import Subscription
from components.wiring import PipelineWiring
from handlers.contract import PUBLIC_PREFIX, Env


@dataclass(frozen=True)
class RemovalArgs:
    """Where deletions are announced."""

    function_name: str
    wiring: PipelineWiring
    events_topic_arn: pulumi.Input[str]


class Removal(QueuedStage):
    """The removal queue (upload-removed events from the topic) and the function acting on them."""

    def __init__(self, name: str, args: RemovalArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        wiring = args.wiring
        super().__init__(
            "imagepipe:stages:Removal",
            name,
            function_name=args.function_name,
            handler="handlers.stage_functions.removal.handler",
            wiring=wiring,
            timeout_seconds=30,
            memory_size=256,
            batch_size=1,
            subscription=Subscription(topic_arn=args.events_topic_arn, route=UPLOADS_REMOVED),
            statements=[
                Statement(["s3:DeleteObject"], [objects_under(wiring.bucket_arn, PUBLIC_PREFIX)]),
                Statement(["dynamodb:UpdateItem"], [wiring.images_table.arn]),
                Statement(["dynamodb:BatchWriteItem"], [wiring.fingerprints_table.arn]),
                wiring.idempotency_statement(),
            ],
            environment={**wiring.environment("removal"), Env.FINGERPRINTS_TABLE: wiring.fingerprints_table.name},
            opts=opts,
        )
