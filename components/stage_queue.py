"""A stage's queue: an SQS queue with its dead-letter queue, optionally subscribed to the events topic
through a filter policy, so each stage receives only the messages meant for it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import resource_policy_for_source
from components.routes import Route

FOUR_DAYS = 4 * 24 * 3600
FOURTEEN_DAYS = 14 * 24 * 3600


@dataclass(frozen=True)
class Subscription:
    """Deliver the topic's messages that `route` admits to the queue, with the route's filter policy,
    scope and delivery (raw or in the SNS envelope); every route is in components/routes.py."""

    topic_arn: pulumi.Input[str]
    route: Route


@dataclass(frozen=True)
class StageQueueArgs:
    """The queue's name, how long a receiver may hold a message, and how often it may fail."""

    queue_name: str
    visibility_timeout_seconds: int
    max_receive_count: int
    subscription: Subscription | None = None


class StageQueue(pulumi.ComponentResource):
    """A queue whose messages move to `dead_letters` after `max_receive_count` failed receives."""

    queue: aws.sqs.Queue
    dead_letters: aws.sqs.Queue

    def __init__(self, name: str, args: StageQueueArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:queues:StageQueue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.dead_letters = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{args.queue_name}-dlq",
            message_retention_seconds=FOURTEEN_DAYS,
            opts=child,
        )
        self.queue = aws.sqs.Queue(
            name,
            name=args.queue_name,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
            message_retention_seconds=FOUR_DAYS,
            redrive_policy=self.dead_letters.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": args.max_receive_count})
            ),
            opts=child,
        )

        if args.subscription is not None:
            subscription = args.subscription
            allow_topic = aws.sqs.QueuePolicy(
                f"{name}-from-topic",
                queue_url=self.queue.url,
                policy=pulumi.Output.all(self.queue.arn, subscription.topic_arn).apply(
                    lambda arns: resource_policy_for_source(
                        "AllowEventsTopic", "sns.amazonaws.com", "sqs:SendMessage", arns[0], arns[1]
                    )
                ),
                opts=child,
            )
            aws.sns.TopicSubscription(
                f"{name}-subscription",
                topic=subscription.topic_arn,
                protocol="sqs",
                endpoint=self.queue.arn,
                raw_message_delivery=subscription.route.raw_message_delivery,
                filter_policy=subscription.route.policy_json(),
                filter_policy_scope=subscription.route.scope,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[allow_topic]),
            )

        self.register_outputs(
            {"queue_url": self.queue.url, "queue_arn": self.queue.arn, "dead_letters_arn": self.dead_letters.arn}
        )
