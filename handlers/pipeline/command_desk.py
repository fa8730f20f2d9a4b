"""Commands (the metadata and review stages' logic, and the API's): edit an image's caption, date
or photographer, or give a reviewer's verdict, validated with reasons a person can act on.

A command arrives as an SNS message on the events topic (any publisher: a script, the `aws` CLI),
in the shapes such systems already publish (handlers/contract.py): metadata with the
`metadata_type` attribute and a body `{"id", "value"}`; a review with a body `{"id", "date",
"update": {"status": "Pass" | "Reject", "reason"}}`. `id` is a record's image id or the upload's key.
The body is validated apart from the envelope (`metadata_edit`, `verdict`), so the API hands over
the body its client sent, with when it was sent (`Sent`).
A Date command's value and a review's date are ISO 8601 or numeric (`01/05/2025`), read in the
stack's date order (handlers/pipeline/command_dates.py), and recorded as ISO 8601.

Every command ends applied, stale or rejected:
- applied: the record changed, by a write conditional on the command being newer than the last one
  applied to the same field (SNS to standard SQS does not keep order: the message's publish time,
  then its id, decide), and newer than the upload it is about;
- stale: a newer command (or a newer upload of the key) got there first, or this very command was
  applied already (a redelivery): nothing changes, nothing is said;
- rejected (`CommandRejected`): it cannot ever be valid; the caller parks it with the reason and
  never retries it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from handlers.contract import (
    DAY_FIRST,
    DELETED,
    FAILED,
    METADATA_FIELDS,
    METADATA_TYPE,
    PENDING,
    PROCESSED,
    REJECTED,
    UPLOAD_PREFIX,
    VERDICTS,
    DateOrder,
    Record,
)
from handlers.pipeline.command_dates import DateRefused, command_date
from handlers.pipeline.metadata_text import MAX_LENGTH, has_control_characters, has_lone_surrogates
from handlers.pipeline.uploads import image_id_for
from handlers.stores.image_record import ImageRecord, timestamp
from handlers.stores.image_store import ImageStore

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

APPLIED, STALE = "applied", "stale"
METADATA, REVIEW = "metadata", "review"  # the two kinds of command, each with its queue and function
MAX_REASON = 1000
# Which pipeline statuses an edit or a verdict may land on.
_EDITABLE = (PENDING, PROCESSED, FAILED)
_REVIEWABLE = (PROCESSED,)
_STATUS_WORDS = {
    PENDING: "still being processed",
    FAILED: "an image whose processing failed",
    REJECTED: "an upload that was rejected",
    DELETED: "deleted",
}


class CommandRejected(Exception):
    """The command cannot be valid; `reason` says why, for the person who sent it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Sent:
    """When a command was sent, and its id: SNS's Timestamp (ISO 8601 UTC) and MessageId for a
    message of the events topic, the request's time and a fresh id for the API's."""

    message_id: str
    published_at: str

    @property
    def order(self) -> str:
        """Sorts commands as they were sent (the id breaks a tie)."""
        return f"{self.published_at}|{self.message_id}"


@dataclass(frozen=True)
class Published:
    """One message from the events topic, as SNS delivered it to a queue (not raw)."""

    body: str
    attributes: dict[str, str]
    message_id: str
    published_at: str  # SNS's Timestamp, ISO 8601 UTC

    @property
    def sent(self) -> Sent:
        return Sent(self.message_id, self.published_at)


@dataclass(frozen=True)
class MetadataEdit:
    """Set one metadata field of one image."""

    image_id: str
    field: str  # a Record field: caption, date or photographer
    value: str
    order: str
    published_at: str


@dataclass(frozen=True)
class Verdict:
    """A reviewer passes or rejects one image."""

    image_id: str
    status: str  # PASSED or REJECTED
    reason: str | None
    reviewed_at: str
    order: str
    published_at: str


@dataclass(frozen=True)
class Result:
    """What became of a command: APPLIED (with the record as it now is) or STALE."""

    image_id: str
    status: str
    record: ImageRecord | None = None


def published(envelope: str) -> Published:
    """The SNS notification an SQS message body holds; CommandRejected when it is not one."""
    try:
        notification = json.loads(envelope)
    except json.JSONDecodeError:
        notification = None
    if (
        not isinstance(notification, dict)
        or notification.get("Type") != "Notification"
        or not all(isinstance(notification.get(k), str) for k in ("Message", "MessageId", "Timestamp"))
    ):
        raise CommandRejected("the queue message is not an SNS notification (is the subscription raw?)")
    attributes = {
        name: value["Value"]
        for name, value in (notification.get("MessageAttributes") or {}).items()
        if isinstance(value, dict) and isinstance(value.get("Value"), str)
    }
    return Published(notification["Message"], attributes, notification["MessageId"], notification["Timestamp"])


def command_body(message: Published) -> Any:
    """The command a message of the events topic carries, as JSON; CommandRejected when it is not JSON."""
    try:
        return json.loads(message.body)
    except json.JSONDecodeError:
        raise CommandRejected("the command is not JSON") from None


def metadata_edit(
    command: Any,
    metadata_type: str | None,
    sent: Sent,
    now: datetime | None = None,
    date_order: DateOrder = DAY_FIRST,
) -> MetadataEdit:
    """The edit a metadata command (its JSON body) asks for (a date's numeric form read in
    `date_order`); CommandRejected says what is wrong with it."""
    if metadata_type is None:
        raise CommandRejected("the command has no metadata_type attribute")
    field = METADATA_FIELDS.get(metadata_type)
    if field is None:
        raise CommandRejected(f"unknown metadata type {metadata_type!r}: use one of {', '.join(METADATA_FIELDS)}")
    body = _object(command)
    image_id = _image_id(body)
    raw = body.get("value")
    if not isinstance(raw, str):
        raise CommandRejected(f'the new {field} ("value") must be text, not {_kind(raw)}')
    value = raw.strip()
    if not value:
        raise CommandRejected(f"the new {field} is empty")
    if field == Record.DATE:
        value = photo_date(value, now, date_order=date_order)
    else:
        if len(value) > MAX_LENGTH[field]:
            raise CommandRejected(f"the new {field} is {len(value)} characters long; at most {MAX_LENGTH[field]}")
        if has_control_characters(value, allow_newlines=field == Record.CAPTION):
            raise CommandRejected(f"the new {field} contains control characters")
    if has_lone_surrogates(value):
        raise CommandRejected(f"the new {field} is not valid Unicode text (a lone surrogate escape)")
    return MetadataEdit(image_id, field, value, sent.order, sent.published_at)


def verdict(command: Any, sent: Sent, now: datetime | None = None, date_order: DateOrder = DAY_FIRST) -> Verdict:
    """The verdict a review command (its JSON body) gives (its date's numeric form read in
    `date_order`); CommandRejected says what is wrong with it."""
    body = _object(command)
    image_id = _image_id(body)
    update = body.get("update")
    if not isinstance(update, dict):
        raise CommandRejected(f'the review has no "update" object, but {_kind(update)}')
    said = update.get("status")
    if not isinstance(said, str) or said not in VERDICTS:
        raise CommandRejected(f"the verdict must be Pass or Reject, not {said!r}")
    status = VERDICTS[said]
    reason = update.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise CommandRejected(f"the reason must be text, not {_kind(reason)}")
    reason = (reason or "").strip() or None
    if status == REJECTED and reason is None:
        raise CommandRejected("a rejection needs a reason the photographer can act on")
    if reason is not None and has_lone_surrogates(reason):
        raise CommandRejected("the reason is not valid Unicode text (a lone surrogate escape)")
    if reason is not None and len(reason) > MAX_REASON:
        raise CommandRejected(f"the reason is {len(reason)} characters long; at most {MAX_REASON}")
    when = body.get("date")
    if when is None:
        reviewed_at = sent.published_at
    elif isinstance(when, str):
        reviewed_at = photo_date(when.strip(), now, what="review date", date_order=date_order)
    else:
        raise CommandRejected(f"the review date must be text, not {_kind(when)}")
    return Verdict(image_id, status, reason, reviewed_at, sent.order, sent.published_at)


def photo_date(text: str, now: datetime | None = None, what: str = "date", date_order: DateOrder = DAY_FIRST) -> str:
    """`text` as an ISO 8601 date or date and time, normalised: ISO 8601 as given, or numeric
    (`01/05/2025`) read in `date_order` (handlers/pipeline/command_dates.py). CommandRejected when it
    is not one or lies in the future, naming the forms taken and the order read."""
    try:
        return command_date(text, date_order, now, what)
    except DateRefused as refused:
        raise CommandRejected(str(refused)) from None


class Commands:
    """Applies edits and verdicts to image records."""

    def __init__(self, records: ImageStore) -> None:
        self.records = records

    def edit(self, command: MetadataEdit) -> Result:
        return self._apply(
            command.image_id,
            {command.field: command.value},
            Record.order_of(command.field),
            command.order,
            command.published_at,
            _EDITABLE,
            f"set the {command.field} of",
        )

    def review(self, command: Verdict) -> Result:
        fields: dict[str, Any] = {
            Record.REVIEW_STATUS: command.status,
            Record.REVIEW_REASON: command.reason,
            Record.REVIEWED_AT: command.reviewed_at,
        }
        return self._apply(
            command.image_id, fields, Record.REVIEW_ORDER, command.order, command.published_at, _REVIEWABLE, "review"
        )

    def _apply(
        self,
        image_id: str,
        fields: dict[str, Any],
        order_field: str,
        order: str,
        published_at: str,
        statuses: tuple[str, ...],
        doing: str,
    ) -> Result:
        after = self.records.update_if_newer(
            image_id, fields, order_field=order_field, order=order, published_at=published_at, statuses=statuses
        )
        if after is not None:
            return Result(image_id, APPLIED, after)
        record = self.records.get(image_id)
        if record is None:
            raise CommandRejected(f"there is no image {image_id}")
        status = record.get(Record.STATUS, "")
        if status not in statuses:
            state = _STATUS_WORDS.get(status, status)
            allowed = " or ".join(statuses)
            raise CommandRejected(f"cannot {doing} image {image_id}: it is {state}, not {allowed}")
        return Result(image_id, STALE)  # a newer command or upload is recorded, or this one already was


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CommandRejected(f"the command must be a JSON object, not {_kind(value)}")
    return value


def _image_id(body: dict[str, Any]) -> str:
    """The record an `id` names: an image id, or the upload's key `uploads/<owner>/<file>`."""
    given = body.get("id")
    if not isinstance(given, str) or not given.strip():
        raise CommandRejected('the command does not say which image ("id": an image id or uploads/<owner>/<file>)')
    given = given.strip()
    if has_lone_surrogates(given):
        raise CommandRejected('the image "id" is not valid Unicode text (a lone surrogate escape)')
    return image_id_for(given) if given.startswith(UPLOAD_PREFIX) else given


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", bool: "true/false", str: "text"}.get(type(value), "a number")


class RejectionQueue:
    """Where commands that cannot be valid are parked, each with the original message and why."""

    def __init__(self, sqs: SQSClient, queue_url: str) -> None:
        self.sqs = sqs
        self.queue_url = queue_url

    def park(self, kind: str, envelope: str, reason: str) -> str:
        """Park the queue message `envelope` (an SNS notification, or whatever arrived) of a `kind`
        command; the SQS message id."""
        try:
            original: Any = json.loads(envelope)
        except json.JSONDecodeError:
            original = envelope
        body = {"kind": kind, "reason": reason, "rejected_at": timestamp(), "message": original}
        response = self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(body, ensure_ascii=False, sort_keys=True),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": kind},
            },
        )
        return response["MessageId"]


@dataclass(frozen=True)
class CommandDesk:
    """Takes commands of one kind off a queue: applies them, or parks them with the reason."""

    commands: Commands
    rejections: RejectionQueue
    date_order: DateOrder = DAY_FIRST  # how the commands' numeric dates read (the stack's setting)

    def handle(self, kind: str, envelope: str, now: datetime | None = None) -> Result | str:
        """Apply the `kind` ("metadata" or "review") command in the queue message `envelope`: the
        Result, or the reason it was parked for."""
        try:
            message = published(envelope)
            command = command_body(message)
            if kind == METADATA:
                metadata_type = message.attributes.get(METADATA_TYPE)
                return self.commands.edit(metadata_edit(command, metadata_type, message.sent, now, self.date_order))
            return self.commands.review(verdict(command, message.sent, now, self.date_order))
        except CommandRejected as rejection:
            self.rejections.park(kind, envelope, rejection.reason)
            return rejection.reason
