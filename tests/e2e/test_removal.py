"""Deleting an upload in the deployed stack: its variants go, its record says deleted."""

from __future__ import annotations

from harness.polling import wait_until
from harness.samples import photo_jpeg
from tests.e2e.test_pipeline import _exists, _upload


def test_an_owner_deleting_a_processed_upload_withdraws_its_variants(stack):
    key = "uploads/e2e/changed-my-mind.jpg"
    record, _ = _upload(stack, key, photo_jpeg(800, 600, seed=31), "image/jpeg")
    assert record["status"] == "processed"
    variants = [record["optimized_key"], record["thumbnail_key"]]
    assert all(_exists(stack, variant) for variant in variants)

    stack.target.client("s3").delete_object(Bucket=stack.bucket, Key=key)

    def deleted():
        item = stack.target.client("dynamodb").get_item(
            TableName=stack.table, Key={"image_id": {"S": record["image_id"]}}, ConsistentRead=True
        )["Item"]
        return item if item["status"]["S"] == "deleted" else None

    wait_until(deleted, what="the record to say deleted")
    assert not any(_exists(stack, variant) for variant in variants)
