"""An image record as the functions read and write it: its fields typed (their names are
`handlers.contract.ImagesTable` and `Record`, which `tests/unit/handlers/stores/test_image_record.py`
holds to these keys), the published variants it lists, and the one way records write a time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict, cast

from handlers.contract import Record, RejectionCode


class VariantFields(TypedDict):
    """A published variant as its record lists it (`Record.VARIANTS`)."""

    name: str  # handlers.contract.VARIANTS
    format: str  # handlers.contract.IMAGE_FORMATS
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
    variants: list[VariantFields]
    optimized_key: str
    thumbnail_key: str
    duplicate_of: str | None
    fingerprint: str
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
    """A published rendition of an image: which, where it is and what it is."""

    name: str
    format: str
    key: str
    bytes: int
    width: int
    height: int
    content_type: str

    def fields(self) -> VariantFields:
        return VariantFields(
            name=self.name,
            format=self.format,
            key=self.key,
            bytes=self.bytes,
            width=self.width,
            height=self.height,
            content_type=self.content_type,
        )


def listed_variants(record: Mapping[str, Any]) -> list[VariantFields]:
    """The variants `record` lists, in its order. A record published before the modern formats
    lists them as a map of name to fields: read as the same list (its JPEG/PNG variants, by name)."""
    listed = record.get(Record.VARIANTS)
    if isinstance(listed, dict):
        listed = [
            {"name": name, "format": str(fields.get("content_type", "")).removeprefix("image/"), **fields}
            for name, fields in listed.items()
            if isinstance(fields, dict)
        ]
    if not isinstance(listed, list):
        return []
    return [cast(VariantFields, fields) for fields in listed if isinstance(fields, dict) and "key" in fields]


def rejected(reason: str, code: RejectionCode) -> dict[str, Any]:
    """The fields that say why an upload was rejected."""
    return {Record.REASON: reason, Record.REJECTION_CODE: code}


def timestamp(moment: datetime | None = None) -> str:
    """`moment` (default: now) as records store times, and SNS its messages' Timestamp: ISO 8601
    UTC to the millisecond, `Z`-suffixed, so two such times compare as their strings do."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
