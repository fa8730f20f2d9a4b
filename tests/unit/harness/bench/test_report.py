"""The benchmark's summaries and its table."""

from __future__ import annotations

import json

import pytest

from harness.bench.report import render, write_json
from harness.bench.stats import median, percentile


def test_percentiles_interpolate_between_measurements():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert median(values) == 3.0
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 5.0
    assert percentile(values, 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0


@pytest.mark.parametrize("values", [[], None])
def test_no_measurements_is_an_error(values):
    with pytest.raises((ValueError, TypeError)):
        median(values)


def test_a_percentile_outside_0_100_is_refused():
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


RESULTS = {
    "kernel": [
        {"case": "jpeg-12mp", "megapixels": 12.0, "ours_ms": 80.0, "pyvips_ms": 100.0, "naive_ms": 400.0,
         "ours_peak_mb": 30.0, "pyvips_peak_mb": 40.0, "psnr_db": 41.23},
    ],
    "coldstart": [
        {"handler": "handlers.ingest", "first_call": "stage.prepare()", "import_ms": 120.4, "setup_ms": 310.2,
         "init_ms": 430.6},
        {"handler": "handlers.api", "first_call": "GET /api/health", "import_ms": 801.0, "setup_ms": 377.5,
         "init_ms": 1190.2, "warm_ms": 1.2},
    ],
    "pipeline": {"images": 20, "p50_s": 1.2, "p95_s": 1.9, "per_min": 45.0, "floor_ms": 60.0,
                 "burst": 20, "burst_s": 26.7, "p50_over_floor": 20.0, "command_p50_s": 0.41, "command_p95_s": 0.9},
}  # fmt: skip


def test_the_table_shows_every_section_and_the_ratios_to_the_targets():
    text = render(RESULTS)
    assert "jpeg-12mp" in text and "41.2" in text
    assert "ours 0.80× pyvips time, 5.0× faster than naive, memory 0.75× pyvips" in text
    assert "handlers.ingest" in text and "120" in text and "310" in text and "431" in text
    (web,) = [line for line in text.splitlines() if line.startswith("handlers.api")]
    assert web.split() == ["handlers.api", "GET", "/api/health", "801", "378", "1190", "1"]
    (ingest,) = [line for line in text.splitlines() if line.startswith("handlers.ingest")]
    assert ingest.split()[-1] == "-"  # a stage's setup happens once: no warm call
    assert "p50 1.20 s, p95 1.90 s" in text and "p50 / floor = 20.0" in text
    assert "commands (20 captions in a row): p50 0.41 s, p95 0.90 s publish → record changed" in text


def test_the_json_is_the_results(tmp_path):
    path = tmp_path / "bench.json"
    write_json(RESULTS, path)
    assert json.loads(path.read_text()) == RESULTS
