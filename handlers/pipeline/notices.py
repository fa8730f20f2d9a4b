"""Notices (the notify stage's logic): what an image record's change tells its owner, publishing
it to the notifications topic, and mailing it to the owner.

An upload reaching a terminal state (processed, rejected, failed) calls for exactly one notice.
Nothing else does: a pending record, an edit that keeps the status, a record's removal. The
notice carries `status` and, when the upload named one, `owner` as SNS message attributes, so a
subscription can filter on them (one owner's mail, only rejections, …).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from handlers.contract import FAILED, PROCESSED, REJECTED, TERMINAL, Env

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

# SNS subjects must be ASCII and under 100 characters: the file name goes in the text instead.
SUBJECTS = {
    PROCESSED: "imagepipe: your image is ready",
    REJECTED: "imagepipe: your upload was rejected",
    FAILED: "imagepipe: your image could not be processed",
}


@dataclass(frozen=True)
class Notice:
    """One upload's outcome, for a person and for filters."""

    image_id: str
    upload_version: str
    status: str
    file_name: str
    source_key: str
    owner: str | None = None
    reason: str | None = None
    optimized_key: str | None = None
    thumbnail_key: str | None = None

    @property
    def subject(self) -> str:
        return SUBJECTS[self.status]

    @property
    def text(self) -> str:
        if self.status == PROCESSED:
            return (
                f"{self.file_name} is processed. Optimized image: {self.optimized_key}. "
                f"Thumbnail: {self.thumbnail_key}."
            )
        if self.status == REJECTED:
            return f"{self.file_name} was rejected and removed: {self.reason}."
        return f"{self.file_name} could not be processed: {self.reason}."

    def message(self) -> str:
        """The message body: the notice's fields and its text, as JSON."""
        fields = {key: value for key, value in asdict(self).items() if value is not None}
        return json.dumps({**fields, "text": self.text}, ensure_ascii=False, sort_keys=True)

    def attributes(self) -> dict[str, MessageAttributeValueTypeDef]:
        attributes = {"status": self.status}
        if self.owner:
            attributes["owner"] = self.owner
        return {name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()}


def notice_for(old: dict[str, Any] | None, new: dict[str, Any] | None) -> Notice | None:
    """The notice a change of an image record (its images before and after) calls for, if any."""
    if not new or new.get("status") not in TERMINAL:
        return None
    if old and (old.get("upload_version"), old.get("status")) == (new.get("upload_version"), new["status"]):
        return None  # the same outcome of the same upload, changed in some other field
    return Notice(
        image_id=new["image_id"],
        upload_version=new["upload_version"],
        status=new["status"],
        file_name=new.get("file_name") or new["source_key"].rsplit("/", 1)[-1],
        source_key=new["source_key"],
        owner=new.get("owner"),
        reason=new.get("reason"),
        optimized_key=new.get("optimized_key"),
        thumbnail_key=new.get("thumbnail_key"),
    )


class Notifier:
    """Publishes notices to one SNS topic."""

    def __init__(self, sns: SNSClient, topic_arn: str) -> None:
        self.sns = sns
        self.topic_arn = topic_arn

    def publish(self, notice: Notice) -> str:
        """Publish `notice`; the SNS message id."""
        response = self.sns.publish(
            TopicArn=self.topic_arn,
            Subject=notice.subject,
            Message=notice.message(),
            MessageAttributes=notice.attributes(),
        )
        return response["MessageId"]


class Mailer:
    """Mails notices through SES from one verified address to the owners it has an address for."""

    def __init__(self, ses: SESClient, sender: str, addresses: dict[str, str]) -> None:
        self.ses = ses
        self.sender = sender
        self.addresses = addresses

    def recipient(self, notice: Notice) -> str | None:
        return self.addresses.get(notice.owner) if notice.owner else None

    def send(self, notice: Notice, to: str) -> str:
        """Mail `notice` to `to`; the SES message id."""
        body = f"Hello {notice.owner},\n\n{notice.text}\n\n(imagepipe, about your upload {notice.source_key})\n"
        response = self.ses.send_email(
            Source=self.sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": notice.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
            },
        )
        return response["MessageId"]


@dataclass(frozen=True)
class Messengers:
    """The topic every notice goes to, and the mail some owners get (none without a sender)."""

    notifier: Notifier
    mailer: Mailer | None

    def recipient(self, notice: Notice) -> str | None:
        return self.mailer.recipient(notice) if self.mailer else None

    def mail(self, notice: Notice, to: str) -> str:
        if self.mailer is None:
            raise RuntimeError(f"no mail can be sent: this function has no sender address ({Env.SENDER_EMAIL})")
        return self.mailer.send(notice, to)
