"""Image records for the benchmarks, as the pipeline writes them for a processed 2 MP JPEG, written
into the stack's images table or a stream-less copy of it in batches on several threads, and removed
afterwards (harness/bench/api.py, harness/bench/webstart.py)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from handlers.contract import (
    DEFAULT_FORMATS,
    DEFAULT_SRCSET_WIDTHS,
    EXTENSIONS,
    PROCESSED,
    UPLOAD_PREFIX,
    ImagesTable,
    Record,
)
from handlers.imaging_functions.publishing import published_fields, variant_prefix
from handlers.pipeline.uploads import Upload, placement_of
from handlers.stores.image_record import VariantRecord, timestamp
from handlers.stores.image_store import upload_fields
from harness.aws import AwsTarget
from harness.bench import BenchError
from harness.notice_tap import SubscribedQueue
from harness.polling import TimedOut, wait_until

BATCH = 25  # BatchWriteItem's most
THREADS = 8  # writers at once: the emulator's gateway is the limit (8 write about 10 % faster than 4 here)
# What the pipeline records for a processed 2 MP JPEG (harness/bench/pipeline.py uploads the same size).
SOURCE_SIZE, OPTIMIZED_SIZE, THUMBNAIL_SIZE = (1732, 1155), (1600, 1067), (256, 171)
VARIANT_BYTES = {"optimized": 212_000, "thumbnail": 14_800}  # as JPEG; the other formats, about this share of it:
FORMAT_SHARE = {"jpeg": 1.0, "webp": 0.55, "avif": 0.45}
TAKEN_BEFORE_UPLOAD = timedelta(days=2, hours=3)  # the photo's date, from its EXIF (camera photos carry one)


def seeded_record(owner: str, number: int, bucket: str, uploaded: datetime) -> dict[str, Any]:
    """The record of `uploads/<owner>/bench-<number>.jpg`, uploaded at `uploaded` and processed, as
    ingest (`ImageStore.record_upload`) and enhance (`Publisher.enhance`) write it."""
    key = f"{UPLOAD_PREFIX}{owner}/bench-{number:05d}.jpg"
    source_bytes = 640_000 + number % 997 * 131
    upload = Upload(
        bucket=bucket,
        key=key,
        sequencer=f"{number + 1:016X}",
        event_time=timestamp(uploaded),
        size=source_bytes,
        etag=hashlib.md5(key.encode(), usedforsecurity=False).hexdigest(),
    )
    variants = [
        VariantRecord(
            name=name,
            format=image_format,
            key=f"{variant_prefix(name, upload.image_id)}{upload.version}{suffix}.{EXTENSIONS[image_format]}",
            bytes=round(VARIANT_BYTES[name] * FORMAT_SHARE[image_format] * (width / size[0]) ** 2),
            width=width,
            height=round(size[1] * width / size[0]),
            content_type=f"image/{image_format}",
        )
        for name, size in (("optimized", OPTIMIZED_SIZE), ("thumbnail", THUMBNAIL_SIZE))
        for width, suffix in (
            (size[0], ""),
            *((w, f"-w{w}") for w in sorted(DEFAULT_SRCSET_WIDTHS, reverse=True) if name == "optimized"),
        )
        for image_format in ("jpeg", *DEFAULT_FORMATS)
    ]
    created, processed = uploaded + timedelta(milliseconds=240), uploaded + timedelta(milliseconds=610)
    return {
        **upload_fields(upload, placement_of(key), PROCESSED, timestamp(created)),
        Record.UPDATED_AT: timestamp(processed),
        Record.FORMAT: "JPEG",
        Record.CONTENT_TYPE: "image/jpeg",
        Record.SOURCE_WIDTH: SOURCE_SIZE[0],
        Record.SOURCE_HEIGHT: SOURCE_SIZE[1],
        Record.PHOTOGRAPHER: owner,
        Record.DATE: (uploaded - TAKEN_BEFORE_UPLOAD).strftime("%Y-%m-%dT%H:%M:%S"),  # as EXIF gives it
        **published_fields(variants, timestamp(processed), f"{number:032x}"),
        Record.DUPLICATE_OF: None,
    }


def seeded_records(owner: str, count: int, bucket: str, newest: datetime) -> list[dict[str, Any]]:
    """`count` records of `owner`, the last uploaded at `newest`, each a minute after the one before."""
    first = newest - timedelta(minutes=count - 1)
    return [seeded_record(owner, number, bucket, first + timedelta(minutes=number)) for number in range(count)]


def batches(items: Sequence[Any], size: int = BATCH) -> list[list[Any]]:
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def write_batch(client: Any, table: str, requests_: list[dict[str, Any]], attempts: int = 8) -> None:
    """One BatchWriteItem of `requests_`, sending again what DynamoDB left unprocessed."""
    pending: dict[str, Any] = {table: requests_}
    for attempt in range(attempts):
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return
        time.sleep(0.05 * 2**attempt)
    raise BenchError(f"DynamoDB left {len(pending[table])} writes to {table} unprocessed after {attempts} tries")


def write_requests(client: Any, table: str, requests_: Sequence[dict[str, Any]], threads: int = THREADS) -> float:
    """Send `requests_` (BatchWriteItem's PutRequests and DeleteRequests) in batches on `threads`
    threads; the seconds it took."""
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda batch: write_batch(client, table, batch), batches(requests_)))
    return time.perf_counter() - started


def put_records(client: Any, table: str, records: Sequence[dict[str, Any]], threads: int = THREADS) -> float:
    """Write `records` with BatchWriteItem on `threads` threads; the seconds it took."""
    serialize = TypeSerializer().serialize
    puts = [{"PutRequest": {"Item": {k: serialize(v) for k, v in record.items()}}} for record in records]
    return write_requests(client, table, puts, threads)


def delete_records(client: Any, table: str, image_ids: Sequence[str], threads: int = THREADS) -> None:
    deletes = [{"DeleteRequest": {"Key": {ImagesTable.KEY: {"S": image_id}}}} for image_id in image_ids]
    write_requests(client, table, deletes, threads)


def streamless_copy(description: dict[str, Any], name: str) -> dict[str, Any]:
    """A CreateTable request for a table named `name` with the keys and indexes of the table
    `description` (DescribeTable's `Table`) describes, on demand, without its stream."""
    indexes = [
        {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
        for index in description.get("GlobalSecondaryIndexes", [])
    ]
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": description["KeySchema"],
        "AttributeDefinitions": description["AttributeDefinitions"],
    }
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    return request


@dataclass
class Notices:
    """The notifications topic's notices for one owner, counted in a queue of our own."""

    sqs: Any
    queue_url: str

    def count(self) -> int:
        answer = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(answer["Attributes"]["ApproximateNumberOfMessages"])

    def wait(self, count: int, progress: Callable[[str], None], timeout: float = 90) -> None:
        """Until `count` have arrived (at most `timeout` s: measuring then goes ahead, and says so)."""
        try:
            wait_until(lambda: self.count() >= count, timeout=timeout, interval=0.5)
        except TimedOut:
            progress(
                f"api: notify announced {self.count()} of the {count} records within {timeout:g} s; measuring anyway"
            )


def seed_stack(
    target: AwsTarget,
    outputs: dict[str, Any],
    records: list[dict[str, Any]],
    cleanup: ExitStack,
    progress: Callable[[str], None],
) -> Notices:
    """Write `records` (one owner's) into the stack's images table, removed when `cleanup` closes.
    Each is an outcome notice for the notify function: the answer counts them as they are announced,
    so that the timing can start once notify's work is done."""
    owner = records[0][ImagesTable.OWNER]
    tap = cleanup.enter_context(
        SubscribedQueue(
            target,
            outputs["notifications_topic_arn"],
            {"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"owner": [owner]})},
            name="bench-api",
        )
    )
    dynamodb, table = target.client("dynamodb"), outputs["images_table"]
    cleanup.callback(delete_records, dynamodb, table, [record[ImagesTable.KEY] for record in records])
    seconds = put_records(dynamodb, table, records)
    progress(f"api: {len(records)} records in the stack's images table in {seconds:.2f} s")
    assert tap.queue_url is not None
    return Notices(tap.sqs, tap.queue_url)


def seed_copy(dynamodb: Any, source: str, name: str, records: list[dict[str, Any]], cleanup: ExitStack) -> float:
    """A stream-less copy of table `source` named `name`, holding `records` (deleted when `cleanup`
    closes); the seconds writing them took."""
    dynamodb.create_table(**streamless_copy(dynamodb.describe_table(TableName=source)["Table"], name))
    cleanup.callback(dynamodb.delete_table, TableName=name)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return put_records(dynamodb, name, records)
