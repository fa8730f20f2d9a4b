"""Deleting an upload in the deployed stack: its variants go, its record says deleted."""

from __future__ import annotations

from handlers.contract import DELETED, PROCESSED
from harness.polling import wait_until
from harness.samples import photo_jpeg


def test_an_owner_deleting_a_processed_upload_withdraws_its_variants(stack, upload):
    record = upload("changed-my-mind.jpg", photo_jpeg(800, 600, seed=31), "image/jpeg")
    assert record["status"] == PROCESSED
    variants = [record["optimized_key"], record["thumbnail_key"]]
    assert all(stack.exists(variant) for variant in variants)

    key = upload.key("changed-my-mind.jpg")
    stack.target.client("s3").delete_object(Bucket=stack.bucket, Key=key)

    upload.wait_for(key, DELETED)
    # The record is marked first (so a stale deletion never touches a newer upload's variants), the
    # variants removed right after, in the same invocation.
    wait_until(
        lambda: not any(stack.exists(variant) for variant in variants),
        timeout=10,
        what=f"the variants of {key} to be removed",
    )
