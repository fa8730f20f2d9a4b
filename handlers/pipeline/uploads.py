"""Uploads as the pipeline sees them: parsed from S3 event notifications, placed by their key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Self
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event

from handlers.contract import UPLOAD_PREFIX


class NotAnUploadKey(ValueError):
    """The key is not of the form `uploads/<owner>/<file name>`."""


@dataclass(frozen=True)
class ObjectEvent:
    """Something that happened to one object under `uploads/`, as an S3 event announced it."""

    bucket: str
    key: str
    sequencer: str
    event_time: str

    @property
    def image_id(self) -> str:
        """The record's id: stable for the key, so a re-upload replaces the image it names."""
        return image_id_for(self.key)

    @property
    def order(self) -> str:
        """Sorts later events of the same key after earlier ones: S3's sequencer, then the event time
        (LocalStack sends one constant sequencer, so the time decides there)."""
        return f"{self.sequencer.rjust(32, '0')}|{self.event_time}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(**{field: data[field] for field in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Upload(ObjectEvent):
    """One version of one uploaded object, as announced by an `ObjectCreated` event."""

    size: int
    etag: str

    @property
    def version(self) -> str:
        """Identifies this upload among all uploads of the key."""
        return hashlib.sha256(f"{self.order}|{self.etag}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Removal(ObjectEvent):
    """One deletion of an uploaded object, as announced by an `ObjectRemoved` event."""


@dataclass(frozen=True)
class Placement:
    """Who uploaded a file and under which name, from `uploads/<owner>/<file name>`."""

    owner: str
    file_name: str


def image_id_for(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def placement_of(key: str) -> Placement:
    """The owner and file name a key names; NotAnUploadKey says what is wrong with any other key."""
    if not key.startswith(UPLOAD_PREFIX):
        raise NotAnUploadKey(f"{key!r} is not under {UPLOAD_PREFIX}")
    owner, slash, file_name = key.removeprefix(UPLOAD_PREFIX).partition("/")
    if not slash or not owner or not file_name or "/" in file_name:
        raise NotAnUploadKey(f"uploads go to {UPLOAD_PREFIX}<owner>/<file name>, not {key!r}")
    return Placement(owner=owner, file_name=file_name)


def _records(notification: str | dict[str, Any]) -> list[Any]:
    event = S3Event(json.loads(notification) if isinstance(notification, str) else notification)
    return list(event.records) if "Records" in event else []  # none for `s3:TestEvent`


def _named(record: Any, prefix: str) -> bool:
    """Whether an S3 event record's name starts with `prefix` (a malformed name, e.g. a list that a
    body filter policy still matched, is no such event)."""
    name = record.get("eventName")
    return isinstance(name, str) and name.startswith(prefix)


def enhance_request(upload: Upload) -> str:
    """The enhance queue's message asking for `upload` to be rendered and published."""
    return json.dumps({"upload": upload.to_dict()})


def requested_uploads(body: str) -> list[Upload]:
    """The upload an enhance queue's message asks for (see `enhance_request`)."""
    return [Upload.from_dict(json.loads(body)["upload"])]


def uploads_in(notification: str | dict[str, Any]) -> list[Upload]:
    """The created objects an S3 event notification announces."""
    return [
        Upload(
            bucket=record.s3.bucket.name,
            key=unquote_plus(record.s3.get_object.key),  # S3 URL-encodes keys in events, '+' for space
            size=record.s3.get_object.size,
            etag=record.s3.get_object.etag,
            sequencer=record.s3.get_object.get("sequencer", ""),
            event_time=record.event_time,
        )
        for record in _records(notification)
        if _named(record, "ObjectCreated:")
    ]


def removals_in(notification: str | dict[str, Any]) -> list[Removal]:
    """The deleted objects an S3 event notification announces."""
    return [
        Removal(
            bucket=record.s3.bucket.name,
            key=unquote_plus(record.s3.get_object.key),
            sequencer=record.s3.get_object.get("sequencer", ""),
            event_time=record.event_time,
        )
        for record in _records(notification)
        if _named(record, "ObjectRemoved:")
    ]
