"""SNS topics, topic policies and subscriptions, provisioned into moto and read back."""

from __future__ import annotations

import json

import pytest

from harness.deploy.inputs import UnsupportedInput
from harness.deploy.provisioners import sns, sqs

TOPIC = sns.Topic.type_token
TOPIC_POLICY = sns.TopicPolicy.type_token
SUBSCRIPTION = sns.TopicSubscription.type_token
QUEUE = sqs.Queue.type_token


def _topic_arns(moto) -> set[str]:
    pages = moto.client("sns").get_paginator("list_topics").paginate()
    return {topic["TopicArn"] for page in pages for topic in page["Topics"]}


def _policy_sids(moto, topic_arn: str) -> list[str]:
    attributes = moto.client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    return [statement["Sid"] for statement in json.loads(attributes["Policy"])["Statement"]]


def _publish_from_s3(topic_arn: str, sid: str) -> str:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sns:Publish"}
    return json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Resource": topic_arn}]})


def _subscription_attributes(moto, arn: str) -> dict[str, str]:
    return moto.client("sns").get_subscription_attributes(SubscriptionArn=arn)["Attributes"]


def _subscription_arns(moto, topic_arn: str) -> list[str]:
    subscriptions = moto.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    return [subscription["SubscriptionArn"] for subscription in subscriptions]


def test_a_topic_is_created_kept_on_a_redeploy_replaced_when_renamed_and_deleted(moto, provisioned, unique):
    # A topic's only updatable input here is its name, which replaces it; the same inputs keep it.
    name = unique("events")
    topic = provisioned.apply(TOPIC, "events", {"name": name})
    assert topic.id == topic.outputs["arn"] == f"arn:aws:sns:us-east-1:123456789012:{name}"
    assert topic.id in _topic_arns(moto)
    assert provisioned.apply(TOPIC, "events", {"name": name}).id == topic.id

    renamed = provisioned.apply(TOPIC, "events", {"name": unique("renamed")})
    assert renamed.id in _topic_arns(moto)
    assert topic.id not in _topic_arns(moto)

    provisioned.delete(TOPIC, "events")
    assert renamed.id not in _topic_arns(moto)


@pytest.mark.parametrize(
    ("extra", "named"),
    [({"tags": {"team": "photos"}}, "'tags'"), ({"fifoTopic": True}, "'fifoTopic' = True")],
)
def test_a_topic_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, extra, named):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=rf"^aws:sns/topic:Topic 'strict': .*{named}"):
        provisioned.apply(TOPIC, "strict", {"name": name, **extra})
    assert f"arn:aws:sns:us-east-1:123456789012:{name}" not in _topic_arns(moto)


def test_a_topic_policy_is_set_updated_and_removed_back_to_the_default(moto, provisioned, unique):
    topic = provisioned.apply(TOPIC, "events", {"name": unique("events")})
    default = _policy_sids(moto, topic.id)

    provisioned.apply(TOPIC_POLICY, "policy", {"arn": topic.id, "policy": _publish_from_s3(topic.id, "v1")})
    assert _policy_sids(moto, topic.id) == ["v1"]
    policy = provisioned.apply(TOPIC_POLICY, "policy", {"arn": topic.id, "policy": _publish_from_s3(topic.id, "v2")})
    assert policy.id == topic.id
    assert _policy_sids(moto, topic.id) == ["v2"]

    provisioned.delete(TOPIC_POLICY, "policy")
    assert _policy_sids(moto, topic.id) == default == ["__default_statement_ID"]


def test_a_topic_policy_moved_to_another_topic_leaves_the_first_as_it_was(moto, provisioned, unique):
    first = provisioned.apply(TOPIC, "first", {"name": unique("first")})
    second = provisioned.apply(TOPIC, "second", {"name": unique("second")})
    provisioned.apply(TOPIC_POLICY, "policy", {"arn": first.id, "policy": _publish_from_s3(first.id, "v1")})

    provisioned.apply(TOPIC_POLICY, "policy", {"arn": second.id, "policy": _publish_from_s3(second.id, "v1")})
    assert _policy_sids(moto, second.id) == ["v1"]
    assert _policy_sids(moto, first.id) == ["__default_statement_ID"]


def test_a_topic_policy_follows_its_topic_when_the_topic_is_replaced(moto, provisioned, unique):
    topic = provisioned.apply(TOPIC, "events", {"name": unique("before")})
    provisioned.apply(TOPIC_POLICY, "policy", {"arn": topic.id, "policy": _publish_from_s3(topic.id, "v1")})
    renamed = provisioned.apply(TOPIC, "events", {"name": unique("after")})  # the old topic is gone

    provisioned.apply(TOPIC_POLICY, "policy", {"arn": renamed.id, "policy": _publish_from_s3(renamed.id, "v1")})
    assert _policy_sids(moto, renamed.id) == ["v1"]


def test_a_topic_policy_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique):
    topic = provisioned.apply(TOPIC, "events", {"name": unique("events")})
    inputs = {"arn": topic.id, "policy": _publish_from_s3(topic.id, "strict"), "owner": "someone"}
    with pytest.raises(UnsupportedInput, match=r"^aws:sns/topicPolicy:TopicPolicy 'policy': .*'owner'"):
        provisioned.apply(TOPIC_POLICY, "policy", inputs)
    assert _policy_sids(moto, topic.id) == ["__default_statement_ID"]


@pytest.fixture
def topic_and_queues(provisioned, unique):
    """A topic, two queues and a dead-letter queue to subscribe with."""
    topic = provisioned.apply(TOPIC, "events", {"name": unique("events")})
    queues = [provisioned.apply(QUEUE, name, {"name": unique(name)}) for name in ("first", "second", "dead")]
    return topic, *queues


def test_a_subscription_is_created_with_its_filter_raw_delivery_and_redrive(moto, provisioned, topic_and_queues):
    topic, queue, _, dead = topic_and_queues
    subscription = provisioned.apply(
        SUBSCRIPTION,
        "ingest",
        {
            "topic": topic.id,
            "protocol": "sqs",
            "endpoint": queue.outputs["arn"],
            "rawMessageDelivery": True,
            "filterPolicy": json.dumps({"kind": ["upload"]}),
            "redrivePolicy": json.dumps({"deadLetterTargetArn": dead.outputs["arn"]}),
        },
    )
    assert _subscription_arns(moto, topic.id) == [subscription.id]
    attributes = _subscription_attributes(moto, subscription.id)
    assert (attributes["Endpoint"], attributes["RawMessageDelivery"]) == (queue.outputs["arn"], "true")
    assert json.loads(attributes["FilterPolicy"]) == {"kind": ["upload"]}
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dead.outputs["arn"]}


def test_a_subscription_is_updated_in_place_and_loses_what_is_dropped(moto, provisioned, topic_and_queues):
    topic, queue, _, dead = topic_and_queues
    wiring = {"topic": topic.id, "protocol": "sqs", "endpoint": queue.outputs["arn"]}
    first = provisioned.apply(
        SUBSCRIPTION,
        "ingest",
        {
            **wiring,
            "filterPolicy": json.dumps({"kind": ["upload"]}),
            "redrivePolicy": json.dumps({"deadLetterTargetArn": dead.outputs["arn"]}),
        },
    )

    body_filter = {"update": {"status": ["Pass", "Reject"]}}
    scoped = {**wiring, "rawMessageDelivery": True, "filterPolicy": json.dumps(body_filter)}
    second = provisioned.apply(SUBSCRIPTION, "ingest", {**scoped, "filterPolicyScope": "MessageBody"})
    assert second.id == first.id
    attributes = _subscription_attributes(moto, first.id)
    assert (json.loads(attributes["FilterPolicy"]), attributes["FilterPolicyScope"]) == (body_filter, "MessageBody")
    assert attributes["RawMessageDelivery"] == "true"
    assert not attributes.get("RedrivePolicy")

    provisioned.apply(SUBSCRIPTION, "ingest", wiring)
    attributes = _subscription_attributes(moto, first.id)
    assert not attributes.get("FilterPolicy")
    assert attributes["RawMessageDelivery"] == "false"


def test_a_subscription_to_another_endpoint_replaces_the_old_one(moto, provisioned, topic_and_queues):
    topic, first_queue, second_queue, _ = topic_and_queues
    old = provisioned.apply(
        SUBSCRIPTION, "s", {"topic": topic.id, "protocol": "sqs", "endpoint": first_queue.outputs["arn"]}
    )
    new = provisioned.apply(
        SUBSCRIPTION, "s", {"topic": topic.id, "protocol": "sqs", "endpoint": second_queue.outputs["arn"]}
    )
    assert new.id != old.id
    assert _subscription_arns(moto, topic.id) == [new.id]
    assert _subscription_attributes(moto, new.id)["Endpoint"] == second_queue.outputs["arn"]

    provisioned.delete(SUBSCRIPTION, "s")
    assert _subscription_arns(moto, topic.id) == []


def test_a_subscription_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, topic_and_queues):
    topic, queue, _, _ = topic_and_queues
    inputs = {"topic": topic.id, "protocol": "sqs", "endpoint": queue.outputs["arn"], "deliveryPolicy": "{}"}
    with pytest.raises(UnsupportedInput, match=r"^aws:sns/topicSubscription:TopicSubscription 's': .*'deliveryPolicy'"):
        provisioned.apply(SUBSCRIPTION, "s", inputs)
    assert _subscription_arns(moto, topic.id) == []
