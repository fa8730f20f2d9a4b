"""S3: the bucket, its public-access block, its policy, its event notifications and its CORS rules."""

from __future__ import annotations

import contextlib
from typing import Any

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord


class Bucket(Provisioner):
    type_token = "aws:s3/bucket:Bucket"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        bucket = physical_name(inputs, name, previous, key="bucket", max_length=63, lowercase=True)
        force_destroy = inputs.take("forceDestroy", False)
        inputs.check_all_taken()
        s3 = ctx.client("s3")
        if previous is not None and previous.id != bucket:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            params: dict[str, Any] = {"Bucket": bucket}
            if ctx.region != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
            with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
                s3.create_bucket(**params)
        return Applied(
            bucket,
            {
                "bucket": bucket,
                "arn": f"arn:aws:s3:::{bucket}",
                "forceDestroy": force_destroy,
                "region": ctx.region,
                "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{bucket}.s3.{ctx.region}.amazonaws.com",
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        s3 = ctx.client("s3")
        if record.outputs.get("forceDestroy"):
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=record.id):
                doomed = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                if doomed:
                    s3.delete_objects(Bucket=record.id, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=record.id)


class BucketPublicAccessBlock(Provisioner):
    type_token = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    _FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        bucket = inputs.take("bucket")
        flags = {flag: bool(inputs.take(flag, False)) for flag in self._FLAGS}
        inputs.check_all_taken()
        _leave_previous_bucket(self, ctx, previous, bucket)
        ctx.client("s3").put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={flag[0].upper() + flag[1:]: value for flag, value in flags.items()},
        )
        return Applied(bucket, {"bucket": bucket, **flags})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        s3 = ctx.client("s3")
        with contextlib.suppress(s3.exceptions.NoSuchBucket):  # gone with its bucket (a replaced one)
            s3.delete_public_access_block(Bucket=record.id)


class BucketPolicy(Provisioner):
    type_token = "aws:s3/bucketPolicy:BucketPolicy"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        bucket = inputs.take("bucket")
        policy = inputs.take("policy")
        inputs.check_all_taken()
        _leave_previous_bucket(self, ctx, previous, bucket)
        ctx.client("s3").put_bucket_policy(Bucket=bucket, Policy=policy)
        return Applied(bucket, {"bucket": bucket, "policy": policy})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        s3 = ctx.client("s3")
        with contextlib.suppress(s3.exceptions.NoSuchBucket):  # gone with its bucket (a replaced one)
            s3.delete_bucket_policy(Bucket=record.id)


class BucketNotification(Provisioner):
    type_token = "aws:s3/bucketNotification:BucketNotification"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        bucket = inputs.take("bucket")
        inputs.ignore("eventbridge", False)
        configuration = {
            "TopicConfigurations": [_target(t, "topicArn", "TopicArn") for t in inputs.each("topics")],
            "QueueConfigurations": [_target(q, "queueArn", "QueueArn") for q in inputs.each("queues")],
            "LambdaFunctionConfigurations": [
                _target(f, "lambdaFunctionArn", "LambdaFunctionArn") for f in inputs.each("lambdaFunctions")
            ],
        }
        inputs.check_all_taken()
        _leave_previous_bucket(self, ctx, previous, bucket)
        ctx.client("s3").put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={k: v for k, v in configuration.items() if v}
        )
        return Applied(bucket, {"bucket": bucket, "configuration": configuration})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        s3 = ctx.client("s3")
        with contextlib.suppress(s3.exceptions.NoSuchBucket):  # gone with its bucket (a replaced one)
            s3.put_bucket_notification_configuration(Bucket=record.id, NotificationConfiguration={})


class BucketCorsConfiguration(Provisioner):
    """Which other origins' pages may call the bucket from a browser (e.g. POST an upload form)."""

    type_token = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        bucket = inputs.take("bucket")
        inputs.ignore("expectedBucketOwner", None)
        rules = [_cors_rule(rule) for rule in inputs.each("corsRules")]
        inputs.check_all_taken()
        if not rules:
            raise DeployError(f"{inputs.where}: a CORS configuration needs at least one rule")
        _leave_previous_bucket(self, ctx, previous, bucket)
        ctx.client("s3").put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
        return Applied(bucket, {"bucket": bucket, "rules": rules})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        s3 = ctx.client("s3")
        with contextlib.suppress(s3.exceptions.NoSuchBucket):  # gone with its bucket (a replaced one)
            s3.delete_bucket_cors(Bucket=record.id)


def _cors_rule(rule: Inputs) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "AllowedMethods": list(rule.take("allowedMethods")),
        "AllowedOrigins": list(rule.take("allowedOrigins")),
    }
    for key, wire_key in (("allowedHeaders", "AllowedHeaders"), ("exposeHeaders", "ExposeHeaders")):
        if values := rule.take(key, None):
            wire[wire_key] = list(values)
    for key, wire_key in (("id", "ID"), ("maxAgeSeconds", "MaxAgeSeconds")):
        if (value := rule.take(key, None)) is not None:
            wire[wire_key] = value
    return wire


def _leave_previous_bucket(
    provisioner: Provisioner, ctx: Context, previous: ResourceRecord | None, bucket: str
) -> None:
    """A bucket's setting moved to another bucket is taken off the one it was on."""
    if previous is not None and previous.id != bucket:
        provisioner.delete(ctx, previous)


def _target(target: Inputs, arn_key: str, wire_arn_key: str) -> dict[str, Any]:
    rules = [
        {"Name": rule, "Value": value}
        for rule, value in (
            ("prefix", target.take("filterPrefix", None)),
            ("suffix", target.take("filterSuffix", None)),
        )
        if value
    ]
    config: dict[str, Any] = {wire_arn_key: target.take(arn_key), "Events": target.take("events")}
    if target.take("id", None):
        config["Id"] = target.take("id")
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return config
