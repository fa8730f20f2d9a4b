"""Lambda entry point of the enhance stage: accepted uploads from the enhance queue, one at a time,
rendered and published by `Publisher`; failures reported per message, redeliveries recognised."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.imaging_functions.imaging_settings import ImagingSettings
from handlers.imaging_functions.publishing import Publisher
from handlers.pipeline.uploads import Upload
from handlers.runtime.stage import Clients, Stage
from handlers.stores.image_store import ImageStore


def build_publisher(settings: ImagingSettings, clients: Clients) -> Publisher:
    return Publisher(
        ImageStore(settings.images_table, clients("dynamodb")), clients("s3"), settings.limits, settings.sizes
    )


# A misconfigured function fails at import, not on its first upload.
stage = Stage(ImagingSettings.from_environment(), build_publisher)
logger, metrics = stage.logger, stage.metrics


@stage.idempotent_on("upload")
def enhance_upload(upload: dict[str, Any]) -> dict[str, Any]:
    outcome = stage.worker.enhance(Upload.from_dict(upload))
    logger.info("upload enhanced", extra={"key": upload["key"], **asdict(outcome)})
    metrics.add_metric(name=f"Images{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
    return asdict(outcome)


def record_handler(record: SQSRecord) -> None:
    upload = Upload.from_dict(json.loads(record.body)["upload"])
    with stage.recording_final_failure(
        record, "enhancing", upload.key, lambda reason: stage.worker.fail(upload, reason)
    ):
        enhance_upload(upload=upload.to_dict())


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return stage.process(event, context, record_handler)
