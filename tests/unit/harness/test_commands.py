"""Publishing commands as a publisher would, and reading back the ones parked as invalid (moto)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from harness import commands


@pytest.fixture
def sqs(mocked_aws: None) -> Any:
    return boto3.client("sqs")


def test_commands_have_the_shapes_publishers_send():
    assert commands.metadata("uploads/a/b.jpg", "Caption", "Dunes") == commands.Command(
        {"id": "uploads/a/b.jpg", "value": "Dunes"}, {"metadata_type": "Caption"}
    )
    assert commands.review("i1", "Reject", "blurred", "2026-12-01").body == {
        "id": "i1",
        "date": "2026-12-01",
        "update": {"status": "Reject", "reason": "blurred"},
    }
    assert commands.review("i1", "Pass").body == {"id": "i1", "update": {"status": "Pass"}}
    assert commands.verdict_status(commands.review("i1", "Pass")) == "passed"


def test_a_command_is_published_with_its_attributes(sqs):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="events")["TopicArn"]
    queue = sqs.create_queue(QueueName="tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    message_id = commands.metadata("i1", "Date", "2024-06-01").publish(sns, topic)
    (delivered,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    envelope = json.loads(delivered["Body"])
    assert envelope["MessageId"] == message_id
    assert json.loads(envelope["Message"]) == {"id": "i1", "value": "2024-06-01"}
    assert envelope["MessageAttributes"]["metadata_type"]["Value"] == "Date"


def test_parked_takes_only_the_rejections_of_the_given_commands(sqs):
    queue = sqs.create_queue(QueueName="rejections")["QueueUrl"]
    for message_id, reason in (("mine", "unknown metadata type"), ("theirs", "a rejection needs a reason")):
        body = {"kind": "metadata", "reason": reason, "message": {"MessageId": message_id}}
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))
    (mine,) = commands.parked(sqs, queue, {"mine"})
    assert mine["reason"] == "unknown metadata type"
    assert commands.parked(sqs, queue, {"mine"}) == []  # taken off the queue
    (theirs,) = commands.parked(sqs, queue, {"theirs"}, delete=False)  # the other one was put back
    assert theirs["reason"] == "a rejection needs a reason"
    assert len(commands.parked(sqs, queue, {"theirs"})) == 1  # kept, so still there
