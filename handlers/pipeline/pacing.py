"""Keeping under a sending rate: `Pacer` spaces calls at most `rate` a second, and `Backoff` waits
longer after each refusal for being too fast (SES's `Throttling`, "Maximum sending rate exceeded"),
until the time left is spent. The clock and the sleep are given, so tests need no waiting."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0


@dataclass
class Pacer:
    """Lets a call go at most `rate` times a second: `wait()` sleeps until the next call's turn."""

    rate: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float = field(default=float("-inf"), init=False)

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"a sending rate must be above 0 a second, not {self.rate!r}")

    def wait(self) -> None:
        now = self.clock()
        if now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + 1 / self.rate


@dataclass(frozen=True)
class Backoff:
    """The waits after refusals for being too fast: doubling from FIRST_BACKOFF_SECONDS up to
    MAX_BACKOFF_SECONDS, each with full jitter (a random part of it, so concurrent senders spread
    out), for as long as `seconds_left()` allows one more wait."""

    seconds_left: Callable[[], float]
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[float], float] = lambda ceiling: random.uniform(ceiling / 2, ceiling)

    def waits(self) -> Iterator[float]:
        """Sleeps before each next try and yields how long it slept; ends when out of time."""
        ceiling = FIRST_BACKOFF_SECONDS
        while True:
            wait = self.jitter(ceiling)
            if wait >= self.seconds_left():
                return
            self.sleep(wait)
            yield wait
            ceiling = min(ceiling * 2, MAX_BACKOFF_SECONDS)
