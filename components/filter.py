"""The event filter: S3 upload events go to the `events` SNS topic, whose subscriptions route each
message by filter policy to the stage that handles it (every route is in components/routes.py).

S3 notifications carry no message attributes, so routes on them match the message body
(`FilterPolicyScope: MessageBody`); the `s3:TestEvent` S3 sends when notifications are configured
has no `Records` and matches no route.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import resource_policy_for_source
from handlers.contract import UPLOAD_PREFIX


@dataclass(frozen=True)
class EventFilterArgs:
    """The topic's name and the bucket whose uploads it announces."""

    topic_name: str
    bucket_id: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    prefix: str = UPLOAD_PREFIX


class EventFilter(pulumi.ComponentResource):
    """The `events` topic, the policy letting the bucket publish to it, and the bucket notification."""

    topic: aws.sns.Topic

    def __init__(self, name: str, args: EventFilterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:filter:EventFilter", name, None, opts)

        self.topic = aws.sns.Topic(f"{name}-events", name=args.topic_name, opts=pulumi.ResourceOptions(parent=self))
        allow_bucket = aws.sns.TopicPolicy(
            f"{name}-events-from-bucket",
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, args.bucket_arn).apply(
                lambda arns: resource_policy_for_source(
                    "AllowImagesBucket",
                    "s3.amazonaws.com",
                    "sns:Publish",
                    arns[0],
                    arns[1],
                    match="ArnLike",
                    source_account=arns[0].split(":")[4],  # the topic's, and so the bucket's, account
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketNotification(
            f"{name}-uploads",
            bucket=args.bucket_id,
            topics=[
                aws.s3.BucketNotificationTopicArgs(
                    topic_arn=self.topic.arn,
                    events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    filter_prefix=args.prefix,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[allow_bucket]),
        )

        self.topic_arn = self.topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})
