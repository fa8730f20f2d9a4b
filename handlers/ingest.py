"""Lambda entry point of the ingest stage: batches of S3 upload events from the ingest queue.

Each upload is checked by `Intake`; a failed message is reported alone (partial batch response) and
a redelivered one is recognised by Powertools' idempotency and not handled twice.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.pipeline.intake import Intake
from handlers.pipeline.records import RecordStore
from handlers.pipeline.uploads import Upload, uploads_in
from handlers.settings import SettingMissing
from handlers.stage import Stage

stage = Stage()
logger, metrics = stage.logger, stage.metrics
if not stage.settings.enhance_queue_url:
    raise SettingMissing("environment variable ENHANCE_QUEUE_URL is not set")
intake = Intake(
    RecordStore(stage.settings.images_table, stage.dynamodb),
    boto3.client("s3"),
    boto3.client("sqs"),
    stage.settings.enhance_queue_url,
    stage.settings.limits,
)


@idempotent_function(data_keyword_argument="upload", config=stage.idempotency, persistence_store=stage.persistence)
def ingest_upload(upload: dict[str, Any]) -> dict[str, Any]:
    outcome = intake.ingest(Upload.from_dict(upload))
    logger.info("upload ingested", extra={"key": upload["key"], **asdict(outcome)})
    metrics.add_metric(name=f"Uploads{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
    return asdict(outcome)


def record_handler(record: SQSRecord) -> None:
    for upload in uploads_in(record.body):
        with stage.recording_final_failure(record, "checking", upload.key, lambda reason: intake.fail(upload, reason)):
            ingest_upload(upload=upload.to_dict())


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return stage.process(event, context, record_handler)
