"""`redrive notify`: a description of failed stream records (what Lambda parks for a stream) is redriven
by reading those records again from the stream and giving them to the function in Lambda's event
shape; it stays parked, with the reason, when they cannot be read or the function fails again."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.ops.redrive import format_redriven, redrive
from harness.ops.stack import Deployed
from harness.ops.stream_redrive import NotRedriven, StreamFailure
from tests.unit.harness.ops.conftest import counts


class Functions:
    """Lambda's Invoke, answering what a test says, and keeping each invocation's event."""

    def __init__(self, answer: dict[str, Any] | None = None, error: str | None = None) -> None:
        self.answer, self.error, self.invoked = answer or {"batchItemFailures": []}, error, []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803
        assert InvocationType == "RequestResponse"
        self.invoked.append((FunctionName, json.loads(Payload)))
        if self.error:
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(self.error.encode())}
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.answer).encode())}


STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/imagepipe-t-images/stream/2026-12-05T19:00:00.000"
SHARD = "shardId-00000001-0001"
CREATED = datetime(2026, 12, 5, 19, 59, tzinfo=UTC)


def change(number: int, name: str, keys: dict[str, Any], new: dict[str, Any], old: dict[str, Any] | None = None):
    """A record as boto3 parses GetRecords' answer (its time a datetime, binary values bytes)."""
    record: dict[str, Any] = {"Keys": keys, "NewImage": new, "SequenceNumber": f"{number:021d}", "SizeBytes": 40}
    return {
        "eventID": f"e{number}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {**record, **({"OldImage": old} if old else {}), "ApproximateCreationDateTime": CREATED},
    }


class Stream:
    """DynamoDB Streams' GetShardIterator and GetRecords over one shard, two records a page. (moto's
    in-process DynamoDB Streams answers "Not yet implemented" to this botocore, which signs its calls
    as DynamoDB's.)"""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str, SequenceNumber: str):  # noqa: N803
        assert (StreamArn, ShardId, ShardIteratorType) == (STREAM, SHARD, "AT_SEQUENCE_NUMBER")
        numbers = [r["dynamodb"]["SequenceNumber"] for r in self.records]
        return {"ShardIterator": str(numbers.index(SequenceNumber))}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:  # noqa: N803
        at = int(ShardIterator)
        return {"Records": self.records[at : at + 2], "NextShardIterator": str(at + 2)}


@pytest.fixture
def table() -> dict[str, Any]:
    """Four changes of the images table in its stream: the stream reader, their sequence numbers."""
    pending = {"image_id": {"S": "a"}, "status": {"S": "pending"}}
    records = [
        change(101, "INSERT", {"image_id": {"S": "a"}}, pending),
        change(
            102,
            "MODIFY",
            {"image_id": {"S": "a"}},
            {**pending, "status": {"S": "processed"}, "h": {"B": b"\x01"}},
            pending,
        ),
        change(103, "INSERT", {"image_id": {"S": "b"}}, {"image_id": {"S": "b"}, "status": {"S": "pending"}}),
        change(104, "INSERT", {"image_id": {"S": "c"}}, {"image_id": {"S": "c"}, "status": {"S": "pending"}}),
    ]
    return {
        "arn": STREAM,
        "shard": SHARD,
        "numbers": [r["dynamodb"]["SequenceNumber"] for r in records],
        "streams": Stream(records),
    }


def describe_failure(deployed: Deployed, table: dict[str, Any], first: int, last: int) -> None:
    """What Lambda sends the failures queue for records `first`..`last` (indexes into the stream)."""
    body = {
        "requestContext": {
            "requestId": "r-1",
            "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{deployed.outputs['notify_function']}",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 4,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-12-05T20:00:00.000Z",
        "DDBStreamBatchInfo": {
            "shardId": table["shard"],
            "startSequenceNumber": table["numbers"][first],
            "endSequenceNumber": table["numbers"][last],
            "approximateArrivalOfFirstRecord": "2026-12-05T19:59:00Z",
            "approximateArrivalOfLastRecord": "2026-12-05T19:59:00Z",
            "batchSize": last - first + 1,
            "streamArn": table["arn"],
        },
    }
    deployed.clients("sqs").send_message(QueueUrl=deployed.outputs["notify_failures_url"], MessageBody=json.dumps(body))


def with_functions(deployed: Deployed, functions: Any, streams: Any) -> Deployed:
    def clients(service: str) -> Any:
        if service == "lambda":
            return functions
        if service == "dynamodbstreams":
            return streams
        return deployed.clients(service)

    return Deployed(deployed.outputs, clients)


def test_the_failed_records_are_read_again_and_given_to_the_function_as_lambda_does(deployed, table):
    describe_failure(deployed, table, 0, 2)  # on two pages of GetRecords, the last followed by another
    functions = Functions()
    done = redrive(with_functions(deployed, functions, table["streams"]), "notify")

    assert (done.parked, done.moved) == (1, 1)
    notify = deployed.outputs["notify_function"]
    assert done.notes == (f"3 stream record(s) re-read and given to {notify} again",)
    ((function, event),) = functions.invoked
    assert function == f"arn:aws:lambda:us-east-1:123456789012:function:{notify}"
    inserted, modified, other = event["Records"]
    assert [r["dynamodb"]["SequenceNumber"] for r in event["Records"]] == table["numbers"][:3]
    assert inserted["eventName"] == "INSERT" and "OldImage" not in inserted["dynamodb"]
    assert modified["eventName"] == "MODIFY" and modified["eventSourceARN"] == table["arn"]
    assert modified["dynamodb"]["OldImage"]["status"] == {"S": "pending"}
    assert modified["dynamodb"]["NewImage"]["h"] == {"B": "AQ=="}  # binary in base64, as in Lambda's event
    assert modified["dynamodb"]["ApproximateCreationDateTime"] == CREATED.timestamp()
    assert other["dynamodb"]["Keys"] == {"image_id": {"S": "b"}}
    assert counts(deployed.clients("sqs"), deployed.outputs["notify_failures_url"]) == (0, 0)
    assert format_redriven(done).startswith("notify: redrove 1 of 1 description(s) of failed stream records in ")


def test_a_function_failing_again_leaves_the_description_parked_and_visible(deployed, table):
    describe_failure(deployed, table, 0, 0)
    done = redrive(
        with_functions(deployed, Functions(error='{"errorMessage": "SNS is down"}'), table["streams"]), "notify"
    )
    assert done.moved == 0
    assert 'failed again: {"errorMessage": "SNS is down"}' in done.notes[1]
    assert counts(deployed.clients("sqs"), deployed.outputs["notify_failures_url"]) == (1, 0)


def test_records_failing_again_leave_the_description_parked(deployed, table):
    describe_failure(deployed, table, 0, 2)
    functions = Functions({"batchItemFailures": [{"itemIdentifier": table["numbers"][2]}]})
    done = redrive(with_functions(deployed, functions, table["streams"]), "notify")
    assert done.moved == 0 and "failed 1 of the 3 records again" in done.notes[1]
    assert counts(deployed.clients("sqs"), deployed.outputs["notify_failures_url"]) == (1, 0)


def test_records_the_stream_no_longer_holds_leave_the_description_parked_with_the_reason(deployed, table):
    class Trimmed:
        def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "TrimmedDataAccessException", "Message": "gone"}}, "GetShardIterator")

    describe_failure(deployed, table, 0, 1)
    functions = Functions()
    done = redrive(with_functions(deployed, functions, Trimmed()), "notify")
    assert done.moved == 0 and functions.invoked == []
    assert "the stream no longer holds records" in done.notes[1] and "24 hours" in done.notes[1]
    assert counts(deployed.clients("sqs"), deployed.outputs["notify_failures_url"]) == (1, 0)


def test_a_message_that_describes_no_stream_records_is_left_as_it_is(deployed, table):
    deployed.clients("sqs").send_message(QueueUrl=deployed.outputs["notify_failures_url"], MessageBody="hello")
    describe_failure(deployed, table, 0, 0)
    done = redrive(with_functions(deployed, Functions(), table["streams"]), "notify")
    assert done.moved == 1
    assert any("not a description of failed stream records" in note for note in done.notes)
    sqs = deployed.clients("sqs")
    (left,) = sqs.receive_message(QueueUrl=deployed.outputs["notify_failures_url"])["Messages"]
    assert left["Body"] == "hello"


def test_a_dry_run_counts_the_descriptions_and_reads_nothing(deployed, table):
    describe_failure(deployed, table, 0, 0)
    describe_failure(deployed, table, 0, 2)  # on two pages of GetRecords, the last followed by another
    functions = Functions()
    done = redrive(with_functions(deployed, functions, table["streams"]), "notify", dry_run=True)
    assert (done.dry_run, done.parked, done.moved, functions.invoked) == (True, 2, 0, [])
    assert counts(deployed.clients("sqs"), deployed.outputs["notify_failures_url"]) == (2, 0)
    assert "(dry run: nothing done)" in format_redriven(done)


def test_a_failure_description_is_parsed_from_lambdas_record():
    body = {
        "DDBStreamBatchInfo": {
            "shardId": "s",
            "startSequenceNumber": "1",
            "endSequenceNumber": "4",
            "batchSize": 4,
            "streamArn": "arn:s",
        }
    }
    assert StreamFailure.parse(json.dumps(body)) == StreamFailure("arn:s", "s", "1", "4", 4, None)
    with pytest.raises(NotRedriven):
        StreamFailure.parse('{"requestContext": {}}')
