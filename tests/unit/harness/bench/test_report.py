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
         "ours_peak_mb": 30.0, "pyvips_peak_mb": 40.0, "psnr_db": 41.23, "floor_ms": 64.0},
    ],
    "coldstart": [
        {"handler": "handlers.imaging_functions.ingest", "first_call": "stage.prepare()", "import_ms": 120.4,
         "setup_ms": 310.2,
         "sdk_ms": 150.1, "init_ms": 430.6, "over_floor_ms": 130.6,
         "import_shares": {"runtime": 40.0, "botocore": 20.0, "pillow": 15.0, "handlers": 10.0,
                           "aws-lambda-powertools": 9.0, "urllib3": 4.0, "six": 2.0}},
        {"handler": "handlers.web.lambda_entry", "first_call": "GET /api/health", "import_ms": 801.0, "setup_ms": 377.5,
         "init_ms": 1190.2, "over_floor_ms": 890.2, "warm_ms": 1.2},
        {"handler": "sdk_floor", "first_call": "import boto3; client('dynamodb')", "import_ms": 0.4,
         "setup_ms": 299.6, "sdk_ms": 200.0, "init_ms": 300.0, "import_shares": {"runtime": 60.0, "botocore": 40.0}},
    ],
    "pipeline": {"images": 20, "p50_s": 1.2, "p95_s": 1.9, "per_min": 45.0, "floor_ms": 60.0,
                 "burst": 20, "burst_s": 26.7, "p50_over_floor": 20.0, "command_p50_s": 0.41, "command_p95_s": 0.9},
}  # fmt: skip


def test_the_table_shows_every_section_and_the_ratios_to_the_targets():
    text = render(RESULTS)
    assert "jpeg-12mp" in text and "41.2" in text
    assert "ours 0.80× pyvips time, 1.25× floor time, 5.0× faster than naive, memory 0.75× pyvips" in text
    header, _, kernel_row = text.splitlines()[1:4]
    assert header.split()[:6] == ["case", "MP", "ours", "ms", "floor", "ms"]
    assert kernel_row.split()[:4] == ["jpeg-12mp", "12.0", "80", "64"]
    assert "handlers.imaging_functions.ingest" in text and "120" in text and "310" in text and "431" in text
    (web,) = [line for line in text.splitlines() if line.startswith("handlers.web.lambda_entry")]
    assert web.split() == ["handlers.web.lambda_entry", "GET", "/api/health", "801", "378", "-", "1190", "890", "1"]
    (ingest,) = [line for line in text.splitlines() if line.startswith("handlers.imaging_functions.ingest")]
    assert ingest.split()[-4:] == ["150", "431", "131", "-"]  # boto3, total, over floor; no warm call
    (floor,) = [line for line in text.splitlines() if line.startswith("floor: SDK + 1 client")]
    assert floor.split()[-5:] == ["300", "200", "300", "-", "-"]
    assert (
        "    handlers.imaging_functions.ingest: runtime 40%, botocore 20%, pillow 15%, handlers 10%,"
        " aws-lambda-powertools 9%, others 6%" in text.splitlines()
    )
    assert "    floor: SDK + 1 client: runtime 60%, botocore 40%" in text.splitlines()
    assert "p50 1.20 s, p95 1.90 s" in text and "p50 / floor = 20.0" in text
    assert "commands (20 captions in a row): p50 0.41 s, p95 0.90 s publish → record changed" in text


def test_the_json_is_the_results(tmp_path):
    path = tmp_path / "bench.json"
    write_json(RESULTS, path)
    assert json.loads(path.read_text()) == RESULTS


KERNEL_ROW = {
    "case": "photo 12MP jpeg", "megapixels": 12.0, "ours_ms": 150.0, "pyvips_ms": 180.0, "naive_ms": 600.0,
    "ours_peak_mb": 40.0, "pyvips_peak_mb": 80.0, "psnr_db": 31.0, "floor_ms": 110.0, "floor_peak_mb": 30.0,
    "ours_vs_pyvips": 0.81, "ours_vs_floor": 1.38, "naive_vs_ours": 4.1, "peak_vs_pyvips": 0.5,
    "psnr_same_curve_db": 43.0, "format": "JPEG", "transparent": False,
}  # fmt: skip


def test_the_kernel_section_prints_issue_11s_targets_and_a_verdict_for_each():
    text = render({"kernel": [KERNEL_ROW]})
    assert "photo 12MP jpeg: ours 0.81× pyvips time, 1.38× floor time, 4.1× faster than naive" in text
    assert "ours / floor time is what our enhancement, orientation and safety checks cost" in text
    lines = text.splitlines()
    (at,) = [number for number, line in enumerate(lines) if line.startswith("  targets: ")]
    targets = " ".join(line.strip() for line in lines[at : at + 2])
    assert targets == (
        "targets: every JPEG ≤ 0.75× pyvips and ≤ 1.5× the floor; PNG ≤ 1× pyvips; PNG with alpha ≤ 1.2× pyvips;"
        " peak memory ≤ 1× pyvips; PSNR vs naive with the same tone curve ≥ 40 dB"
    )
    verdicts = [line.strip() for line in lines if line.startswith(("    met: ", "    NOT met: "))]
    assert verdicts == [
        "NOT met: photo 12MP jpeg: ours/pyvips time = 0.81 (target ≤ 0.75)",
        "met: photo 12MP jpeg: ours/floor time = 1.38 (target ≤ 1.5)",
        "met: photo 12MP jpeg: ours/pyvips peak memory = 0.5 (target ≤ 1)",
        "met: photo 12MP jpeg: PSNR vs naive with the same tone curve, dB = 43 (target ≥ 40)",
    ]
    assert "12 MP JPEG ≤ 1.0× pyvips" not in text and "38 dB" not in text  # issue 3's targets are gone


def test_the_cold_start_target_is_the_total_with_a_verdict_per_handler():
    rows = [*RESULTS["coldstart"], {"handler": "handlers.stage_functions.notify", "first_call": "stage.prepare()",
                                    "import_ms": 90.0, "setup_ms": 150.0, "init_ms": 240.0}]  # fmt: skip
    text = render({"coldstart": rows})
    assert "target: total (import + first call) ≤ 250 ms for every handler, the web function's included" in text
    assert "import ≤ 250 ms for handlers.imaging_functions.enhance" not in text and "≤ 150 ms" not in text
    verdicts = [line.strip() for line in text.splitlines() if line.startswith(("    met: ", "    NOT met: "))]
    assert verdicts == [
        "NOT met: handlers.imaging_functions.ingest: total (import + first call) = 431 ms (target ≤ 250 ms)",
        "NOT met: handlers.web.lambda_entry: total (import + first call) = 1190 ms (target ≤ 250 ms)",
        "NOT met: floor: SDK + 1 client: total (import + first call) = 300 ms (target ≤ 250 ms)",
        "met: handlers.stage_functions.notify: total (import + first call) = 240 ms (target ≤ 250 ms)",
    ]


def test_the_packages_are_a_table_of_their_own_when_measured():
    packages = [
        {
            "function": "enhance",
            "package": "imaging",
            "zip_mb": 14.04,
            "unzipped_mb": 41.56,
            "files": 1234,
            "loaded_mb": 38.5,
        },
        {"function": "web", "package": "web", "zip_mb": 9.5, "unzipped_mb": 30.0, "files": 987, "loaded_mb": 19.64},
    ]
    text = render({**RESULTS, "packages": packages})
    lines = text.splitlines()
    at = lines.index("Package: the deployment package of each function")
    assert lines[at + 1].split() == ["function", "package", "zip", "MB", "unzipped", "MB", "files", "loaded", "MB"]
    assert lines[at + 3].split() == ["enhance", "imaging", "14.0", "41.6", "1,234", "38.5"]
    assert lines[at + 4].split() == ["web", "web", "9.5", "30.0", "987", "19.6"]
    assert "Package:" not in render(RESULTS) and "Package:" not in render({**RESULTS, "packages": []})
