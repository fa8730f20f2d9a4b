"""Lambda entry point of the enhance stage: accepted uploads from the enhance queue, one at a time,
rendered and published by `Publisher`; failures reported per message, redeliveries recognised."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.pipeline.publishing import Publisher
from handlers.pipeline.records import RecordStore
from handlers.pipeline.uploads import Upload
from handlers.settings import Settings

settings = Settings.from_environment()
logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
dynamodb = boto3.client("dynamodb")
idempotency = IdempotencyConfig(expires_after_seconds=3600)
persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=dynamodb)
publisher = Publisher(RecordStore(settings.images_table, dynamodb), boto3.client("s3"), settings.limits, settings.sizes)


@idempotent_function(data_keyword_argument="upload", config=idempotency, persistence_store=persistence)
def enhance_upload(upload: dict[str, Any]) -> dict[str, Any]:
    outcome = publisher.enhance(Upload.from_dict(upload))
    logger.info("upload enhanced", extra={"key": upload["key"], **asdict(outcome)})
    metrics.add_metric(name=f"Images{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
    return asdict(outcome)


def record_handler(record: SQSRecord) -> None:
    enhance_upload(upload=json.loads(record.body)["upload"])


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
