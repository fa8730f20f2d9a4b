"""Lambda entry points of the command stages: metadata edits and review verdicts, each from its own
queue (the events topic routes them there by filter policy, as SNS notifications).

Each command is applied by `CommandDesk` (handlers/pipeline/command_desk.py) or, when it cannot be
valid, parked in the command rejections queue with the reason and not retried. A redelivered message
is recognised by Powertools' idempotency; a command older than the one applied is stale either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.pipeline.command_desk import METADATA, REVIEW, CommandDesk, Commands, RejectionQueue, Result
from handlers.runtime.stage import Clients, Stage
from handlers.stage_functions.stage_settings import CommandSettings
from handlers.stores.image_store import ImageStore


def build_desk(settings: CommandSettings, clients: Clients) -> CommandDesk:
    return CommandDesk(
        Commands(ImageStore(settings.images_table, clients("dynamodb"))),
        RejectionQueue(clients("sqs"), settings.command_rejections_url),
        settings.command_date_order,
    )


# A misconfigured function fails at import, not on its first command.
stage = Stage(CommandSettings.from_environment(), build_desk)
logger, metrics = stage.logger, stage.metrics


@dataclass(frozen=True)
class Delivered:
    """One queue message of a kind of command: its body is the SNS notification, so the same
    notification delivered twice (SNS delivers at least once) is handled once."""

    kind: str
    body: str


@stage.idempotent_on("message")
def handle_command(message: Delivered) -> dict[str, Any]:
    kind = message.kind
    result = stage.worker.handle(kind, message.body)
    if isinstance(result, Result):
        logger.info("command handled", extra={"kind": kind, "image_id": result.image_id, "result": result.status})
        metrics.add_metric(name=f"Commands{result.status.capitalize()}", unit=MetricUnit.Count, value=1)
        return {"image_id": result.image_id, "result": result.status}
    logger.warning("command rejected", extra={"kind": kind, "reason": result})
    metrics.add_metric(name="CommandsRejected", unit=MetricUnit.Count, value=1)
    return {"result": "rejected", "reason": result}


def _record_handler(kind: str) -> Callable[[SQSRecord], None]:
    def record_handler(record: SQSRecord) -> None:
        handle_command(message=Delivered(kind, record.body))

    return record_handler


@metrics.log_metrics
@logger.inject_lambda_context
def metadata_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return stage.process(event, context, _record_handler(METADATA))


@metrics.log_metrics
@logger.inject_lambda_context
def review_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return stage.process(event, context, _record_handler(REVIEW))
