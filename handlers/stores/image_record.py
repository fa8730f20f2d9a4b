"""An image record as the functions read and write it: its fields typed (their names are
`handlers.contract.ImagesTable` and `Record`, which `tests/unit/handlers/stores/test_image_record.py`
holds to these keys), the published variants it lists, and the one way records write a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from handlers.contract import Record, RejectionCode


class VariantFields(TypedDict):
    """A published variant as its record lists it (`Record.VARIANTS`)."""

    key: str
    bytes: int
    width: int
    height: int
    content_type: str


class ImageRecord(TypedDict, total=False):
    """One item of the images table (a DynamoDB stream's image of it too), its numbers as int."""

    image_id: str
    owner: str
    uploaded_at: str
    status: str
    reason: str
    rejection_code: str
    source_key: str
    source_size: int
    source_width: int
    source_height: int
    format: str
    content_type: str
    file_name: str
    caption: str
    photographer: str
    date: str
    copyright: str
    keywords: list[str]
    review_status: str
    review_reason: str
    reviewed_at: str
    variants: dict[str, VariantFields]
    optimized_key: str
    thumbnail_key: str
    source_bucket: str
    source_etag: str
    upload_order: str
    upload_version: str
    created_at: str
    updated_at: str
    processed_at: str
    deleted_at: str
    review_order: str
    caption_order: str
    date_order: str
    photographer_order: str


@dataclass(frozen=True)
class VariantRecord:
    """A published rendition of an image: where it is and what it is."""

    key: str
    bytes: int
    width: int
    height: int
    content_type: str

    def fields(self) -> VariantFields:
        return VariantFields(
            key=self.key, bytes=self.bytes, width=self.width, height=self.height, content_type=self.content_type
        )


def rejected(reason: str, code: RejectionCode) -> dict[str, Any]:
    """The fields that say why an upload was rejected."""
    return {Record.REASON: reason, Record.REJECTION_CODE: code}


def timestamp(moment: datetime | None = None) -> str:
    """`moment` (default: now) as records store times, and SNS its messages' Timestamp: ISO 8601
    UTC to the millisecond, `Z`-suffixed, so two such times compare as their strings do."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
