"""Image records as the stages leave them, for the notice tests (pure and against moto): one upload
pending, processed, awaiting review, passed, and rejected in review (and another upload rejected);
`change` makes one stream record of a change."""

from __future__ import annotations

import uuid
from typing import Any

from boto3.dynamodb.types import TypeSerializer

PENDING = {
    "image_id": "i1",
    "upload_version": "v1",
    "status": "pending",
    "source_key": "uploads/ann/cat.jpg",
    "file_name": "cat.jpg",
    "owner": "ann",
    "source_size": 1234,
}
PROCESSED = {
    **PENDING,
    "status": "processed",
    "optimized_key": "images/optimized/i1-v1.jpg",
    "thumbnail_key": "images/thumbnail/i1-v1.jpg",
}
# The review: enhance leaves a processed image awaiting one; a verdict replaces it, or an earlier verdict.
AWAITING = {**PROCESSED, "review_status": "awaiting", "caption": "Sunset at Inch"}
PASSED = {
    **AWAITING,
    "review_status": "passed",
    "reviewed_at": "2026-11-22T10:00:00+00:00",
    "review_order": "2026-11-22T10:00:01.000Z|m1",
}
REJECTED_IN_REVIEW = {
    **AWAITING,
    "review_status": "rejected",
    "review_reason": "the horizon is tilted",
    "reviewed_at": "2026-11-22T11:00:00+00:00",
    "review_order": "2026-11-22T11:00:01.000Z|m2",
}

_serialize = TypeSerializer().serialize
REJECTED = {**PENDING, "image_id": "i2", "status": "rejected", "reason": "the file is empty"}


def change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """One stream record as the event source mapping delivers it (NEW_AND_OLD_IMAGES)."""
    images = {}
    if old is not None:
        images["OldImage"] = {k: _serialize(v) for k, v in old.items()}
    if new is not None:
        images["NewImage"] = {k: _serialize(v) for k, v in new.items()}
    image_id = (new or old)["image_id"]
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": "MODIFY" if old and new else ("INSERT" if new else "REMOVE"),
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/images/stream/2026-11-22T00:00:00.000",
        "dynamodb": {
            "Keys": {"image_id": {"S": image_id}},
            "SequenceNumber": str(uuid.uuid4().int)[:21],
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            **images,
        },
    }
