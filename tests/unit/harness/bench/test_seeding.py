"""The records the benchmarks seed (harness/bench/seeding.py), held to what the pipeline itself writes
(in moto), their batches and the stream-less table copy. No emulator; no timing asserted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from handlers.contract import AWAITING, PROCESSED, ImagesTable
from handlers.imaging import Limits
from handlers.imaging_functions.intake import Intake
from handlers.imaging_functions.publishing import Publisher, Publishing
from handlers.pipeline.uploads import Upload, image_id_for
from handlers.stores.fingerprint_store import FingerprintStore
from handlers.stores.image_store import ImageStore
from handlers.web.records_api import api_record
from harness.bench import BenchError
from harness.bench.seeding import batches, put_records, seeded_record, seeded_records, streamless_copy, write_batch
from harness.samples import photo_jpeg
from tests.unit.tables import create_fingerprints_table, create_images_table

UPLOADED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


TAIL = re.compile(r"(-w\d+)?\.\w+$")


@pytest.fixture
def pipeline_record(mocked_aws: None) -> dict[str, Any]:
    """The record the pipeline's own intake and enhance steps leave for a 2 MP JPEG, in moto."""
    s3, dynamodb, sqs = boto3.client("s3"), boto3.client("dynamodb"), boto3.client("sqs")
    s3.create_bucket(Bucket="images")
    create_images_table(dynamodb, "images")
    create_fingerprints_table(dynamodb, "fingerprints")
    queue = sqs.create_queue(QueueName="enhance")["QueueUrl"]
    key, data = "uploads/ann/bench-00007.jpg", photo_jpeg(1732, 1155, seed=7)
    etag = s3.put_object(Bucket="images", Key=key, Body=data)["ETag"].strip('"')
    upload = Upload("images", key, "0055AED6DCD90281E5", "2026-11-30T09:15:00.000Z", len(data), etag)
    records = ImageStore("images", dynamodb)
    Intake(records, s3, sqs, queue, Limits()).ingest(upload)
    Publisher(records, s3, Limits(), Publishing(), FingerprintStore("fingerprints", dynamodb)).enhance(upload)
    record = records.get(upload.image_id)
    assert record is not None and record["status"] == PROCESSED
    return record


def test_a_seeded_record_has_the_fields_the_pipeline_writes_and_no_others(pipeline_record):
    seeded = seeded_record("ann", 7, "images", UPLOADED)
    assert set(seeded) == set(pipeline_record)
    assert {name: type(value) for name, value in seeded.items()} == {
        name: type(value) for name, value in pipeline_record.items()
    }
    assert len(seeded["variants"]) == len(pipeline_record["variants"])
    for ours, theirs in zip(seeded["variants"], pipeline_record["variants"], strict=True):
        assert set(ours) == set(theirs)
        assert (ours["name"], ours["format"]) == (theirs["name"], theirs["format"])
        assert (ours["width"], ours["height"]) == (theirs["width"], theirs["height"])  # the same 2 MP photo
        assert TAIL.search(ours["key"]).group() == TAIL.search(theirs["key"]).group()  # [-w<width>].<extension>
    for name in ("source_width", "source_height", "format", "content_type", "status", "review_status", "owner"):
        assert seeded[name] == pipeline_record[name]
    for name in ("date", "uploaded_at", "processed_at"):  # the same forms of time
        assert len(seeded[name]) == len(pipeline_record[name]) and seeded[name][10] == pipeline_record[name][10]


def test_a_seeded_record_is_keyed_and_named_as_the_pipeline_keys_its_upload():
    seeded = seeded_record("ann", 7, "images", UPLOADED)
    assert seeded["source_key"] == "uploads/ann/bench-00007.jpg" and seeded["file_name"] == "bench-00007.jpg"
    assert seeded[ImagesTable.KEY] == image_id_for(seeded["source_key"])
    assert seeded["uploaded_at"] == "2026-11-30T09:15:00.000Z"
    assert seeded["upload_order"].endswith("|2026-11-30T09:15:00.000Z")
    version = seeded["upload_version"]
    assert seeded["thumbnail_key"] == f"images/thumbnail/{seeded[ImagesTable.KEY]}-{version}.jpg"
    assert (
        seeded["optimized_key"]
        == seeded["variants"][0]["key"]
        == f"images/optimized/{seeded['image_id']}-{version}.jpg"
    )
    assert seeded["created_at"] < seeded["processed_at"] == seeded["updated_at"]
    assert seeded["review_status"] == AWAITING


def test_the_api_shows_a_seeded_record_as_a_processed_image_on_the_cdn():
    shown = api_record(seeded_record("ann", 7, "images", UPLOADED), "http://127.0.0.1:4580")
    assert shown["status"] == PROCESSED and shown["owner"] == "ann"
    assert shown["thumbnail_url"].startswith("http://127.0.0.1:4580/images/auto/avif-webp/thumbnail/")
    assert (shown["thumbnail_width"], shown["thumbnail_height"]) == (256, 171)


def test_seeded_records_are_distinct_a_minute_apart_the_last_at_newest():
    records = seeded_records("ann", 50, "images", UPLOADED)
    times = [record["uploaded_at"] for record in records]
    assert len(set(times)) == len({record[ImagesTable.KEY] for record in records}) == 50
    assert times == sorted(times) and times[-1] == "2026-11-30T09:15:00.000Z"
    assert times[0] == (UPLOADED - timedelta(minutes=49)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_records_go_in_batches_of_25_and_come_back_from_the_owner_index(mocked_aws):
    assert [len(batch) for batch in batches(list(range(60)))] == [25, 25, 10]
    dynamodb = boto3.client("dynamodb")
    create_images_table(dynamodb, "images")
    put_records(dynamodb, "images", seeded_records("ann", 60, "images", UPLOADED), threads=3)
    page = dynamodb.query(
        TableName="images",
        IndexName=ImagesTable.OWNER_INDEX,
        KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": ImagesTable.OWNER},
        ExpressionAttributeValues={":o": {"S": "ann"}},
        ScanIndexForward=False,
        Limit=2,
    )
    assert [item["file_name"]["S"] for item in page["Items"]] == ["bench-00059.jpg", "bench-00058.jpg"]


def test_unprocessed_writes_are_sent_again_and_an_endless_refusal_is_an_error():
    calls: list[int] = []

    class Throttled:
        def __init__(self, refusals: int) -> None:
            self.refusals = refusals

        def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's name
            calls.append(len(RequestItems["t"]))
            if len(calls) <= self.refusals:
                return {"UnprocessedItems": {"t": RequestItems["t"][1:]}}
            return {"UnprocessedItems": {}}

    write_batch(Throttled(2), "t", [{"PutRequest": {}}] * 3)
    assert calls == [3, 2, 1]
    calls.clear()
    with pytest.raises(BenchError, match="left 1 writes to t unprocessed after 2 tries"):
        write_batch(Throttled(99), "t", [{"PutRequest": {}}] * 3, attempts=2)


def test_the_copy_has_the_keys_and_indexes_but_no_stream(mocked_aws):
    dynamodb = boto3.client("dynamodb")
    create_images_table(dynamodb, "images")
    dynamodb.update_table(
        TableName="images", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    described = dynamodb.describe_table(TableName="images")["Table"]
    dynamodb.create_table(**streamless_copy(described, "copy"))
    copy = dynamodb.describe_table(TableName="copy")["Table"]
    assert copy["KeySchema"] == described["KeySchema"]
    indexes = {
        index["IndexName"]: (index["KeySchema"], index["Projection"]) for index in copy["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        index["IndexName"]: (index["KeySchema"], index["Projection"]) for index in described["GlobalSecondaryIndexes"]
    }
    assert "StreamSpecification" not in copy or not copy["StreamSpecification"].get("StreamEnabled")
