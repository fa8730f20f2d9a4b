"""Notices (the notify stage's logic): what an image record's change tells its owner, publishing
it to the notifications topic, and mailing it to the owner.

Two kinds of change call for a notice, each exactly once; nothing else does (a pending record, a
metadata edit, a review that is only `awaiting`, a record's removal):

- an **outcome** (`kind` "outcome"): an upload reaching a terminal state (processed, rejected,
  failed). The same outcome of the same upload is not announced again.
- a **verdict** (`kind` "review"): a reviewer passing or rejecting the image, i.e. `review_status`
  becomes `passed` or `rejected` with a verdict, reason or review date other than the record had
  (a reviewer changing their mind, or reviewing again). The same verdict sent again is not.
  A change that is an outcome is announced as the outcome (a review begins only after one).

SNS message attributes, for subscription filter policies:

- outcome: `status` (processed | rejected | failed) and `owner`, as they always were;
- verdict: `kind` = "review", `verdict` (passed | rejected) and `owner`, and no `status`.

The verdict is deliberately not called `status`: a filter on attributes matches only messages that
carry the attribute, so an existing subscription to `{"status": ["rejected"]}` (rejected uploads)
keeps receiving upload rejections only and never a review's rejection. Every notice of an owner
matches `{"owner": [...]}`; verdicts alone `{"kind": ["review"]}`; outcomes alone
`{"status": [{"exists": true}]}`. The message body is the notice as JSON, `kind` included (for a
verdict, `status` there is the image's pipeline status, `processed`), plus its `text`.

A notice is also its own idempotency key (handlers/stage_functions/notify.py publishes and mails each once): it
holds only what the change says, so a redelivered stream record gives the same notice, and two
verdicts on one upload differ in their verdict, reason, review date or `review_id` (the order of
the command that gave it, which the command side records as `review_order`).

Links: a notice names the optimized image by `link` and the thumbnail by `thumbnail_link`, each
computed in one place (`image_link`) from the base URL the stack serves the variants under (its CDN,
`IMAGES_BASE_URL`); the keys stay as fields too. The text a person reads gives the links: a
processed notice both variants', a verdict the optimized image's. A stack that serves no URL gives
the variants' keys in the bucket instead, and the text says that is what they are. The links follow
from the record and the base URL alone, so they keep a notice its own idempotency key.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Final, Literal

from handlers.contract import FAILED, PASSED, PROCESSED, REJECTED, TERMINAL, VERDICTS, ImagesTable, Record

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

    from handlers.stores.image_record import ImageRecord

Kind = Literal["outcome", "review"]
OUTCOME: Final = "outcome"
REVIEW: Final = "review"
VERDICT_STATUSES: Final = tuple(VERDICTS.values())  # a review_status that is a verdict: passed, rejected
# How much of a caption the text quotes to say which photo it is about.
CAPTION_IN_TEXT = 80

# SNS subjects must be ASCII and under 100 characters: the file name goes in the text instead.
SUBJECTS = {
    PROCESSED: "imagepipe: your image is ready",
    REJECTED: "imagepipe: your upload was rejected",
    FAILED: "imagepipe: your image could not be processed",
}
VERDICT_SUBJECTS = {
    PASSED: "imagepipe: your photo passed review",
    REJECTED: "imagepipe: your photo was rejected in review",
}


def image_link(key: str | None, base_url: str | None = None) -> str | None:
    """Where a person finds a variant: `base_url` joined with its key (when the stack serves the
    bucket's variants under a URL, e.g. through a CDN: the one place to map a key to its URL), else
    the key itself. Never a URL that was not given."""
    if key is None or base_url is None:
        return key
    return f"{base_url.rstrip('/')}/{key}"


@dataclass(frozen=True)
class Notice:
    """One upload's outcome (`kind` "outcome") or one reviewer's verdict on it (`kind` "review"),
    for a person and for filters. `status` is always the image's pipeline status; `reason` says why
    of what the notice announces (an upload's rejection or failure, or the reviewer's reason)."""

    image_id: str
    upload_version: str
    status: str
    file_name: str
    source_key: str
    owner: str | None = None
    reason: str | None = None
    optimized_key: str | None = None
    thumbnail_key: str | None = None
    kind: Kind = OUTCOME
    verdict: str | None = None  # a review's: passed | rejected
    reviewed_at: str | None = None
    review_id: str | None = None
    caption: str | None = None
    rejection_code: str | None = None  # an upload's rejection's (handlers/contract.py RejectionCode)
    link: str | None = None  # the optimized image (see image_link)
    thumbnail_link: str | None = None  # the thumbnail (see image_link)

    @property
    def subject(self) -> str:
        if self.kind == REVIEW:
            return VERDICT_SUBJECTS[self._verdict]
        return SUBJECTS[self.status]

    @property
    def text(self) -> str:
        if self.kind == REVIEW:
            return self._verdict_text()
        if self.status == PROCESSED:
            return (
                f"{self.file_name} is processed."
                f"{_where('Optimized image', self.link, self.optimized_key)}"
                f"{_where('Thumbnail', self.thumbnail_link, self.thumbnail_key)}"
            )
        if self.status == REJECTED:
            return f"{self.file_name} was rejected and removed: {self.reason}."
        return f"{self.file_name} could not be processed: {self.reason}."

    @property
    def _verdict(self) -> str:
        if self.verdict not in VERDICT_STATUSES:
            raise ValueError(f"a review notice needs a verdict (passed or rejected), not {self.verdict!r}")
        return self.verdict

    def _verdict_text(self) -> str:
        photo = self.file_name
        if self.caption and (caption := " ".join(self.caption.split())):
            if len(caption) > CAPTION_IN_TEXT:
                caption = caption[: CAPTION_IN_TEXT - 1].rstrip() + "…"
            photo = f'{photo} ("{caption}")'
        if self._verdict == PASSED:
            said = f"{photo} passed review."
            if self.reason:
                said += f" The reviewer's note: {_sentence(self.reason)}"
        elif self.reason:
            said = f"{photo} was rejected in review: {_sentence(self.reason)}"
        else:
            said = f"{photo} was rejected in review."
        return said + _where("Optimized image", self.link, self.optimized_key)

    def message(self) -> str:
        """The message body: the notice's fields and its text, as JSON."""
        fields = {key: value for key, value in asdict(self).items() if value is not None}
        return json.dumps({**fields, "text": self.text}, ensure_ascii=False, sort_keys=True)

    def attributes(self) -> dict[str, MessageAttributeValueTypeDef]:
        """Message attributes to filter on (see the module's docstring for why these names)."""
        if self.kind == REVIEW:
            attributes = {"kind": REVIEW, "verdict": self._verdict}
        else:
            attributes = {"status": self.status}
        if self.owner:
            attributes["owner"] = self.owner
        return {name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()}


def _where(label: str, link: str | None, key: str | None) -> str:
    """Where a person finds one variant, as a sentence of the text (" Optimized image: <URL>."): its
    link, or, when the stack serves no URL (the link is the key), its key, said to be one; nothing
    when there is no such variant."""
    if not link:
        return ""
    if link == key:
        return f" {label}: {key} (in the images bucket)."
    return f" {label}: {link}."


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def outcome_changed(old: ImageRecord | None, new: ImageRecord | None) -> bool:
    """Whether the change brings an upload to its outcome (not the same outcome of the same upload again)."""
    if not new or new.get(Record.STATUS) not in TERMINAL:
        return False
    return not old or _outcome_of(old) != _outcome_of(new)


def _outcome_of(record: ImageRecord) -> tuple[str | None, str | None]:
    return record.get(Record.UPLOAD_VERSION), record.get(Record.STATUS)


def verdict_changed(old: ImageRecord | None, new: ImageRecord | None) -> bool:
    """Whether the change gives a verdict other than the record had (verdict, reason or review date)."""
    if not new or new.get(Record.REVIEW_STATUS) not in VERDICT_STATUSES:
        return False
    return not old or _verdict_of(old) != _verdict_of(new)


def _verdict_of(record: ImageRecord) -> tuple[str | None, ...]:
    return record.get(Record.REVIEW_STATUS), record.get(Record.REVIEW_REASON), record.get(Record.REVIEWED_AT)


def notice_for(old: ImageRecord | None, new: ImageRecord | None, images_url: str | None = None) -> Notice | None:
    """The notice a change of an image record (its images before and after) calls for, if any: at
    most one. `images_url`: the base the variants are served under, if the stack has one."""
    if new is None:
        return None
    if outcome_changed(old, new):
        kind: Kind = OUTCOME
    elif verdict_changed(old, new):
        kind = REVIEW
    else:
        return None
    source_key, optimized, thumbnail = (
        new[Record.SOURCE_KEY],
        new.get(Record.OPTIMIZED_KEY),
        new.get(Record.THUMBNAIL_KEY),
    )
    about = Notice(
        image_id=new[ImagesTable.KEY],
        upload_version=new[Record.UPLOAD_VERSION],
        status=new[Record.STATUS],
        file_name=new.get(Record.FILE_NAME) or source_key.rsplit("/", 1)[-1],
        source_key=source_key,
        owner=new.get(ImagesTable.OWNER),
        optimized_key=optimized,
        thumbnail_key=thumbnail,
        caption=new.get(Record.CAPTION),
        link=image_link(optimized, images_url),
        thumbnail_link=image_link(thumbnail, images_url),
    )
    if kind == OUTCOME:
        if new[Record.STATUS] == PROCESSED:  # a reason is a rejection's or a failure's
            return about
        return replace(about, reason=new.get(Record.REASON), rejection_code=new.get(Record.REJECTION_CODE))
    return replace(
        about,
        kind=REVIEW,
        verdict=new[Record.REVIEW_STATUS],
        reason=new.get(Record.REVIEW_REASON),
        reviewed_at=new.get(Record.REVIEWED_AT),
        review_id=new.get(Record.REVIEW_ORDER),
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
