"""The largest-image benchmark's plumbing against the deployed stack (a small limit instead of the
stack's 50 MP, so it is quick; no timing asserted)."""

from __future__ import annotations

from harness.bench.largest import run_largest


def test_the_largest_section_reads_each_functions_own_report(stack, upload):
    rows = []
    try:
        rows = run_largest(stack.outputs, progress=lambda _: None, max_pixels=1_000_000)
    finally:
        for row in rows:
            upload.adopt(row["key"])  # its record and anything left of it go with this test's uploads
    assert [row["case"].split()[0] for row in rows] == ["photo", "graphic", "alpha"]
    for row in rows:
        for stage in ("ingest", "enhance"):
            assert 0 < row[f"{stage}_used_mb"] <= row[f"{stage}_memory_mb"]
            assert row[f"{stage}_ms"] > 0
    assert (rows[0]["ingest_memory_mb"], rows[0]["enhance_memory_mb"]) == (512, 1024)
