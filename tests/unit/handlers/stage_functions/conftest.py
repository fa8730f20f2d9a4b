"""The mail room for the stage functions' tests: SES with a verified sender, the users table with
the stack's address for ann (not bob), the mail queue and the outbox, and `mail()`: every mail job
the notify stage posted, delivered through the mail stage, and the mails SES was asked to send; the
notifications topic, with a queue subscribed raw to read what is published (`notices()`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import pytest

from handlers.contract import Env
from tests.unit.handlers.conftest import Aws, FakeContext, fresh, sqs_batch
from tests.unit.tables import create_mail_outbox_table, create_users_table

SENDER = "pipeline@example.com"


@dataclass(frozen=True)
class Sent:
    """One mail SES accepted: as the mail stage asked for it."""

    source: str
    to: list[str]
    subject: str
    body: str  # the plain-text part
    html: str

    @property
    def destinations(self) -> dict[str, list[str]]:
        return {"ToAddresses": self.to}


@dataclass
class MailRoom:
    aws: Aws
    queue_url: str
    context: FakeContext
    sent: list[Sent] = field(default_factory=list)
    module: ModuleType | None = None

    def stage(self) -> ModuleType:
        """The mail stage's entry point, imported once, its SES client recording what it sends."""
        if self.module is None:
            self.module = fresh("handlers.stage_functions.mail")
            self.module.stage.prepare()
            events = self.module.stage.worker.mailer.ses.meta.events
            asked: list[dict[str, Any]] = []
            events.register("provide-client-params.ses.SendEmail", lambda params, **_: asked.append(params))
            events.register("after-call.ses.SendEmail", lambda parsed, **_: self._accepted(asked.pop(), parsed))
        return self.module

    def _accepted(self, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        if "Error" in parsed:
            return
        message, body = params["Message"], params["Message"]["Body"]
        self.sent.append(
            Sent(
                params["Source"],
                params["Destination"]["ToAddresses"],
                message["Subject"]["Data"],
                body["Text"]["Data"],
                body["Html"]["Data"],
            )
        )

    def jobs(self) -> list[str]:
        """The mail queue's messages now visible, taken off the queue."""
        bodies: list[str] = []
        while messages := self.aws.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in messages:
                bodies.append(message["Body"])
                self.aws.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    def deliver(self) -> dict[str, Any]:
        """Run the mail stage on every job posted so far; its answer (the batch's failures)."""
        jobs = self.jobs()
        if not jobs:
            return {"batchItemFailures": []}
        return self.stage().handler(sqs_batch(*jobs), self.context)

    def __call__(self) -> list[Sent]:
        self.deliver()
        return self.sent


@pytest.fixture
def mail(aws: Aws, context: FakeContext, monkeypatch: pytest.MonkeyPatch) -> MailRoom:
    boto3.client("ses").verify_email_identity(EmailAddress=SENDER)
    create_users_table(aws.dynamodb, "users")
    aws.dynamodb.put_item(TableName="users", Item={"username": {"S": "owner#ann"}, "email": {"S": "ann@example.com"}})
    create_mail_outbox_table(aws.dynamodb, "mail-outbox")
    queue_url = aws.sqs.create_queue(QueueName="mail")["QueueUrl"]
    for name, value in {
        Env.SENDER_EMAIL: SENDER,
        Env.USERS_TABLE: "users",
        Env.MAIL_QUEUE_URL: queue_url,
        Env.MAIL_OUTBOX_TABLE: "mail-outbox",
        Env.MAIL_DIGEST_SECONDS: "0",
        Env.MAIL_RATE: "1000",
    }.items():
        monkeypatch.setenv(name, value)
    return MailRoom(aws, queue_url, context)


@pytest.fixture
def notices(aws, monkeypatch):
    """The notifications topic, with a queue subscribed raw to read what is published."""
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="notifications")["TopicArn"]
    queue_url = aws.sqs.create_queue(QueueName="notices")["QueueUrl"]
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv(Env.NOTIFICATIONS_TOPIC_ARN, topic)

    def received() -> list[tuple[dict[str, Any], dict[str, str]]]:
        messages = aws.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        return [
            (json.loads(m["Body"]), {k: v["StringValue"] for k, v in m.get("MessageAttributes", {}).items()})
            for m in messages
        ]

    return received
