"""`python -m harness redrive notify`: announce again the image-record changes the notify stage could not.

The notify function reads the images table's stream. When a batch of records still fails after its
retries, Lambda does not park the records: it sends the notify failures queue a description of them
(`DDBStreamBatchInfo`: the stream, the shard, the first and last sequence numbers, how many; and
`requestContext`: which function failed, how, how often). Sending that description to the function
would announce nothing, so redriving notify means: read those records again from the stream (it
keeps them 24 hours) and give them to the function as Lambda does (one synchronous invocation with
the batch, in Lambda's DynamoDB-stream event shape). A description is deleted only when that
invocation succeeded and reported no record failing. The function announces each change once (its
notices and mail posts are idempotent, for the hour its idempotency records last), so a record of the
batch announced within that hour is not announced twice.

A description whose records the stream no longer holds cannot be redriven: it is left parked, and
the result says so (the images concerned are those whose record changed then; their notices are
lost to the stream, the records themselves are intact in the images table).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.ops import queues
from harness.ops import redrive as queue_redrive
from harness.ops.redrive import Redriven, release
from harness.ops.stack import NOTIFY_FAILURES, Deployed

HOW = "records re-read from the stream and given to the function again"
HOLD_SECONDS = 300  # a description being redriven stays hidden this long (nothing else reads that queue)
MAX_PAGES = 50  # GetRecords pages read to reach a batch's last record (an open shard may answer empty pages)
GONE = {"TrimmedDataAccessException", "ExpiredIteratorException", "ResourceNotFoundException"}


class NotRedriven(Exception):
    """A description that stays parked; the message says why."""


@dataclass(frozen=True)
class StreamFailure:
    """Lambda's description of a batch of stream records that kept failing."""

    stream_arn: str
    shard_id: str
    first: str  # sequence numbers, both included
    last: str
    size: int
    function_arn: str | None

    @classmethod
    def parse(cls, body: str) -> StreamFailure:
        try:
            described = json.loads(body)
            info = described["DDBStreamBatchInfo"]
            return cls(
                stream_arn=str(info["streamArn"]),
                shard_id=str(info["shardId"]),
                first=str(info["startSequenceNumber"]),
                last=str(info["endSequenceNumber"]),
                size=int(info.get("batchSize", 0)),
                function_arn=(described.get("requestContext") or {}).get("functionArn"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise NotRedriven("not a description of failed stream records (no DDBStreamBatchInfo)") from None


def redrive_stream(deployed: Deployed, dry_run: bool = False) -> Redriven:
    """Re-announce the records each description in the notify failures queue names (on a dry run,
    count the descriptions only)."""
    sqs = deployed.clients("sqs")
    failures = queues.describe(sqs, deployed.output(NOTIFY_FAILURES))
    function = deployed.output("notify_function")
    if dry_run:
        return Redriven("notify", failures.name, function, failures.visible, 0, "dry run", dry_run=True)
    streams, functions = deployed.clients("dynamodbstreams"), deployed.clients("lambda")
    redriven, records, notes, left = 0, 0, [], []
    seen: set[str] = set()
    while batch := _receive(sqs, failures.url):
        fresh = [message for message in batch if message["MessageId"] not in seen]
        left += [message for message in batch if message["MessageId"] in seen]
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            try:
                failure = StreamFailure.parse(message["Body"])
                events = read_records(streams, failure)
                announce(functions, _function_of(failure, function), events)
            except NotRedriven as why:
                left.append(message)
                notes.append(f"left parked: message {message['MessageId']}: {why}")
                continue
            sqs.delete_message(QueueUrl=failures.url, ReceiptHandle=message["ReceiptHandle"])
            redriven += 1
            records += len(events)
    release(sqs, failures.url, left)
    notes.insert(0, f"{records} stream record(s) re-read and given to {function} again")
    return Redriven("notify", failures.name, function, failures.visible, redriven, HOW, notes=tuple(notes))


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=HOLD_SECONDS, WaitTimeSeconds=queue_redrive.WAIT_SECONDS
    )
    return list(answer.get("Messages", []))


def _function_of(failure: StreamFailure, function: str) -> str:
    """The function to give the records to: the stack's notify function, by the ARN the failure names
    when it is that function's (it keeps the alias Lambda invoked, e.g. `live`)."""
    arn = failure.function_arn or ""
    return arn if arn.split(":")[6:7] == [function] else function


def read_records(streams: Any, failure: StreamFailure) -> list[dict[str, Any]]:
    """The records of `failure` as Lambda gives them to a function (its DynamoDB-stream event records)."""
    last = _number(failure.last)
    found: list[dict[str, Any]] = []
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=failure.stream_arn,
            ShardId=failure.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=failure.first,
        )["ShardIterator"]
        for _ in range(MAX_PAGES):
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            for record in page.get("Records", []):
                number = _number(record["dynamodb"]["SequenceNumber"])
                if number > last:
                    return found
                found.append(stream_event(record, failure.stream_arn))
                if number == last:
                    return found
            iterator = page.get("NextShardIterator")
            if not iterator:
                break
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in GONE:
            raise NotRedriven(
                f"the stream no longer holds records {failure.first}-{failure.last} (it keeps them 24 hours); "
                "delete the message once the owners concerned are told"
            ) from None
        raise NotRedriven(f"reading the stream failed: {error}") from None
    if not found:
        raise NotRedriven(f"the stream holds none of records {failure.first}-{failure.last}")
    return found


def _number(sequence_number: str) -> int:
    return int(sequence_number) if sequence_number.isdigit() else 0


def stream_event(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record of GetRecords as it is in Lambda's event: with `eventSourceARN`, its creation time in
    epoch seconds, binary values in base64."""
    return {**_plain(record), "eventSourceARN": stream_arn}


def _plain(value: Any) -> Any:
    """`value` with what JSON cannot hold made what Lambda's event holds instead."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def announce(functions: Any, function: str, events: list[dict[str, Any]]) -> None:
    """Give the records to the function in one synchronous invocation, which must succeed for all."""
    try:
        answer = functions.invoke(
            FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps({"Records": events}).encode()
        )
    except (ClientError, BotoCoreError) as error:
        raise NotRedriven(f"invoking {function} failed: {error}") from None
    payload = answer["Payload"].read()
    if answer.get("FunctionError"):
        raise NotRedriven(f"{function} failed again: {payload[:300].decode('utf-8', 'replace')}")
    try:
        reported = json.loads(payload) if payload else None
    except ValueError:
        reported = None
    failed = reported.get("batchItemFailures") if isinstance(reported, dict) else None
    if failed:
        raise NotRedriven(f"{function} failed {len(failed)} of the {len(events)} records again")
