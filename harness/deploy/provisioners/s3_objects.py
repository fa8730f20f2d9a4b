"""S3 objects the program uploads itself (the instances tier's app bundle): a file put at a key,
with its content type, and put again when its content changes."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pulumi

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner
from harness.deployed.stack_state import ResourceRecord


@dataclass(frozen=True)
class BucketObjectSpec:
    bucket: str
    key: str
    source: Path
    content_type: str | None


class BucketObject(Provisioner[BucketObjectSpec]):
    type_token = "aws:s3/bucketObjectv2:BucketObjectv2"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> BucketObjectSpec:
        source = inputs.take("source")
        if not isinstance(source, pulumi.FileAsset):
            raise DeployError(f"{inputs.where}: input 'source' is applied as a file (pulumi.FileAsset) only")
        return BucketObjectSpec(
            inputs.take("bucket"), inputs.take("key"), Path(str(source.path)), inputs.take("contentType", None)
        )

    def validate(self, where: str, spec: BucketObjectSpec) -> None:
        if not spec.source.is_file():
            raise DeployError(f"{where}: input 'source': {spec.source} is not a file")

    def apply(self, ctx: Context, spec: BucketObjectSpec, previous: ResourceRecord | None) -> Applied:
        if previous is not None and (previous.outputs["bucket"], previous.outputs["key"]) != (spec.bucket, spec.key):
            self.delete(ctx, previous)
        body = spec.source.read_bytes()
        extra = {"ContentType": spec.content_type} if spec.content_type else {}
        put = ctx.client("s3").put_object(Bucket=spec.bucket, Key=spec.key, Body=body, **extra)
        return Applied(
            spec.key,
            {
                "bucket": spec.bucket,
                "key": spec.key,
                "contentType": spec.content_type or "binary/octet-stream",
                "etag": put["ETag"].strip('"'),
                "versionId": put.get("VersionId", ""),
                "sourceSha256": hashlib.sha256(body).hexdigest(),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        s3 = ctx.client("s3")
        with contextlib.suppress(s3.exceptions.NoSuchBucket):  # gone with its bucket
            s3.delete_object(Bucket=record.outputs["bucket"], Key=record.outputs["key"])
