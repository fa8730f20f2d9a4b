"""Lambda entry point of the removal stage: batches of S3 deletion events from the removal queue.

Each deleted upload's record is marked `deleted` and its published variants removed by `Remover`;
a failed message is reported alone, and a redelivered one is recognised and not handled twice.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.pipeline.outcome import STALE
from handlers.pipeline.remover import Remover
from handlers.pipeline.uploads import Removal, removals_in
from handlers.runtime.settings import StageSettings
from handlers.runtime.stage import Clients, Stage
from handlers.stores.image_store import ImageStore


def build_remover(settings: StageSettings, clients: Clients) -> Remover:
    return Remover(ImageStore(settings.images_table, clients("dynamodb")), clients("s3"))


stage = Stage(StageSettings.from_environment(), build_remover)
logger, metrics = stage.logger, stage.metrics


@stage.idempotent_on("removal")
def remove_upload(removal: dict[str, Any]) -> dict[str, Any]:
    outcome = stage.worker.remove(Removal.from_dict(removal))
    logger.info("upload removed", extra={"key": removal["key"], **asdict(outcome)})
    if outcome.status != STALE:
        metrics.add_metric(name="UploadsDeleted", unit=MetricUnit.Count, value=1)
    return asdict(outcome)


def record_handler(record: SQSRecord) -> None:
    for removal in removals_in(record.body):
        remove_upload(removal=removal.to_dict())


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return stage.process(event, context, record_handler)
