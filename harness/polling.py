"""Waiting for something to happen: poll a condition and return as soon as it holds.

The one polling helper of the project: the harness (deployer, emulator, demo, benchmark) and the
tests all wait through it, never with a fixed sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TimedOut(AssertionError):
    """The condition did not hold in time. An AssertionError, so a test that waits in vain fails
    (rather than errors) with the message naming what it waited for."""


def wait_until(
    predicate: Callable[[], T | None],
    *,
    timeout: float = 30.0,
    interval: float = 0.1,
    max_interval: float | None = None,
    what: str = "the condition",
    error: Callable[[str], Exception] = TimedOut,
) -> T:
    """Call `predicate` until it returns something truthy, and return that at once. After `timeout`
    seconds raise `error("timed out after N s waiting for <what>")`. With `max_interval`, the pause
    between calls grows by half each time up to it (for conditions that may take long)."""
    deadline = time.monotonic() + timeout
    pause = interval
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise error(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(min(pause, remaining))
        if max_interval is not None:
            pause = min(pause * 1.5, max_interval)
