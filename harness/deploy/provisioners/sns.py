"""SNS: topics, their access policies, and subscriptions with filter policies."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from harness.deploy.inputs import Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord


@dataclass(frozen=True)
class TopicSpec:
    """A (standard) topic: its name."""

    name: str


class Topic(Provisioner[TopicSpec]):
    type_token = "aws:sns/topic:Topic"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> TopicSpec:
        topic = physical_name(inputs, name, previous, max_length=256)
        inputs.ignore("fifoTopic", False)
        return TopicSpec(topic)

    def apply(self, ctx: Context, spec: TopicSpec, previous: ResourceRecord | None) -> Applied:
        arn = ctx.client("sns").create_topic(Name=spec.name)["TopicArn"]
        if previous is not None and previous.id != arn:
            self.delete(ctx, previous)
        return Applied(arn, {"name": spec.name, "arn": arn})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("sns").delete_topic(TopicArn=record.id)


@dataclass(frozen=True)
class TopicPolicySpec:
    """A topic's access policy (a JSON document), and the topic's ARN."""

    arn: str
    policy: str


class TopicPolicy(Provisioner[TopicPolicySpec]):
    type_token = "aws:sns/topicPolicy:TopicPolicy"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> TopicPolicySpec:
        return TopicPolicySpec(inputs.take("arn"), inputs.take("policy"))

    def apply(self, ctx: Context, spec: TopicPolicySpec, previous: ResourceRecord | None) -> Applied:
        arn, policy = spec.arn, spec.policy
        if previous is not None and previous.id != arn:
            self.delete(ctx, previous)  # the policy moves to another topic
        ctx.client("sns").set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
        return Applied(arn, {"arn": arn, "policy": policy})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        """Give the topic back the policy SNS gives a new topic (as the AWS provider does)."""
        sns = ctx.client("sns")
        with contextlib.suppress(sns.exceptions.NotFoundException):  # gone with its topic (a replaced one)
            sns.set_topic_attributes(
                TopicArn=record.id, AttributeName="Policy", AttributeValue=json.dumps(_default_policy(ctx, record.id))
            )


@dataclass(frozen=True)
class SubscriptionSpec:
    """A subscription: the topic, protocol and endpoint it is, and its attributes by SNS's names
    (an empty value: not set)."""

    topic: str
    protocol: str
    endpoint: str
    attributes: dict[str, str]


class TopicSubscription(Provisioner[SubscriptionSpec]):
    type_token = "aws:sns/topicSubscription:TopicSubscription"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> SubscriptionSpec:
        topic = inputs.take("topic")
        protocol = inputs.take("protocol")
        endpoint = inputs.take("endpoint")
        attributes = {
            "RawMessageDelivery": "true" if inputs.take("rawMessageDelivery", False) else "false",
            # the scope first: a filter policy is checked against the scope the subscription has
            "FilterPolicyScope": inputs.take("filterPolicyScope", "MessageAttributes"),
            "FilterPolicy": inputs.take("filterPolicy", ""),
            "RedrivePolicy": inputs.take("redrivePolicy", ""),
        }
        return SubscriptionSpec(topic, protocol, endpoint, attributes)

    def apply(self, ctx: Context, spec: SubscriptionSpec, previous: ResourceRecord | None) -> Applied:
        topic, protocol, endpoint, attributes = spec.topic, spec.protocol, spec.endpoint, spec.attributes
        sns = ctx.client("sns")
        if previous is not None and (
            previous.outputs["topic"],
            previous.outputs["protocol"],
            previous.outputs["endpoint"],
        ) != (topic, protocol, endpoint):
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            arn = sns.subscribe(
                TopicArn=topic,
                Protocol=protocol,
                Endpoint=endpoint,
                Attributes={k: v for k, v in attributes.items() if v},
                ReturnSubscriptionArn=True,
            )["SubscriptionArn"]
        else:
            arn = previous.id
            for key, value in attributes.items():
                if value or key in ("FilterPolicy", "RedrivePolicy"):
                    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=key, AttributeValue=value)
        return Applied(arn, {"arn": arn, "topic": topic, "protocol": protocol, "endpoint": endpoint})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("sns").unsubscribe(SubscriptionArn=record.id)


def _default_policy(ctx: Context, topic_arn: str) -> dict[str, Any]:
    actions = ["GetTopicAttributes", "SetTopicAttributes", "AddPermission", "RemovePermission", "DeleteTopic"]
    actions += ["Subscribe", "ListSubscriptionsByTopic", "Publish"]
    statement = {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": [f"SNS:{action}" for action in actions],
        "Resource": topic_arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": ctx.account}},
    }
    return {"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [statement]}
