"""Objects the program uploads (the instances' bundle), put into moto's S3 and read back; put again
when the file changes; refused when the source is not a file."""

from __future__ import annotations

import pulumi
import pytest

from harness.deploy.inputs import DeployError
from harness.deploy.provisioners import s3_objects

OBJECT = s3_objects.BucketObject.type_token


@pytest.fixture
def bucket(moto, unique):
    name = unique("bundles")
    moto.client("s3").create_bucket(Bucket=name)
    yield name
    s3 = moto.client("s3")
    for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


def test_a_file_is_put_at_its_key_and_put_again_when_it_changes(moto, provisioned, bucket, tmp_path):
    source = tmp_path / "web.zip"
    source.write_bytes(b"first bundle")
    inputs = {"bucket": bucket, "key": "instances/web.zip", "source": pulumi.FileAsset(str(source))}
    put = provisioned.apply(OBJECT, "bundle", {**inputs, "contentType": "application/zip"})
    got = moto.client("s3").get_object(Bucket=bucket, Key="instances/web.zip")
    assert got["Body"].read() == b"first bundle" and got["ContentType"] == "application/zip"
    assert put.id == "instances/web.zip" and put.outputs["etag"] == got["ETag"].strip('"')
    source.write_bytes(b"second bundle")
    provisioned.apply(OBJECT, "bundle", {**inputs, "key": "instances/web-2.zip"})
    keys = [o["Key"] for o in moto.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["instances/web-2.zip"]  # the old key went with the change
    provisioned.delete(OBJECT, "bundle")
    assert "Contents" not in moto.client("s3").list_objects_v2(Bucket=bucket)


def test_a_source_that_is_not_a_file_is_refused(provisioned, bucket, tmp_path):
    with pytest.raises(DeployError, match="is not a file"):
        provisioned.apply(OBJECT, "bundle", {"bucket": bucket, "key": "k", "source": pulumi.FileAsset(str(tmp_path))})
    with pytest.raises(DeployError, match="as a file"):
        provisioned.apply(OBJECT, "bundle", {"bucket": bucket, "key": "k", "source": pulumi.StringAsset("text")})
