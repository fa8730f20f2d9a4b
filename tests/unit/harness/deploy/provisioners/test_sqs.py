"""SQS queues and queue policies, provisioned into moto and read back."""

from __future__ import annotations

import json

import pytest

from harness.deploy.inputs import UnsupportedInput
from harness.deploy.provisioners import sqs

QUEUE = sqs.Queue.type_token
QUEUE_POLICY = sqs.QueuePolicy.type_token


def _attributes(moto, url: str) -> dict[str, str]:
    return moto.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def _queue_names(moto, prefix: str) -> list[str]:
    return [
        url.rsplit("/", 1)[-1] for url in moto.client("sqs").list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    ]


def _allow_sns(queue_arn: str, sid: str) -> str:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}}
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{**statement, "Action": "sqs:SendMessage", "Resource": queue_arn}]}
    )


def test_a_queue_is_created_with_its_attributes_and_redrive(moto, provisioned, unique):
    dead = provisioned.apply(QUEUE, "dead", {"name": unique("dlq")})
    name = unique("work")
    queue = provisioned.apply(
        QUEUE,
        "work",
        {
            "name": name,
            "visibilityTimeoutSeconds": 90,
            "messageRetentionSeconds": 3600,
            "delaySeconds": 2,
            "maxMessageSize": 2048,
            "receiveWaitTimeSeconds": 5,
            "redrivePolicy": json.dumps({"deadLetterTargetArn": dead.outputs["arn"], "maxReceiveCount": 3}),
        },
    )

    assert queue.id == moto.client("sqs").get_queue_url(QueueName=name)["QueueUrl"] == queue.outputs["url"]
    attributes = _attributes(moto, queue.id)
    assert queue.outputs["arn"] == attributes["QueueArn"]
    assert {k: attributes[k] for k in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")} == {
        "VisibilityTimeout": "90",
        "MessageRetentionPeriod": "3600",
        "DelaySeconds": "2",
    }
    assert (attributes["MaximumMessageSize"], attributes["ReceiveMessageWaitTimeSeconds"]) == ("2048", "5")
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dead.outputs["arn"], "maxReceiveCount": 3}


def test_a_queue_is_updated_in_place_keeping_its_url_and_messages(moto, provisioned, unique):
    dead = provisioned.apply(QUEUE, "dead", {"name": unique("dlq")})
    name = unique("work")
    redrive = json.dumps({"deadLetterTargetArn": dead.outputs["arn"], "maxReceiveCount": 3})
    first = provisioned.apply(QUEUE, "work", {"name": name, "visibilityTimeoutSeconds": 30})
    moto.client("sqs").send_message(QueueUrl=first.id, MessageBody="kept")

    second = provisioned.apply(QUEUE, "work", {"name": name, "visibilityTimeoutSeconds": 90, "redrivePolicy": redrive})
    assert second.id == first.id
    attributes = _attributes(moto, first.id)
    assert attributes["VisibilityTimeout"] == "90"
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 3
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_attributes_dropped_from_the_program_go_back_to_their_defaults(moto, provisioned, unique):
    dead = provisioned.apply(QUEUE, "dead", {"name": unique("dlq")})
    name = unique("work")
    redrive = json.dumps({"deadLetterTargetArn": dead.outputs["arn"], "maxReceiveCount": 3})
    declared = {
        "visibilityTimeoutSeconds": 90,
        "delaySeconds": 5,
        "receiveWaitTimeSeconds": 10,
        "redrivePolicy": redrive,
    }
    queue = provisioned.apply(QUEUE, "work", {"name": name, **declared})

    provisioned.apply(QUEUE, "work", {"name": name})
    attributes = _attributes(moto, queue.id)
    assert "RedrivePolicy" not in attributes
    assert (
        attributes["VisibilityTimeout"],
        attributes["DelaySeconds"],
        attributes["ReceiveMessageWaitTimeSeconds"],
    ) == (
        "30",
        "0",
        "0",
    )


def test_a_renamed_queue_replaces_the_old_one(moto, provisioned, unique):
    old_name, new_name = unique("before"), unique("after")
    old = provisioned.apply(QUEUE, "work", {"name": old_name})
    new = provisioned.apply(QUEUE, "work", {"name": new_name})
    assert new.id != old.id
    assert _queue_names(moto, new_name) == [new_name]
    assert _queue_names(moto, old_name) == []


def test_a_deleted_queue_is_gone(moto, provisioned, unique):
    name = unique("gone")
    provisioned.apply(QUEUE, "work", {"name": name})
    provisioned.delete(QUEUE, "work")
    assert _queue_names(moto, name) == []


def test_a_queue_without_a_name_gets_one_from_its_logical_name(moto, provisioned):
    queue = provisioned.apply(QUEUE, "autonamed", {})
    assert queue.outputs["name"].startswith("autonamed-")
    assert _queue_names(moto, queue.outputs["name"]) == [queue.outputs["name"]]


@pytest.mark.parametrize(
    ("extra", "named"),
    [({"tags": {"team": "photos"}}, "'tags'"), ({"fifoQueue": True}, "'fifoQueue' = True")],
)
def test_a_queue_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, extra, named):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=rf"^aws:sqs/queue:Queue 'strict': .*{named}"):
        provisioned.apply(QUEUE, "strict", {"name": name, **extra})
    assert _queue_names(moto, name) == []


def test_a_queue_policy_is_set_updated_moved_and_removed(moto, provisioned, unique):
    first = provisioned.apply(QUEUE, "first", {"name": unique("first")})
    second = provisioned.apply(QUEUE, "second", {"name": unique("second")})

    provisioned.apply(QUEUE_POLICY, "policy", {"queueUrl": first.id, "policy": _allow_sns(first.outputs["arn"], "v1")})
    assert json.loads(_attributes(moto, first.id)["Policy"])["Statement"][0]["Sid"] == "v1"

    policy = provisioned.apply(
        QUEUE_POLICY, "policy", {"queueUrl": first.id, "policy": _allow_sns(first.outputs["arn"], "v2")}
    )
    assert policy.id == first.id
    assert json.loads(_attributes(moto, first.id)["Policy"])["Statement"][0]["Sid"] == "v2"

    provisioned.apply(
        QUEUE_POLICY, "policy", {"queueUrl": second.id, "policy": _allow_sns(second.outputs["arn"], "v3")}
    )
    assert json.loads(_attributes(moto, second.id)["Policy"])["Statement"][0]["Sid"] == "v3"
    assert "Policy" not in _attributes(moto, first.id)  # the queue it left keeps nothing of it

    provisioned.delete(QUEUE_POLICY, "policy")
    assert "Policy" not in _attributes(moto, second.id)


def test_a_queue_policy_follows_its_queue_when_the_queue_is_replaced(moto, provisioned, unique):
    queue = provisioned.apply(QUEUE, "work", {"name": unique("before")})
    provisioned.apply(QUEUE_POLICY, "policy", {"queueUrl": queue.id, "policy": _allow_sns(queue.outputs["arn"], "v1")})
    renamed = provisioned.apply(QUEUE, "work", {"name": unique("after")})  # the old queue, policy and all, is gone

    provisioned.apply(
        QUEUE_POLICY, "policy", {"queueUrl": renamed.id, "policy": _allow_sns(renamed.outputs["arn"], "v1")}
    )
    assert json.loads(_attributes(moto, renamed.id)["Policy"])["Statement"][0]["Resource"] == renamed.outputs["arn"]


def test_a_queue_policy_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique):
    queue = provisioned.apply(QUEUE, "target", {"name": unique("target")})
    inputs = {"queueUrl": queue.id, "policy": _allow_sns(queue.outputs["arn"], "strict"), "tags": {"a": "b"}}
    with pytest.raises(UnsupportedInput, match=r"^aws:sqs/queuePolicy:QueuePolicy 'policy': .*'tags'"):
        provisioned.apply(QUEUE_POLICY, "policy", inputs)
    assert "Policy" not in _attributes(moto, queue.id)
