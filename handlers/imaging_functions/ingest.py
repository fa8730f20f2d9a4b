"""Lambda entry point of the ingest stage: batches of S3 upload events from the ingest queue.

Each upload is checked by `Intake`; a failed message is reported alone (partial batch response) and
a redelivered one is recognised by Powertools' idempotency and not handled twice.
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.imaging_functions.imaging_settings import IngestSettings
from handlers.imaging_functions.intake import Intake
from handlers.pipeline.uploads import Upload, uploads_in
from handlers.runtime.stage import Clients, Stage
from handlers.stores.image_store import ImageStore


def build_intake(settings: IngestSettings, clients: Clients) -> Intake:
    return Intake(
        ImageStore(settings.images_table, clients("dynamodb")),
        clients("s3"),
        clients("sqs"),
        settings.enhance_queue_url,
        settings.limits,
    )


# A misconfigured function fails at import, not on its first upload.
stage = Stage(IngestSettings.from_environment(), build_intake)
logger, metrics = stage.logger, stage.metrics


@stage.idempotent_on("upload")
def ingest_upload(upload: dict[str, Any]) -> dict[str, Any]:
    outcome = stage.worker.ingest(Upload.from_dict(upload))
    logger.info("upload ingested", extra={"key": upload["key"], **asdict(outcome)})
    metrics.add_metric(name=f"Uploads{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
    return asdict(outcome)


def record_handler(record: SQSRecord) -> None:
    for upload in uploads_in(record.body):
        fail = functools.partial(stage.worker.fail, upload)
        with stage.recording_final_failure(record, "checking", upload.key, fail):
            ingest_upload(upload=upload.to_dict())


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return stage.process(event, context, record_handler)
