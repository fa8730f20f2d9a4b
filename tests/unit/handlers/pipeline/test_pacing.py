"""Pacing and backoff on a fake clock: no test waits."""

from __future__ import annotations

import pytest

from handlers.pipeline.pacing import MAX_BACKOFF_SECONDS, Backoff, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_calls_at_once_are_spaced_at_the_rate():
    clock = Clock()
    pacer = Pacer(14, clock, clock.sleep)
    for _ in range(29):
        pacer.wait()
    assert clock.now - 100 == pytest.approx(28 / 14)  # 29 calls: 28 gaps of 1/14 s


def test_calls_slower_than_the_rate_never_wait():
    clock = Clock()
    pacer = Pacer(2, clock, clock.sleep)
    for _ in range(5):
        pacer.wait()
        clock.now += 1
    assert clock.slept == []


@pytest.mark.parametrize("rate", [0, -1, float("nan")])
def test_a_rate_that_is_not_above_zero_is_refused(rate):
    with pytest.raises(ValueError, match="above 0"):
        Pacer(rate)


def test_backoff_doubles_up_to_its_ceiling_while_time_is_left():
    clock = Clock()
    backoff = Backoff(lambda: 130 - clock.now, clock.sleep, jitter=lambda ceiling: ceiling)
    waits = list(backoff.waits())
    assert waits[:5] == [0.5, 1.0, 2.0, 4.0, 8.0] and set(waits[5:]) == {MAX_BACKOFF_SECONDS}
    assert clock.now <= 130 < clock.now + MAX_BACKOFF_SECONDS  # stopped when one more wait would not fit


def test_backoff_with_no_time_left_does_not_wait():
    clock = Clock()
    assert list(Backoff(lambda: 0.1, clock.sleep).waits()) == [] and clock.slept == []
