"""The pipeline section's wait for an upload's record (no emulator: a fake record store)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.bench import BenchError
from harness.bench.pipeline import Uploader


def _uploader(records: list[dict[str, Any] | None]) -> tuple[Uploader, list[int]]:
    """An Uploader whose record reads give `records` in turn (the last one for ever after)."""
    reads: list[int] = []

    class Records:
        def get(self, image_id: str) -> dict[str, Any] | None:
            reads.append(1)
            return records[min(len(reads) - 1, len(records) - 1)]

    class Target:
        def client(self, service: str) -> object:
            return object()

    uploader = Uploader(Target(), "bucket", "table")
    uploader.records = Records()
    return uploader, reads


CREATED = "2026-01-01T00:00:10.000Z"  # epoch 1767225610


def test_the_time_processed_is_the_records_not_the_polls() -> None:
    pending = {"status": "pending", "created_at": CREATED}
    done = {"status": "processed", "created_at": CREATED, "processed_at": "2026-01-01T00:00:11.250Z"}
    uploader, reads = _uploader([None, pending, done])
    assert uploader.processed_at("uploads/bench/a.jpg", since=1767225610.0) == 1767225611.25
    assert len(reads) == 3


def test_a_record_of_an_earlier_upload_is_not_the_answer() -> None:
    earlier = {"status": "processed", "created_at": CREATED, "processed_at": CREATED}
    uploader, _ = _uploader([earlier])
    with pytest.raises(BenchError, match=r"uploads/bench/a.jpg was not processed within 0 s"):
        uploader.processed_at("uploads/bench/a.jpg", since=1767225620.0, timeout=0.2)


def test_an_upload_that_ends_otherwise_is_an_error_at_once() -> None:
    rejected = {"status": "rejected", "created_at": CREATED, "reason": "a PDF document"}
    uploader, reads = _uploader([rejected])
    with pytest.raises(BenchError, match="ended rejected: a PDF document"):
        uploader.processed_at("uploads/bench/a.jpg", since=1767225610.0)
    assert len(reads) == 1
