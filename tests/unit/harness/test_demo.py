"""The demo's waits: an upload's record until it reaches an outcome, the notices until all are in.
The stack is faked: a record store that answers what a test arranges, a tap that counts."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.stores.image_record import timestamp
from harness import demo


class FakeTarget:
    def __init__(self) -> None:
        self.puts: list[str] = []

    def client(self, service: str) -> Any:
        target = self

        class Client:
            def put_object(self, **request: Any) -> None:
                target.puts.append(request["Key"])

        return Client()


def _records(monkeypatch: pytest.MonkeyPatch, statuses: list[str]) -> list[str]:
    """Each read of the record gives the next of `statuses` (the last one for ever after)."""
    reads: list[str] = []

    class Records:
        def __init__(self, table: str, client: Any) -> None:
            pass

        def get(self, image_id: str) -> dict[str, Any]:
            status = statuses[min(len(reads), len(statuses) - 1)]
            reads.append(status)
            return {"image_id": image_id, "status": status, "created_at": timestamp()}

    monkeypatch.setattr(demo, "ImageStore", Records)
    return reads


def test_an_upload_is_waited_for_until_its_record_has_an_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = _records(monkeypatch, ["pending", "pending", "processed", "deleted"])
    target = FakeTarget()
    record, seconds = demo.upload_and_wait(target, "bucket", "table", "uploads/demo/a.jpg", b"x", "image/jpeg")
    assert target.puts == ["uploads/demo/a.jpg"]
    assert record is not None and record["status"] == "processed"
    assert reads == ["pending", "pending", "processed"]  # returned at once: not read again
    assert 0 < seconds < 5


def test_an_upload_without_an_outcome_in_time_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = _records(monkeypatch, ["pending"])
    record, seconds = demo.upload_and_wait(FakeTarget(), "b", "t", "uploads/demo/b.png", b"x", "image/png", timeout=0.3)
    assert record is None and seconds >= 0.3 and len(reads) >= 2


class FakeTap:
    def __init__(self, arrivals: list[int]) -> None:
        self.arrivals, self.calls = arrivals, 0

    def received(self) -> list[tuple[dict[str, Any], dict[str, str]]]:
        count = self.arrivals[min(self.calls, len(self.arrivals) - 1)]
        self.calls += 1
        return [({"n": n}, {}) for n in range(count)]


def test_notices_are_read_until_all_are_in_and_once_more() -> None:
    tap = FakeTap([0, 1, 3, 3])
    assert len(demo._notices(tap, 3)) == 3
    assert tap.calls == 4  # three until all were in, one more so a duplicate would show


def test_missing_notices_end_the_wait_at_the_timeout() -> None:
    tap = FakeTap([1])
    assert len(demo._notices(tap, 3, timeout=0.2)) == 1


def test_the_demo_ends_with_status_and_redrive_among_the_places_to_look():
    outputs = {
        "endpoint_url": "http://127.0.0.1:4566",
        "images_bucket": "b",
        "images_table": "t",
        "notifications_topic_arn": "arn:n",
        "alerts_topic_arn": "arn:a",
        "region": "us-east-1",
    }
    commands = [line.split()[:4] for line in demo._look_further(outputs).splitlines()]
    assert ["python", "-m", "harness", "status"] in commands
    assert ["python", "-m", "harness", "redrive"] in commands
