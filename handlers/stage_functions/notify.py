"""Lambda entry point of the notify stage: batches of changes from the image records' stream.

Each change that brings an upload to its outcome, and each reviewer's verdict, is published once to
the notifications topic and, when the stack has the owner's address, mailed to the owner once
(`handlers.pipeline.notices`: which changes, the attributes, the texts). A batch that is retried
neither publishes nor mails a notice twice: each is idempotent on the notice. A mail SES refuses
(an unverified sender or recipient, a suppressed address, sending paused) is logged with SES's
reason and counted, and the change succeeds: sending it again would be refused again.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.pipeline.notices import REVIEW, Mailer, MailRefused, Messengers, Notice, Notifier, notice_for
from handlers.runtime.stage import Clients, Stage
from handlers.stage_functions.stage_settings import NotifySettings
from handlers.stores.addresses import AddressBook
from handlers.stores.image_record import ImageRecord


def build_messengers(settings: NotifySettings, clients: Clients) -> Messengers:
    notifier = Notifier(clients("sns"), settings.notifications_topic_arn)
    mailer = None
    if settings.sender_email:
        book = AddressBook(settings.users_table, clients("dynamodb")) if settings.users_table else None
        mailer = Mailer(clients("ses"), settings.sender_email, book.address_of if book else None)
    return Messengers(notifier, mailer)


# A misconfigured function fails at import, not on its first change.
stage = Stage(NotifySettings.from_environment(), build_messengers, EventType.DynamoDBStreams)
logger, metrics = stage.logger, stage.metrics


@stage.idempotent_on("notice")
def publish_notice(notice: Notice) -> str:
    message_id = stage.worker.notifier.publish(notice)
    logger.info("notice published", extra={**asdict(notice), "message_id": message_id})
    metrics.add_metric(name=metric_name(notice), unit=MetricUnit.Count, value=1)
    return message_id


def metric_name(notice: Notice) -> str:
    """NoticesProcessed, NoticesRejected, NoticesFailed for outcomes; VerdictsPassed, VerdictsRejected."""
    if notice.kind == REVIEW:
        return f"Verdicts{(notice.verdict or '').capitalize()}"
    return f"Notices{notice.status.capitalize()}"


@stage.idempotent_on("notice")
def mail_notice(notice: Notice, to: str) -> str | None:
    """Mail the notice once: the SES message id, or None when SES refused this mail (logged with
    SES's reason and counted as NoticesMailRefused; the change is done, its notice published, and a
    redelivery does not send it again). Any other error fails the change, to be retried."""
    about = {"image_id": notice.image_id, "kind": notice.kind, "to": to}
    try:
        message_id = stage.worker.mail(notice, to)
    except MailRefused as refusal:
        logger.warning(
            "notice not mailed: SES refused it", extra={**about, "refusal": refusal.code, "why": refusal.message}
        )
        metrics.add_metric(name="NoticesMailRefused", unit=MetricUnit.Count, value=1)
        return None
    logger.info("notice mailed", extra={**about, "message_id": message_id})
    metrics.add_metric(name="NoticesMailed", unit=MetricUnit.Count, value=1)
    return message_id


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    old = cast("ImageRecord", change.old_image) if change and change.old_image else None
    new = cast("ImageRecord", change.new_image) if change and change.new_image else None
    notice = notice_for(old, new, stage.settings.images_base_url)
    if notice is None:
        return
    publish_notice(notice=notice)
    if to := stage.worker.recipient(notice):
        mail_notice(notice=notice, to=to)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return stage.process(event, context, record_handler)
