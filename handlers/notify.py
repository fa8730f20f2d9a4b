"""Lambda entry point of the notify stage: batches of changes from the image records' stream.

Each change that brings an upload to its outcome is published once to the notifications topic
(`handlers.pipeline.notices`); a batch that is retried does not publish a notice twice, since
publishing is idempotent on the notice.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.pipeline.notices import Notice, Notifier, notice_for
from handlers.settings import Settings, required
from handlers.stage import Clients, Stage


def build_notifier(settings: Settings, clients: Clients) -> Notifier:
    return Notifier(clients("sns"), required(settings.notifications_topic_arn, "NOTIFICATIONS_TOPIC_ARN"))


stage = Stage(build_notifier, EventType.DynamoDBStreams)
logger, metrics = stage.logger, stage.metrics
required(stage.settings.notifications_topic_arn, "NOTIFICATIONS_TOPIC_ARN")  # fails at import, not on the first change


@stage.idempotent_on("notice")
def publish_notice(notice: dict[str, Any]) -> str:
    message_id = stage.worker.publish(Notice(**notice))
    logger.info("notice published", extra={**notice, "message_id": message_id})
    metrics.add_metric(name=f"Notices{notice['status'].capitalize()}", unit=MetricUnit.Count, value=1)
    return message_id


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    notice = notice_for(change.old_image if change else None, change.new_image if change else None)
    if notice is not None:
        publish_notice(notice=asdict(notice))


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return stage.process(event, context, record_handler)
