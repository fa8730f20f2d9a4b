"""The faults section's pure parts (no emulator): its plan of uploads, counting the outcome notices
per upload, the figures it derives, and how they are printed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from handlers.contract import FAILED, PROCESSED, REJECTED
from harness.bench.faults_burst import (
    INVALID_EVERY,
    Burst,
    NoticeCount,
    burst_plan,
    count_notices,
    drain_seconds,
    duplicates,
    figures,
    finished_at,
    outcomes_by_upload,
    per_minute,
    retries_of,
)
from harness.bench.report import render, render_faults


def notice(key: str, status: str, version: str = "v1", kind: str | None = "outcome") -> tuple[dict[str, Any], dict]:
    message: dict[str, Any] = {"source_key": key, "status": status, "upload_version": version}
    if kind is not None:
        message["kind"] = kind
    return message, {"status": status, "owner": "bench"}


def test_the_plan_makes_one_upload_in_five_invalid_each_a_jpg_under_the_bench_owner() -> None:
    plan = burst_plan(12, "abc123", photo=lambda seed: b"photo %d" % seed)
    assert len(plan) == 12
    assert [p.valid for p in plan].count(False) == 12 // INVALID_EVERY
    assert [index for index, p in enumerate(plan) if not p.valid] == [4, 9]
    assert all(p.key.startswith("uploads/bench/faults-abc123-") and p.key.endswith(".jpg") for p in plan)
    assert len({p.key for p in plan}) == 12
    assert plan[0].data == b"photo 0"
    assert plan[4].data != plan[9].data  # a text file, then a truncated JPEG


def test_notices_are_counted_per_upload_version_and_status_leaving_out_other_keys_and_reviews() -> None:
    notices = [
        notice("a", PROCESSED),
        notice("a", PROCESSED),  # the same outcome again: a duplicate
        notice("b", REJECTED),
        notice("b", PROCESSED, kind="review"),  # a verdict, not an outcome
        notice("elsewhere", PROCESSED),
        notice("c", FAILED, kind=None),  # no kind: an outcome
    ]
    seen = outcomes_by_upload(notices, ["a", "b", "c", "d"])
    assert seen["a"] == Counter({("v1", PROCESSED): 2})
    assert seen["b"] == Counter({("v1", REJECTED): 1})
    assert seen["c"] == Counter({("v1", FAILED): 1})
    assert seen["d"] == Counter()
    assert "elsewhere" not in seen
    assert duplicates(seen) == 1


def test_missing_duplicated_and_unexpected_against_each_uploads_status() -> None:
    expected = {"a": PROCESSED, "b": REJECTED, "c": PROCESSED, "d": FAILED}
    seen = outcomes_by_upload(
        [*[notice("a", PROCESSED)] * 3, notice("b", REJECTED), notice("c", FAILED)],
        expected,
    )
    counted = count_notices(expected, seen)
    assert counted == NoticeCount(received=5, missing=("c", "d"), duplicated=2, unexpected=1)


def test_a_new_upload_version_with_the_same_status_is_no_duplicate() -> None:
    seen = outcomes_by_upload([notice("a", PROCESSED, "v1"), notice("a", PROCESSED, "v2")], ["a"])
    assert count_notices({"a": PROCESSED}, seen).duplicated == 0


def test_retries_are_the_failed_receives_but_each_parked_messages_last() -> None:
    assert retries_of(errors=84, parked=0) == 84
    assert retries_of(errors=10, parked=2) == 8
    assert retries_of(errors=None, parked=0) is None


def test_drain_time_per_minute_and_a_records_finish() -> None:
    assert drain_seconds([100.0, 101.0], [130.0, 160.0]) == 60.0
    assert per_minute(500, 300.0) == 100.0
    assert per_minute(5, 0.0) == 0.0
    assert finished_at({"updated_at": "2026-01-01T00:00:11.250Z"}, observed=9e9) == 1767225611.25
    assert finished_at({}, observed=12.5) == 12.5


def _burst() -> Burst:
    started = {f"k{index}": float(index) for index in range(5)}
    statuses = {"k0": PROCESSED, "k1": PROCESSED, "k2": FAILED, "k3": PROCESSED, "k4": REJECTED}
    counted = NoticeCount(received=5, missing=(), duplicated=0, unexpected=0)
    return Burst(started, statuses, ["k2"], parked=1, upload_s=0.4, drain_s=30.0, notices=counted)


def test_the_figures_of_a_run() -> None:
    burst = _burst()
    final = {"k0": PROCESSED, "k1": PROCESSED, "k2": PROCESSED, "k3": PROCESSED, "k4": REJECTED}
    seen = {"k2": Counter({("v1", FAILED): 1, ("v1", PROCESSED): 1})}
    result = figures(
        burst,
        {"k0", "k1", "k2", "k3"},
        final,
        ({"Invocations": 3, "Errors": 1}, {"Invocations": 13, "Errors": 7}),
        seen,
    )
    assert result["uploads"] == 5
    assert result["invalid"] == 1
    assert result["per_min"] == 10.0
    assert (result["processed"], result["rejected"], result["failed"]) == (3, 1, 1)
    assert (result["enhance_invocations"], result["enhance_errors"]) == (10, 6)
    assert result["retries"] == 5
    assert result["parked"] == 1
    assert result["notices_duplicated"] == 0  # failed then processed: two outcomes, not a duplicate
    assert (result["valid_processed"], result["valid"], result["invalid_rejected"]) == (4, 4, 1)


def test_without_lambda_metrics_the_retries_are_unknown_not_zero() -> None:
    result = figures(_burst(), {"k0"}, {}, ({"Invocations": 0, "Errors": 0}, {"Invocations": 0, "Errors": 0}), {})
    assert result["retries"] is None
    assert result["enhance_errors"] is None


def test_the_section_prints_its_figures_and_the_lowered_visibility_timeout() -> None:
    burst = _burst()
    result = {
        "error_rate": 0.2,
        "visibility_s": 10,
        "visibility_restored_s": 360,
        "max_receives": 5,
        **figures(
            burst, {"k0", "k1", "k2", "k3"}, {}, ({"Invocations": 0, "Errors": 0}, {"Invocations": 9, "Errors": 5}), {}
        ),
        "redriven": 1,
        "redrive_how": "message move task",
        "repair_s": 4.2,
        "repair_notices_missing": 0,
    }
    text = "\n".join(render_faults(result))
    assert "VisibilityTimeout 10 s for the run (deployed: 360 s, put back after)" in text
    assert "retries (receives beyond a message's first): 4 (5 failed enhance invocations of 9)" in text
    assert "parked in enhance's dead-letter queue: 1" in text
    assert "after clear + redrive: 1 moved (message move task)" in text
    assert "Faults: a burst of 5 uploads" in render({"faults": result})
    quiet = render_faults({**result, "redriven": 0, "retries": None, "enhance_errors": None})
    assert "nothing parked, so nothing to redrive" in "\n".join(quiet)
    assert "n/a" in "\n".join(quiet)
