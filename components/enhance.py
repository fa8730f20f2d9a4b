"""Enhance: the stage that turns an accepted upload into its published variants, an optimized image
(in a few widths) and a thumbnail, oriented and mildly enhanced, in JPEG/PNG and the stack's modern
formats, under `images/`."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.iam import Statement, objects_under
from components.reading import listing_under
from components.stage import QueuedStage
from components.wiring import PipelineWiring
from handlers.contract import PUBLIC_PREFIX, UPLOAD_PREFIX, Env


@dataclass(frozen=True)
class EnhanceArgs:
    """The sizes of the published variants, their formats and narrower widths, whether they keep the
    copyright notice, and whose earlier images an upload is compared with."""

    function_name: str
    wiring: PipelineWiring
    optimized_edge: int
    thumbnail_edge: int
    image_formats: tuple[str, ...]
    srcset_widths: tuple[int, ...]
    keep_copyright: bool
    duplicates_across: str  # whose earlier images an upload is compared with: "owner" or "all"


class Enhance(QueuedStage):
    """The enhance queue (fed by ingest with accepted images) and the function rendering variants,
    one image per invocation."""

    def __init__(self, name: str, args: EnhanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        wiring = args.wiring
        super().__init__(
            "imagepipe:stages:Enhance",
            name,
            function_name=args.function_name,
            handler="handlers.imaging_functions.enhance.handler",
            wiring=wiring,
            timeout_seconds=60,
            memory_size=1024,
            batch_size=1,
            statements=[
                Statement(["s3:GetObject", "s3:DeleteObject"], [objects_under(wiring.bucket_arn, UPLOAD_PREFIX)]),
                Statement(["s3:PutObject", "s3:DeleteObject"], [objects_under(wiring.bucket_arn, PUBLIC_PREFIX)]),
                # Its own variants (superseded ones are found by listing), and the upload it reads:
                # gone before enhance reads it, S3 answers 404 only to a role that may list there.
                listing_under(wiring.bucket_arn, PUBLIC_PREFIX, UPLOAD_PREFIX),
                Statement(["dynamodb:GetItem", "dynamodb:UpdateItem"], [wiring.images_table.arn]),
                # The earlier images an upload looks like: found by band, filed, and stale ones forgotten.
                Statement(
                    ["dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"],
                    [wiring.fingerprints_table.arn],
                ),
                wiring.idempotency_statement(),
            ],
            environment={
                **wiring.environment("enhance"),
                **wiring.limits_environment(),
                Env.OPTIMIZED_EDGE: str(args.optimized_edge),
                Env.THUMBNAIL_EDGE: str(args.thumbnail_edge),
                Env.IMAGE_FORMATS: ",".join(args.image_formats),
                Env.SRCSET_WIDTHS: ",".join(str(width) for width in args.srcset_widths),
                Env.KEEP_COPYRIGHT: "true" if args.keep_copyright else "false",
                Env.FINGERPRINTS_TABLE: wiring.fingerprints_table.name,
                Env.DUPLICATES_SCOPE: args.duplicates_across,
            },
            opts=opts,
        )
