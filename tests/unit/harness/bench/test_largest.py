"""The largest-image section (harness/bench/largest.py): its images are the largest the stack takes,
its figures come from the functions' own REPORT lines, and the table says how much room is left."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from harness.bench.largest import Invocations, largest_side
from harness.bench.report import render


@given(st.integers(min_value=1_000, max_value=200_000_000))
def test_the_largest_side_is_within_the_limit_and_a_row_more_would_pass_it(max_pixels):
    width, height = largest_side(max_pixels)
    assert width * height <= max_pixels
    assert (width + 2) * (height + 1) > max_pixels


def test_the_reports_since_the_offset_are_read_from_the_functions_log(tmp_path: Path):
    log = tmp_path / "f.log"
    log.write_text(
        "REPORT RequestId: a\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 1024 MB\tMax Memory Used: 70 MB\n"
    )
    since = Invocations(log, log.stat().st_size)
    with log.open("a") as handle:
        handle.write("START RequestId: b Version: $LATEST\n[INFO] working\nEND RequestId: b\n")
        handle.write(
            "REPORT RequestId: b\tDuration: 1234.56 ms\tBilled Duration: 1235 ms\tMemory Size: 1024 MB\t"
            "Max Memory Used: 412 MB\tInit Duration: 300.00 ms\n"
        )
    assert since.reports() == [(1234.56, 412)]


def test_the_table_says_how_much_room_the_largest_image_leaves():
    row = {
        "case": "alpha 50MP png",
        "mb": 0.5,
        "ingest_ms": 120.0,
        "ingest_used_mb": 90,
        "ingest_memory_mb": 512,
        "ingest_timeout_s": 30,
        "enhance_ms": 2500.0,
        "enhance_used_mb": 512,
        "enhance_memory_mb": 1024,
        "enhance_timeout_s": 60,
    }
    text = render({"largest": [row]})
    assert "alpha 50MP png: enhance used 512 of 1024 MB (2.0× room), 2.5 of 60 s" in text
