"""Intake (the ingest stage's logic): decide, by its content, whether an upload is an image the
pipeline accepts. Accepted uploads are recorded `pending` and sent on to enhance; anything else is
recorded `rejected` with a reason a person can act on, and the object is removed.

The pending record starts the fields people edit later with defaults from the upload itself: the
photo's `date` from its EXIF (absent when the photo does not say), and the `photographer` from the
object's user metadata `x-amz-meta-photographer` when the uploader set a usable one, else the owner."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from email.header import decode_header, make_header
from typing import TYPE_CHECKING, Any, Final

from handlers.contract import FAILED, PENDING, PHOTOGRAPHER_METADATA, REJECTED, Record, RejectionCode
from handlers.imaging import ImageInfo, ImageRejected, Limits, inspect_image
from handlers.imaging.rejection import too_large_reason
from handlers.imaging_functions.objects import UploadChanged, read_upload
from handlers.pipeline.outcome import STALE, Outcome
from handlers.pipeline.uploads import NotAnUploadKey, Placement, Upload, enhance_request, placement_of
from handlers.stores.image_record import rejected
from handlers.stores.image_store import ImageStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

MAX_PHOTOGRAPHER: Final = 200  # characters; a longer metadata value is ignored (the owner stands)
# What may not be in a name: control characters, surrogates, line and paragraph separators.
_UNPRINTABLE: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})
# S3 returns a non-ASCII user-metadata value as RFC 2047 encoded words: "=?UTF-8?B?...?=".
_ENCODED_WORDS = re.compile(r"(?:=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=\s*)+")


def photo_fields(info: ImageInfo, photographer: str) -> dict[str, Any]:
    """What the photo says of itself, for its record: caption, photographer, date, copyright and
    keywords from its XMP, IPTC and EXIF (handlers/imaging/credits.py); the date taken (EXIF) when
    they give none, the uploader's or owner's name (`photographer`) when they name nobody."""
    said = info.credits
    fields: dict[str, Any] = {Record.PHOTOGRAPHER: said.photographer or photographer}
    date = said.date or info.taken_at
    optional = {Record.CAPTION: said.caption, Record.DATE: date, Record.COPYRIGHT: said.copyright}
    fields.update({name: value for name, value in optional.items() if value is not None})
    if said.keywords:
        fields[Record.KEYWORDS] = list(said.keywords)
    return fields


def photographer_from(metadata: Mapping[str, str], owner: str) -> str:
    """The photographer the uploader named in the object's user metadata (`x-amz-meta-photographer`),
    stripped; the owner when it is absent, blank, over `MAX_PHOTOGRAPHER` characters or holds
    control characters (it is the uploader's input, shown to people and mailed)."""
    value = metadata.get(PHOTOGRAPHER_METADATA)
    if not isinstance(value, str):
        return owner
    name = _decoded(value).strip()
    if not name or len(name) > MAX_PHOTOGRAPHER or any(unicodedata.category(c) in _UNPRINTABLE for c in name):
        return owner
    return name


def _decoded(value: str) -> str:
    """`value`, with RFC 2047 encoded words (how S3 returns non-ASCII metadata) decoded."""
    if not _ENCODED_WORDS.fullmatch(value.strip()):
        return value
    try:
        return str(make_header(decode_header(value.strip())))
    except Exception:  # an unknown charset, bad base64: not a usable name
        return ""


class Intake:
    """Checks uploads against `limits` and routes them: enhance queue or rejection."""

    def __init__(
        self, records: ImageStore, s3: S3Client, sqs: SQSClient, enhance_queue_url: str, limits: Limits
    ) -> None:
        self.records = records
        self.s3 = s3
        self.sqs = sqs
        self.enhance_queue_url = enhance_queue_url
        self.limits = limits

    def ingest(self, upload: Upload) -> Outcome:
        try:
            placement = placement_of(upload.key)
        except NotAnUploadKey as problem:
            return self._reject(upload, None, str(problem), "bad-key")
        if upload.size > self.limits.max_bytes:  # the event says the size: no need to fetch
            return self._reject(upload, placement, too_large_reason(upload.size, self.limits.max_bytes), "too-large")
        try:
            uploaded = read_upload(self.s3, upload)
        except UploadChanged as change:
            return Outcome(upload.image_id, change.outcome)
        try:
            info = inspect_image(uploaded.data, self.limits, filename=placement.file_name)
        except ImageRejected as rejection:
            return self._reject(upload, placement, rejection.reason, rejection.code)

        defaults = photo_fields(info, photographer_from(uploaded.metadata, placement.owner))
        written = self.records.record_upload(
            upload,
            placement,
            PENDING,
            {
                Record.FORMAT: info.format,
                Record.CONTENT_TYPE: info.content_type,
                Record.SOURCE_WIDTH: info.width,
                Record.SOURCE_HEIGHT: info.height,
                **defaults,
            },
        )
        if not written:
            return Outcome(upload.image_id, STALE)
        self.sqs.send_message(QueueUrl=self.enhance_queue_url, MessageBody=enhance_request(upload))
        return Outcome(upload.image_id, PENDING)

    def fail(self, upload: Upload, reason: str) -> None:
        """Record that checking `upload` failed for good (its message goes to the dead-letter queue)."""
        try:
            placement: Placement | None = placement_of(upload.key)
        except NotAnUploadKey:
            placement = None
        self.records.record_upload(upload, placement, FAILED, {Record.REASON: reason})

    def _reject(self, upload: Upload, placement: Placement | None, reason: str, code: RejectionCode) -> Outcome:
        """Record the rejection and remove the object (unless a newer upload is recorded already)."""
        if not self.records.record_upload(upload, placement, REJECTED, rejected(reason, code)):
            return Outcome(upload.image_id, STALE)
        self.s3.delete_object(Bucket=upload.bucket, Key=upload.key)
        return Outcome(upload.image_id, REJECTED, reason)
