"""Summaries of repeated measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no measurements to summarise")
    return statistics.median(values)


def percentile(values: Sequence[float], percent: float) -> float:
    """The `percent`-th percentile, interpolated between the two nearest measurements."""
    if not values:
        raise ValueError("no measurements to summarise")
    if not 0 <= percent <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {percent}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * percent / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
