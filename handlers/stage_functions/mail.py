"""Lambda entry point of the mail stage: the mail queue's messages, each one mail to an owner.

A message carries the notices of a mail sent at once, or names a digest in the outbox whose
notices go out together (handlers/pipeline/mail_digest.py). Each mail is sent once: the stage is
idempotent on what it mails, so the many messages of one digest send it once, and a retried message
does not send it again. Sends are paced under the stack's sending rate, backing off while SES says
too fast (handlers/pipeline/mailer.py). A mail SES refuses (an unverified sender or recipient, a
suppressed address, sending paused) is logged with SES's reason and counted, and the message
succeeds: sending it again would be refused again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.pipeline.mail_content import digest_mail
from handlers.pipeline.mail_digest import MailJob
from handlers.pipeline.mailer import Mailer, MailRefused
from handlers.pipeline.pacing import Pacer
from handlers.runtime.stage import Clients, Stage
from handlers.stage_functions.stage_settings import MailSettings
from handlers.stores.mail_outbox import MailOutbox


@dataclass(frozen=True)
class MailRoom:
    """What the mail stage sends with, and where digests wait."""

    mailer: Mailer
    outbox: MailOutbox


def build_mail_room(settings: MailSettings, clients: Clients) -> MailRoom:
    return MailRoom(
        Mailer(clients("ses"), settings.sender_email, Pacer(settings.mail_rate)),
        MailOutbox(settings.mail_outbox_table, clients("dynamodb")),
    )


# A misconfigured function fails at import, not on its first message.
stage = Stage(MailSettings.from_environment(), build_mail_room)
logger, metrics = stage.logger, stage.metrics


@stage.idempotent_on("job")
def mail_job(job: MailJob) -> str | None:
    """Send the job's mail once: the SES message id, or None when SES refused it (logged with SES's
    reason and counted as NoticesMailRefused; not sent again). Any other error fails the message."""
    about = {"owner": job.owner, "to": job.to, "notices": len(job.notices), "digest": job.digest}
    try:
        message_id = stage.worker.mailer.send(digest_mail(job.owner, job.notices), job.to or "", stage.seconds_left)
    except MailRefused as refusal:
        refused = {"refusal": refusal.code, "why": refusal.message}
        logger.warning("mail not sent: SES refused it", extra={**about, **refused})
        metrics.add_metric(name="NoticesMailRefused", unit=MetricUnit.Count, value=len(job.notices))
        return None
    logger.info("mail sent", extra={**about, "message_id": message_id})
    metrics.add_metric(name="NoticesMailed", unit=MetricUnit.Count, value=len(job.notices))
    if len(job.notices) > 1:
        metrics.add_metric(name="DigestsMailed", unit=MetricUnit.Count, value=1)
    return message_id


def record_handler(record: SQSRecord) -> None:
    job = MailJob.from_body(record.body)
    if job.digest is None:
        mail_job(job=job)
        return
    outbox = stage.worker.outbox
    waiting = outbox.waiting(job.digest)
    if not waiting:  # sent by another of its messages
        return
    mail_job(job=replace(job, to=waiting[-1].to, notices=tuple(posted.notice for posted in waiting)))
    outbox.mark_sent(job.digest, time.time())
    outbox.clear(job.digest, waiting)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return stage.process(event, context, record_handler)
