"""Image records as the stages leave them, for the notice tests (pure and against moto): one upload
pending, processed, awaiting review, passed, and rejected in review."""

from __future__ import annotations

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
