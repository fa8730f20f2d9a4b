"""The pipeline benchmark's plumbing against the deployed stack (small counts; no timing asserted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.contract import UPLOAD_PREFIX
from harness.bench.pipeline import floor, run_pipeline
from harness.samples import photo_jpeg

BENCH_UPLOADS = f"{UPLOAD_PREFIX}bench/"  # where the benchmark uploads (its keys are fixed)


def test_the_pipeline_section_reports_every_figure(stack, upload):
    started = datetime.now(UTC) - timedelta(seconds=1)  # S3 keeps times to the second
    try:
        figures = run_pipeline(stack.outputs, progress=lambda _: None, images=2, burst_size=2)
    finally:  # what the benchmark uploaded goes with this test's uploads
        listing = stack.target.client("s3").list_objects_v2(Bucket=stack.bucket, Prefix=BENCH_UPLOADS)
        for item in listing.get("Contents", []):
            if item["LastModified"] >= started:
                upload.adopt(item["Key"])
    assert set(figures) >= {"images", "p50_s", "p95_s", "per_min", "floor_ms"}
    assert figures["images"] == 2
    assert 0 < figures["floor_ms"] < figures["p50_s"] * 1000 <= figures["p95_s"] * 1000
    assert figures["per_min"] > 0


def test_the_floor_route_is_removed_after_measuring(stack):
    buckets_before = {b["Name"] for b in stack.target.client("s3").list_buckets()["Buckets"]}
    assert len(floor(stack.target, photo_jpeg(64, 64, seed=1), samples=2)) == 2
    assert {b["Name"] for b in stack.target.client("s3").list_buckets()["Buckets"]} == buckets_before
