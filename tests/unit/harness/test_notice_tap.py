"""NoticeTap against moto: a queue subscribed with a filter policy for as long as the tap is open."""

from __future__ import annotations

import json

import boto3
import pytest

from harness.aws import AwsTarget
from harness.notice_tap import NoticeTap


@pytest.fixture
def topic(mocked_aws):
    return boto3.client("sns", region_name="us-east-1").create_topic(Name="notifications")["TopicArn"]


def _publish(topic: str, owner: str, status: str) -> None:
    boto3.client("sns", region_name="us-east-1").publish(
        TopicArn=topic,
        Message=json.dumps({"owner": owner, "status": status}),
        MessageAttributes={
            k: {"DataType": "String", "StringValue": v} for k, v in {"owner": owner, "status": status}.items()
        },
    )


def test_the_tap_sees_what_its_filter_admits_and_leaves_nothing_behind(topic):
    target = AwsTarget(None, "us-east-1")
    with NoticeTap(target, topic, {"owner": ["ann"]}) as tap:
        _publish(topic, "ann", "processed")
        _publish(topic, "bob", "processed")
        _publish(topic, "ann", "rejected")
        received = tap.received(wait_seconds=0)
    assert [(message["status"], attributes) for message, attributes in received] == [
        ("processed", {"owner": "ann", "status": "processed"}),
        ("rejected", {"owner": "ann", "status": "rejected"}),
    ]
    sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_reading_outside_the_with_block_is_refused(topic):
    with pytest.raises(RuntimeError, match="inside its `with` block"):
        NoticeTap(AwsTarget(None, "us-east-1"), topic, {}).received()


def test_sent_mail_is_none_where_the_endpoint_keeps_none():
    import socket

    from harness.notice_tap import sent_mail

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert sent_mail(f"http://127.0.0.1:{port}") is None
