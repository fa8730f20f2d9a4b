"""The executor's side of fault injection (imagepipe_lambda_executor/faults.py): reading a function's
fault from the faults file, and the per-invocation draw."""

from __future__ import annotations

import json
import random

import pytest

from imagepipe_lambda_executor.faults import MAX_DELAY_MS, Fault, FaultFileError, FaultSource, draw, read_fault


def test_a_rate_of_one_always_draws_an_error_and_zero_never():
    rng = random.Random(3)
    assert all(draw(Fault(error_rate=1.0), rng).error for _ in range(2000))
    assert not any(draw(Fault(error_rate=0.0), rng).error for _ in range(2000))


def test_a_seeded_rate_draws_about_its_share_and_the_same_every_time():
    def errors(seed: int) -> list[bool]:
        rng = random.Random(seed)
        return [draw(Fault(error_rate=0.3), rng).error for _ in range(2000)]

    assert errors(7) == errors(7)
    assert 0.27 < sum(errors(7)) / 2000 < 0.33


def test_the_delay_is_drawn_for_its_own_share():
    rng = random.Random(5)
    delays = [draw(Fault(delay_ms=250, delay_rate=0.5), rng).delay_ms for _ in range(2000)]
    assert set(delays) == {0, 250} and 0.45 < delays.count(250) / 2000 < 0.55
    assert {draw(Fault(delay_ms=250), rng).delay_ms for _ in range(50)} == {250}  # delay_rate 1: every one


def test_the_log_lines_name_the_fis_actions():
    injection = draw(Fault(error_rate=1.0, delay_ms=20), random.Random(1))
    assert injection.log_lines() == [
        "[FAULT] aws:lambda:invocation-add-delay: 20 ms before the handler runs",
        "[FAULT] aws:lambda:invocation-error: this invocation fails with InjectedFault "
        "(error rate 1; the handler runs and sees it)",
    ]


def test_a_function_without_an_entry_or_a_missing_file_has_no_fault(tmp_path):
    path = tmp_path / "lambda-faults.json"
    assert read_fault(str(path), "fn") is None
    path.write_text(json.dumps({"functions": {"other": {"error_rate": 1.0}}}))
    assert read_fault(str(path), "fn") is None
    path.write_text(json.dumps({"functions": {"fn": {"error_rate": 0.25, "delay_ms": 10, "set_at": "x"}}}))
    assert read_fault(str(path), "fn") == Fault(error_rate=0.25, delay_ms=10)


@pytest.mark.parametrize(
    "entry",
    [
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"error_rate": "1"},
        {"error_rate": True},
        {"delay_ms": -1},
        {"delay_ms": MAX_DELAY_MS + 1},
        {"delay_ms": 1.5},
        {"delay_rate": 2},
        {"prevent_execution": "yes"},
        "everything",
    ],
)
def test_an_entry_out_of_range_is_refused(tmp_path, entry):
    path = tmp_path / "lambda-faults.json"
    path.write_text(json.dumps({"functions": {"fn": entry}}))
    with pytest.raises(FaultFileError):
        read_fault(str(path), "fn")


def test_a_source_warns_once_about_a_bad_file_and_injects_nothing(tmp_path):
    path = tmp_path / "lambda-faults.json"
    path.write_text("[1, 2")
    warnings: list[str] = []
    source = FaultSource(str(path), "fn", "1", warnings.append)
    assert [source.next_injection() for _ in range(3)] == [None, None, None]
    assert len(warnings) == 1 and "no fault injected" in warnings[0]
    path.write_text(json.dumps({"functions": {"fn": {"error_rate": 1.0}}}))
    injection = source.next_injection()
    assert injection is not None and injection.error
    assert FaultSource(None, "fn", None, warnings.append).next_injection() is None  # no file given: no faults
