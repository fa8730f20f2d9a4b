"""S3 buckets, public access blocks, bucket policies and notifications, provisioned into moto."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import s3, sns

BUCKET = s3.Bucket.type_token
ACCESS_BLOCK = s3.BucketPublicAccessBlock.type_token
BUCKET_POLICY = s3.BucketPolicy.type_token
NOTIFICATION = s3.BucketNotification.type_token
TOPIC = sns.Topic.type_token


def _bucket_names(moto) -> set[str]:
    return {bucket["Name"] for bucket in moto.client("s3").list_buckets()["Buckets"]}


def _access_block(moto, bucket: str) -> dict[str, bool] | None:
    try:
        return moto.client("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchPublicAccessBlockConfiguration":
            raise
        return None


def _policy_sids(moto, bucket: str) -> list[str] | None:
    try:
        policy = moto.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
            raise
        return None
    return [statement["Sid"] for statement in json.loads(policy)["Statement"]]


def _public_read(bucket: str, sid: str) -> str:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    return json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def _notifications(moto, bucket: str) -> dict:
    configuration = moto.client("s3").get_bucket_notification_configuration(Bucket=bucket)
    return {k: v for k, v in configuration.items() if k.endswith("Configurations")}


def test_a_bucket_is_created_with_its_names_and_deleted(moto, provisioned, unique):
    name = unique("images")
    bucket = provisioned.apply(BUCKET, "images", {"bucket": name})
    assert bucket.id == name
    assert bucket.outputs["arn"] == f"arn:aws:s3:::{name}"
    assert bucket.outputs["bucketRegionalDomainName"] == f"{name}.s3.us-east-1.amazonaws.com"
    assert name in _bucket_names(moto)

    provisioned.delete(BUCKET, "images")
    assert name not in _bucket_names(moto)


def test_force_destroy_is_updated_in_place_and_a_deleted_bucket_takes_its_objects(moto, provisioned, unique):
    name = unique("images")
    provisioned.apply(BUCKET, "images", {"bucket": name})
    moto.client("s3").put_object(Bucket=name, Key="uploads/a.jpg", Body=b"kept")

    updated = provisioned.apply(BUCKET, "images", {"bucket": name, "forceDestroy": True})
    assert updated.id == name
    assert moto.client("s3").get_object(Bucket=name, Key="uploads/a.jpg")["Body"].read() == b"kept"

    provisioned.delete(BUCKET, "images")
    assert name not in _bucket_names(moto)


def test_a_bucket_with_objects_and_no_force_destroy_is_not_deleted(moto, provisioned, unique):
    name = unique("images")
    provisioned.apply(BUCKET, "images", {"bucket": name})
    moto.client("s3").put_object(Bucket=name, Key="uploads/a.jpg", Body=b"kept")
    with pytest.raises(ClientError, match="BucketNotEmpty"):
        provisioned.delete(BUCKET, "images")
    assert name in _bucket_names(moto)
    moto.client("s3").delete_object(Bucket=name, Key="uploads/a.jpg")
    moto.client("s3").delete_bucket(Bucket=name)


def test_a_renamed_bucket_replaces_the_old_one(moto, provisioned, unique):
    old_name, new_name = unique("before"), unique("after")
    provisioned.apply(BUCKET, "images", {"bucket": old_name, "forceDestroy": True})
    moto.client("s3").put_object(Bucket=old_name, Key="a.jpg", Body=b"old")
    provisioned.apply(BUCKET, "images", {"bucket": new_name})
    assert new_name in _bucket_names(moto)
    assert old_name not in _bucket_names(moto)


def test_a_bucket_without_a_name_gets_a_lowercase_one_from_its_logical_name(moto, provisioned):
    bucket = provisioned.apply(BUCKET, "Images", {})
    assert bucket.id.startswith("images-")
    assert bucket.id in _bucket_names(moto)


def test_a_bucket_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=r"^aws:s3/bucket:Bucket 'strict': .*'tags'"):
        provisioned.apply(BUCKET, "strict", {"bucket": name, "tags": {"team": "photos"}})
    assert name not in _bucket_names(moto)


@pytest.fixture
def two_buckets(provisioned, unique) -> tuple[str, str]:
    return tuple(provisioned.apply(BUCKET, name, {"bucket": unique(name)}).id for name in ("first", "second"))


def test_a_public_access_block_is_set_updated_moved_and_removed(moto, provisioned, two_buckets):
    first, second = two_buckets
    every_flag = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True}
    provisioned.apply(ACCESS_BLOCK, "block", {"bucket": first, **every_flag, "restrictPublicBuckets": True})
    assert _access_block(moto, first) == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }

    block = provisioned.apply(ACCESS_BLOCK, "block", {"bucket": first, **every_flag})
    assert block.id == first
    assert _access_block(moto, first)["RestrictPublicBuckets"] is False

    provisioned.apply(ACCESS_BLOCK, "block", {"bucket": second, **every_flag})
    assert _access_block(moto, second)["BlockPublicAcls"] is True
    assert _access_block(moto, first) is None  # the bucket it left keeps nothing of it

    provisioned.delete(ACCESS_BLOCK, "block")
    assert _access_block(moto, second) is None


def test_a_public_access_block_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, two_buckets):
    first, _ = two_buckets
    with pytest.raises(
        UnsupportedInput, match=r"^aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock 'b': .*'skip'"
    ):
        provisioned.apply(ACCESS_BLOCK, "b", {"bucket": first, "blockPublicAcls": True, "skip": True})
    assert _access_block(moto, first) is None


def test_a_bucket_policy_is_set_updated_moved_and_removed(moto, provisioned, two_buckets):
    first, second = two_buckets
    provisioned.apply(BUCKET_POLICY, "policy", {"bucket": first, "policy": _public_read(first, "v1")})
    assert _policy_sids(moto, first) == ["v1"]
    policy = provisioned.apply(BUCKET_POLICY, "policy", {"bucket": first, "policy": _public_read(first, "v2")})
    assert policy.id == first
    assert _policy_sids(moto, first) == ["v2"]

    provisioned.apply(BUCKET_POLICY, "policy", {"bucket": second, "policy": _public_read(second, "v3")})
    assert _policy_sids(moto, second) == ["v3"]
    assert _policy_sids(moto, first) is None

    provisioned.delete(BUCKET_POLICY, "policy")
    assert _policy_sids(moto, second) is None


def test_a_bucket_policy_follows_its_bucket_when_the_bucket_is_replaced(moto, provisioned, unique):
    old = provisioned.apply(BUCKET, "images", {"bucket": unique("before")}).id
    provisioned.apply(BUCKET_POLICY, "policy", {"bucket": old, "policy": _public_read(old, "v1")})
    new = provisioned.apply(BUCKET, "images", {"bucket": unique("after")}).id  # the old bucket is gone

    provisioned.apply(BUCKET_POLICY, "policy", {"bucket": new, "policy": _public_read(new, "v1")})
    assert _policy_sids(moto, new) == ["v1"]


def test_a_bucket_policy_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, two_buckets):
    first, _ = two_buckets
    inputs = {"bucket": first, "policy": _public_read(first, "strict"), "region": "eu-west-1"}
    with pytest.raises(UnsupportedInput, match=r"^aws:s3/bucketPolicy:BucketPolicy 'policy': .*'region'"):
        provisioned.apply(BUCKET_POLICY, "policy", inputs)
    assert _policy_sids(moto, first) is None


def _on_upload(topic_arn: str, prefix: str) -> dict:
    return {"topicArn": topic_arn, "events": ["s3:ObjectCreated:*"], "filterPrefix": prefix, "id": "uploads"}


def test_a_bucket_notification_is_set_updated_moved_and_removed(moto, provisioned, unique, two_buckets):
    first, second = two_buckets
    topic = provisioned.apply(TOPIC, "events", {"name": unique("events")}).id
    provisioned.apply(NOTIFICATION, "n", {"bucket": first, "topics": [_on_upload(topic, "uploads/")]})
    (configured,) = _notifications(moto, first)["TopicConfigurations"]
    assert (configured["TopicArn"], configured["Events"], configured["Id"]) == (
        topic,
        ["s3:ObjectCreated:*"],
        "uploads",
    )
    assert configured["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "uploads/"}]

    removed = {"topicArn": topic, "events": ["s3:ObjectRemoved:*"], "filterSuffix": ".jpg"}
    notification = provisioned.apply(NOTIFICATION, "n", {"bucket": first, "topics": [removed]})
    assert notification.id == first
    (configured,) = _notifications(moto, first)["TopicConfigurations"]
    assert configured["Events"] == ["s3:ObjectRemoved:*"]
    assert configured["Filter"]["Key"]["FilterRules"] == [{"Name": "suffix", "Value": ".jpg"}]

    provisioned.apply(NOTIFICATION, "n", {"bucket": second, "topics": [removed]})
    assert len(_notifications(moto, second)["TopicConfigurations"]) == 1
    assert _notifications(moto, first) == {}

    provisioned.delete(NOTIFICATION, "n")
    assert _notifications(moto, second) == {}


@pytest.mark.parametrize(
    ("extra", "extra_in_topic", "named"),
    [({"eventbridge": True}, {}, "'eventbridge' = True"), ({}, {"unknown": "x"}, "'topics\\[0\\].unknown'")],
)
def test_a_bucket_notification_input_not_applied_stops_the_deploy_naming_it(
    moto, provisioned, unique, two_buckets, extra, extra_in_topic, named
):
    first, _ = two_buckets
    topic = provisioned.apply(TOPIC, "events", {"name": unique("events")}).id
    inputs = {"bucket": first, "topics": [{**_on_upload(topic, "uploads/"), **extra_in_topic}], **extra}
    with pytest.raises(UnsupportedInput, match=rf"^aws:s3/bucketNotification:BucketNotification 'n': .*{named}"):
        provisioned.apply(NOTIFICATION, "n", inputs)
    assert _notifications(moto, first) == {}


CORS = s3.BucketCorsConfiguration.type_token


def _cors(moto, bucket: str) -> list[dict] | None:
    try:
        return moto.client("s3").get_bucket_cors(Bucket=bucket)["CORSRules"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchCORSConfiguration":
            raise
        return None


def _uploads_from(origin: str, **more) -> dict:
    return {"allowedMethods": ["POST"], "allowedOrigins": [origin], "allowedHeaders": ["*"], **more}


def test_cors_rules_are_set_updated_moved_and_removed(moto, provisioned, two_buckets):
    first, second = two_buckets
    provisioned.apply(CORS, "cors", {"bucket": first, "corsRules": [_uploads_from("http://a.example")]})
    (rule,) = _cors(moto, first)
    assert (rule["AllowedMethods"], rule["AllowedOrigins"], rule["AllowedHeaders"]) == (
        ["POST"],
        ["http://a.example"],
        ["*"],
    )
    rules = [_uploads_from("https://b.example", maxAgeSeconds=300, exposeHeaders=["ETag"], id="uploads")]
    provisioned.apply(CORS, "cors", {"bucket": first, "corsRules": rules})
    (rule,) = _cors(moto, first)
    assert (rule["AllowedOrigins"], rule["MaxAgeSeconds"], rule["ExposeHeaders"], rule["ID"]) == (
        ["https://b.example"],
        300,
        ["ETag"],
        "uploads",
    )

    provisioned.apply(CORS, "cors", {"bucket": second, "corsRules": rules})
    assert _cors(moto, second) is not None and _cors(moto, first) is None

    provisioned.delete(CORS, "cors")
    assert _cors(moto, second) is None


def test_cors_needs_a_rule_and_names_an_input_it_does_not_apply(moto, provisioned, two_buckets):
    first, _ = two_buckets
    with pytest.raises(DeployError, match="at least one rule"):
        provisioned.apply(CORS, "cors", {"bucket": first, "corsRules": []})
    with pytest.raises(UnsupportedInput, match=r"'corsRules\[0\]\.allowedCredentials'"):
        provisioned.apply(CORS, "cors", {"bucket": first, "corsRules": [_uploads_from("x", allowedCredentials=True)]})
    assert _cors(moto, first) is None
