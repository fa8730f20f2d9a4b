"""The pipeline, measured through the harness: upload-to-`processed` latency of sequential uploads,
throughput of a burst, publish-to-applied latency of commands on the events topic, and the floor
the emulator itself sets (S3 put → SNS → SQS, no Lambda), measured in the same run.

Latency is taken from the record's `processed_at` (written by the enhance function on this same
machine) minus the moment the upload started, so polling the table adds nothing to it; a command's
likewise from the record's `updated_at`.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from handlers.contract import PROCESSED, TERMINAL, Record
from handlers.pipeline.uploads import image_id_for
from handlers.stores.image_record import ImageRecord
from handlers.stores.image_store import ImageStore
from harness import commands
from harness.aws import AwsTarget
from harness.bench import BenchError
from harness.bench.stats import median, percentile
from harness.polling import wait_until
from harness.samples import photo_jpeg

PHOTO_SIZE = (1732, 1155)  # 2 MP


def _now() -> float:
    return time.time()


def epoch(timestamp: str) -> float:
    """A record's ISO 8601 timestamp as epoch seconds."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


class Uploader:
    """Uploads photos under `uploads/bench/` and waits for their records."""

    def __init__(self, target: AwsTarget, bucket: str, table: str) -> None:
        self.s3 = target.client("s3")
        self.bucket = bucket
        self.records = ImageStore(table, target.client("dynamodb"))

    def put(self, key: str, data: bytes, content_type: str = "image/jpeg") -> float:
        started = _now()
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        return started

    def outcome(self, key: str, since: float) -> ImageRecord | None:
        """The record of the upload of `key` started at `since` once it is in a terminal state
        (processed, rejected or failed); None while it is not, or is still an earlier upload's."""
        record = self.records.get(image_id_for(key))
        if record and epoch(record[Record.CREATED_AT]) >= since - 0.001 and record[Record.STATUS] in TERMINAL:
            return record
        return None

    def processed_at(self, key: str, since: float, timeout: float = 60.0) -> float:
        """When the record of the upload of `key` started at `since` reached `processed` (epoch s;
        written by the function, so how often the table is polled does not change it)."""
        record = wait_until(
            lambda: self.outcome(key, since),
            timeout=timeout,
            interval=0.05,
            error=lambda _: BenchError(f"{key} was not processed within {timeout:.0f} s"),
        )
        if record[Record.STATUS] != PROCESSED:
            raise BenchError(f"{key} ended {record[Record.STATUS]}: {record.get(Record.REASON)}")
        return epoch(record[Record.PROCESSED_AT])


def sequential(uploader: Uploader, photos: list[bytes]) -> list[float]:
    """Seconds from upload to processed, one upload at a time."""
    latencies = []
    for index, photo in enumerate(photos):
        key = f"uploads/bench/sequential-{index}.jpg"
        started = uploader.put(key, photo)
        latencies.append(uploader.processed_at(key, started) - started)
    return latencies


def burst(uploader: Uploader, photos: list[bytes]) -> float:
    """Seconds from the first upload of a burst to the last image processed."""
    keys = [f"uploads/bench/burst-{index}.jpg" for index in range(len(photos))]
    with ThreadPoolExecutor(8) as pool:
        starts = list(pool.map(uploader.put, keys, photos))
        finishes = list(pool.map(uploader.processed_at, keys, starts))
    return max(finishes) - min(starts)


@contextmanager
def floor_route(target: AwsTarget) -> Iterator[tuple[Any, str, str]]:
    """A throwaway bucket → topic → queue route like the pipeline's, without Lambda; removed after."""
    s3, sns, sqs = target.client("s3"), target.client("sns"), target.client("sqs")
    name = f"imagepipe-bench-floor-{secrets.token_hex(3)}"
    s3.create_bucket(Bucket=name)
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    try:
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
        s3.put_bucket_notification_configuration(
            Bucket=name,
            NotificationConfiguration={
                "TopicConfigurations": [
                    {
                        "TopicArn": topic,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                    }
                ]
            },
        )
        _drain(sqs, queue)  # the s3:TestEvent
        yield s3, name, queue
    finally:
        for key in [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]:
            s3.delete_object(Bucket=name, Key=key)
        s3.delete_bucket(Bucket=name)
        sns.delete_topic(TopicArn=topic)
        sqs.delete_queue(QueueUrl=queue)


def _drain(sqs: Any, queue: str) -> None:
    while sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages"):
        pass


def floor(target: AwsTarget, photo: bytes, samples: int) -> list[float]:
    """Seconds from an S3 put to its event arriving in an SQS queue through SNS."""
    sqs = target.client("sqs")
    latencies = []
    with floor_route(target) as (s3, bucket, queue):
        for index in range(samples):
            key = f"uploads/floor-{index}.jpg"
            started = _now()
            s3.put_object(Bucket=bucket, Key=key, Body=photo)
            while True:
                messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, MaxNumberOfMessages=1).get("Messages")
                if not messages:
                    raise BenchError("an S3 event did not reach the floor queue within 5 s")
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"])
                if key in json.dumps(json.loads(messages[0]["Body"])):
                    latencies.append(_now() - started)
                    break
    return latencies


def command_latencies(target: AwsTarget, topic_arn: str, table: str, key: str, count: int) -> list[float]:
    """Seconds from publishing a Caption command for `key` to the event topic to the record's
    change (its `updated_at`, written by the metadata function), for `count` commands in a row."""
    sns, records = target.client("sns"), ImageStore(table, target.client("dynamodb"))
    image_id, token = image_id_for(key), secrets.token_hex(4)
    latencies = []
    for number in range(count):
        caption = f"bench caption {token}-{number}"
        started = _now()
        commands.metadata(key, "Caption", caption).publish(sns, topic_arn)

        def applied(caption: str = caption) -> ImageRecord | None:
            record = records.get(image_id)
            return record if record and record.get(Record.CAPTION) == caption else None

        record = wait_until(applied, timeout=30, what=f"the caption of {key}", error=BenchError)
        latencies.append(epoch(record[Record.UPDATED_AT]) - started)
    return latencies


def run_pipeline(
    outputs: dict[str, Any], progress: Callable[[str], None], images: int = 20, burst_size: int = 20
) -> dict[str, Any]:
    """{"images", "p50_s", "p95_s", "per_min", "floor_ms", "command_p50_s", …} for the stack whose
    outputs are given."""
    target = AwsTarget(outputs["endpoint_url"], outputs["region"])
    uploader = Uploader(target, outputs["images_bucket"], outputs["images_table"])
    photos = [photo_jpeg(*PHOTO_SIZE, seed=seed) for seed in range(max(images, burst_size) + 1)]
    progress("pipeline: warming both functions with one upload")
    sequential(uploader, photos[:1])
    progress(f"pipeline: {images} sequential uploads of 2 MP JPEGs")
    latencies = sequential(uploader, photos[1 : images + 1])
    progress(f"pipeline: a burst of {burst_size} uploads at once")
    burst_seconds = burst(uploader, photos[:burst_size])
    progress(f"pipeline: {images} caption commands, one after another")
    edited = "uploads/bench/sequential-0.jpg"  # processed by the sequential run above
    edits = command_latencies(target, outputs["events_topic_arn"], outputs["images_table"], edited, images)
    progress("pipeline: the floor, S3 put → SNS → SQS without Lambda")
    floor_latencies = floor(target, photos[0], samples=max(10, images // 2))
    p50, floor_ms = median(latencies), median(floor_latencies) * 1000
    return {
        "images": images,
        "p50_s": round(p50, 3),
        "p95_s": round(percentile(latencies, 95), 3),
        "per_min": round(burst_size / burst_seconds * 60, 1),
        "floor_ms": round(floor_ms, 1),
        "burst": burst_size,
        "burst_s": round(burst_seconds, 2),
        "p50_over_floor": round(p50 * 1000 / floor_ms, 1),
        "command_p50_s": round(median(edits), 3),
        "command_p95_s": round(percentile(edits, 95), 3),
    }
