"""Lambda entry point of the notify stage: batches of changes from the image records' stream.

Each change that brings an upload to its outcome, and each reviewer's verdict, is published once to
the notifications topic and, when the stack has the owner's address, posted once for the mail stage
(`handlers.pipeline.notices`: which changes, the attributes, the texts;
`handlers.pipeline.mail_digest`: at once or in the owner's digest). A batch that is retried neither
publishes nor posts a notice twice: each is idempotent on the notice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.contract import Env
from handlers.pipeline.mail_digest import Postman
from handlers.pipeline.notices import REVIEW, Notice, Notifier, notice_for
from handlers.runtime.stage import Clients, Stage
from handlers.stage_functions.stage_settings import NotifySettings
from handlers.stores.addresses import AddressBook
from handlers.stores.image_record import ImageRecord
from handlers.stores.mail_outbox import MailOutbox


@dataclass(frozen=True)
class Messengers:
    """The topic every notice goes to; the mail queue and the owners' addresses (none: no mail)."""

    notifier: Notifier
    postman: Postman | None
    addresses: AddressBook | None

    def recipient(self, notice: Notice) -> str | None:
        if self.postman is None or self.addresses is None or not notice.owner:
            return None
        return self.addresses.address_of(notice.owner)

    def post(self, notice: Notice, to: str) -> str:
        if self.postman is None:
            raise RuntimeError(f"no mail can be posted: this function has no mail queue ({Env.MAIL_QUEUE_URL})")
        return self.postman.post(notice, to)


def build_messengers(settings: NotifySettings, clients: Clients) -> Messengers:
    notifier = Notifier(clients("sns"), settings.notifications_topic_arn)
    if not settings.mail_queue_url:
        return Messengers(notifier, None, None)
    dynamodb = clients("dynamodb")
    outbox = MailOutbox(settings.mail_outbox_table, dynamodb) if settings.mail_outbox_table else None
    postman = Postman(clients("sqs"), settings.mail_queue_url, outbox, settings.mail_digest_seconds)
    book = AddressBook(settings.users_table, dynamodb) if settings.users_table else None
    return Messengers(notifier, postman, book)


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
def post_notice(notice: Notice, to: str) -> str:
    """Post the notice for the mail stage once: the mail queue's message id."""
    message_id = stage.worker.post(notice, to)
    logger.info("notice posted for mail", extra={"image_id": notice.image_id, "kind": notice.kind, "to": to})
    metrics.add_metric(name="NoticesPosted", unit=MetricUnit.Count, value=1)
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
        post_notice(notice=notice, to=to)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return stage.process(event, context, record_handler)
