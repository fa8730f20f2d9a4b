"""S3: the bucket, its public-access block, its policy, its event notifications and its CORS rules."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord


@dataclass(frozen=True)
class BucketSpec:
    """A bucket: its name, and whether deleting it empties it first."""

    bucket: str
    force_destroy: bool


class Bucket(Provisioner[BucketSpec]):
    type_token = "aws:s3/bucket:Bucket"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> BucketSpec:
        bucket = physical_name(inputs, name, previous, key="bucket", max_length=63, lowercase=True)
        return BucketSpec(bucket, inputs.take("forceDestroy", False))

    def apply(self, ctx: Context, spec: BucketSpec, previous: ResourceRecord | None) -> Applied:
        bucket = spec.bucket
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
                "forceDestroy": spec.force_destroy,
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


@dataclass(frozen=True)
class PublicAccessBlockSpec:
    """A bucket's public-access block: each flag (input name) on or off."""

    bucket: str
    flags: dict[str, bool]


class BucketPublicAccessBlock(Provisioner[PublicAccessBlockSpec]):
    type_token = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    _FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> PublicAccessBlockSpec:
        bucket = inputs.take("bucket")
        return PublicAccessBlockSpec(bucket, {flag: bool(inputs.take(flag, False)) for flag in self._FLAGS})

    def apply(self, ctx: Context, spec: PublicAccessBlockSpec, previous: ResourceRecord | None) -> Applied:
        _leave_previous_bucket(self, ctx, previous, spec.bucket)
        ctx.client("s3").put_public_access_block(
            Bucket=spec.bucket,
            PublicAccessBlockConfiguration={flag[0].upper() + flag[1:]: value for flag, value in spec.flags.items()},
        )
        return Applied(spec.bucket, {"bucket": spec.bucket, **spec.flags})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        s3 = ctx.client("s3")
        with contextlib.suppress(s3.exceptions.NoSuchBucket):  # gone with its bucket (a replaced one)
            s3.delete_public_access_block(Bucket=record.id)


@dataclass(frozen=True)
class BucketPolicySpec:
    """A bucket's policy (a JSON document)."""

    bucket: str
    policy: str


class BucketPolicy(Provisioner[BucketPolicySpec]):
    type_token = "aws:s3/bucketPolicy:BucketPolicy"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> BucketPolicySpec:
        bucket = inputs.take("bucket")
        return BucketPolicySpec(bucket, inputs.take("policy"))

    def apply(self, ctx: Context, spec: BucketPolicySpec, previous: ResourceRecord | None) -> Applied:
        _leave_previous_bucket(self, ctx, previous, spec.bucket)
        ctx.client("s3").put_bucket_policy(Bucket=spec.bucket, Policy=spec.policy)
        return Applied(spec.bucket, {"bucket": spec.bucket, "policy": spec.policy})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        s3 = ctx.client("s3")
        with contextlib.suppress(s3.exceptions.NoSuchBucket):  # gone with its bucket (a replaced one)
            s3.delete_bucket_policy(Bucket=record.id)


@dataclass(frozen=True)
class BucketNotificationSpec:
    """A bucket's event notifications: each kind of target (S3's configuration key) with its list."""

    bucket: str
    configuration: dict[str, list[dict[str, Any]]]


class BucketNotification(Provisioner[BucketNotificationSpec]):
    type_token = "aws:s3/bucketNotification:BucketNotification"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> BucketNotificationSpec:
        bucket = inputs.take("bucket")
        inputs.ignore("eventbridge", False)
        configuration = {
            "TopicConfigurations": [_target(t, "topicArn", "TopicArn") for t in inputs.each("topics")],
            "QueueConfigurations": [_target(q, "queueArn", "QueueArn") for q in inputs.each("queues")],
            "LambdaFunctionConfigurations": [
                _target(f, "lambdaFunctionArn", "LambdaFunctionArn") for f in inputs.each("lambdaFunctions")
            ],
        }
        return BucketNotificationSpec(bucket, configuration)

    def apply(self, ctx: Context, spec: BucketNotificationSpec, previous: ResourceRecord | None) -> Applied:
        _leave_previous_bucket(self, ctx, previous, spec.bucket)
        ctx.client("s3").put_bucket_notification_configuration(
            Bucket=spec.bucket, NotificationConfiguration={k: v for k, v in spec.configuration.items() if v}
        )
        return Applied(spec.bucket, {"bucket": spec.bucket, "configuration": spec.configuration})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        s3 = ctx.client("s3")
        with contextlib.suppress(s3.exceptions.NoSuchBucket):  # gone with its bucket (a replaced one)
            s3.put_bucket_notification_configuration(Bucket=record.id, NotificationConfiguration={})


@dataclass(frozen=True)
class CorsSpec:
    """A bucket's CORS rules, as S3 takes them."""

    bucket: str
    rules: list[dict[str, Any]]


class BucketCorsConfiguration(Provisioner[CorsSpec]):
    """Which other origins' pages may call the bucket from a browser (e.g. POST an upload form)."""

    type_token = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> CorsSpec:
        bucket = inputs.take("bucket")
        inputs.ignore("expectedBucketOwner", None)
        return CorsSpec(bucket, [_cors_rule(rule) for rule in inputs.each("corsRules")])

    def validate(self, where: str, spec: CorsSpec) -> None:
        if not spec.rules:
            raise DeployError(f"{where}: a CORS configuration needs at least one rule")

    def apply(self, ctx: Context, spec: CorsSpec, previous: ResourceRecord | None) -> Applied:
        _leave_previous_bucket(self, ctx, previous, spec.bucket)
        ctx.client("s3").put_bucket_cors(Bucket=spec.bucket, CORSConfiguration={"CORSRules": spec.rules})
        return Applied(spec.bucket, {"bucket": spec.bucket, "rules": spec.rules})

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
    provisioner: Provisioner[Any], ctx: Context, previous: ResourceRecord | None, bucket: str
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
