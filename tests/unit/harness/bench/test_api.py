"""The api section's pure parts: the figures and the report. No emulator; no timing asserted."""

from __future__ import annotations

import pytest

from handlers.web.records_api import DEFAULT_LIMIT
from harness.bench.api import Case, check_sizes, expected_items, ratios, summary
from harness.bench.report import render


def test_the_pages_compared_must_be_full_in_both_lists():
    assert expected_items(100, 1) == expected_items(100, 4) == DEFAULT_LIMIT
    assert expected_items(100, 5) == 100 - 4 * DEFAULT_LIMIT
    check_sizes((100, 10_000), 4)
    with pytest.raises(ValueError, match="page 5 of 100 records is not a full page"):
        check_sizes((100, 10_000), 5)
    with pytest.raises(ValueError, match="a smaller and a larger"):
        check_sizes((10_000, 100), 1)
    with pytest.raises(ValueError, match="has no page 9"):
        expected_items(100, 9)


def test_a_case_is_summarised_by_p50_p95_and_mean():
    row = summary(Case("app", 100, 1), [10.0, 11.0, 12.0, 13.0, 30.0])
    assert row == {
        "route": "app",
        "records": 100,
        "page": 1,
        "requests": 5,
        "p50_ms": 12.0,
        "p95_ms": 26.6,
        "mean_ms": 15.2,
    }


def test_the_ratio_is_the_large_lists_p50_over_the_small_ones_per_page_and_route():
    rows = [
        {"route": "edge", "records": 100, "page": 1, "p50_ms": 40.0},
        {"route": "app", "records": 100, "page": 1, "p50_ms": 10.0},
        {"route": "app", "records": 100, "page": 4, "p50_ms": 12.0},
        {"route": "app", "records": 10_000, "page": 1, "p50_ms": 10.5},
        {"route": "app", "records": 10_000, "page": 4, "p50_ms": 11.4},
    ]
    assert ratios(rows, "app", 100, 10_000) == {"page 1": 1.05, "page 4": 0.95}
    assert ratios(rows, "edge", 100, 10_000) == {}


API = {
    "page_size": 24,
    "page": 4,
    "sizes": [100, 10_000],
    "seed_records": 10_100,
    "seed_s": 31.4,
    "seed_threads": 8,
    "cases": [
        {"route": "edge", "records": 100, "page": 1, "requests": 40, "p50_ms": 201.2, "p95_ms": 260.9, "mean_ms": 210},
        {"route": "app", "records": 100, "page": 1, "requests": 40, "p50_ms": 88.0, "p95_ms": 120.4, "mean_ms": 90.1},
        {"route": "app", "records": 10_000, "page": 1, "requests": 40, "p50_ms": 90.6, "p95_ms": 125.0, "mean_ms": 93},
    ],
    "ratios": {"page 1": 1.03},
}  # fmt: skip


def test_the_report_shows_each_route_the_ratio_and_the_seeding():
    text = render({"api": API})
    assert "GET /api/images signed in, 24 a page: the first page and page 4 by cursor (40 requests each" in text
    lines = text.splitlines()
    (edge,) = [line for line in lines if line.startswith("CDN edge")]
    assert edge.split()[-5:] == ["100", "1", "201", "261", "210"]
    (large,) = [line for line in lines if line.startswith("web app") and "10,000" in line]
    assert large.split()[-5:] == ["10,000", "1", "91", "125", "93"]
    assert "10,000 records / 100 (p50, web app): page 1 1.03×; flat is 1.00×" in text
    assert "seeded 10,100 records in 31.4 s (BatchWriteItem, 8 threads)" in text
