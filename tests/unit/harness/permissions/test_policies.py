"""A role's policies judging needs (harness/permissions/policies.py): several statements and policies
as one, read from IAM (moto's)."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

from harness.permissions.needs import Need
from harness.permissions.policies import RolePolicies

BUCKET = "arn:aws:s3:::p-images"


def policies(*statements: dict) -> RolePolicies:
    return RolePolicies("r", tuple(statements))


def allow(actions: list[str], resources: list[str], **condition: dict) -> dict:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def test_an_action_is_allowed_on_the_resources_named_and_nowhere_else() -> None:
    role = policies(allow(["s3:GetObject"], [f"{BUCKET}/uploads/*"]))
    assert role.allows(Need("s3:GetObject", f"{BUCKET}/uploads/o/a.jpg"))
    assert not role.allows(Need("s3:GetObject", f"{BUCKET}/images/a.jpg"))
    assert not role.allows(Need("s3:PutObject", f"{BUCKET}/uploads/o/a.jpg"))


def test_an_explicit_deny_wins() -> None:
    role = policies(
        allow(["s3:GetObject"], [f"{BUCKET}/*"]),
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"{BUCKET}/secret/*"},
    )
    assert not role.allows(Need("s3:GetObject", f"{BUCKET}/secret/a"))
    assert role.allows(Need("s3:GetObject", f"{BUCKET}/public/a"))


def test_a_failed_condition_of_one_allow_leaves_another_to_allow() -> None:
    role = policies(
        allow(["s3:ListBucket"], [BUCKET], StringLike={"s3:prefix": ["uploads/*"]}),
        allow(["s3:ListBucket"], [BUCKET], StringLike={"s3:prefix": ["images/*"]}),
    )
    assert role.allows(Need("s3:ListBucket", BUCKET, {"s3:prefix": "images/a"}))
    assert role.allows(Need("s3:ListBucket", BUCKET, {"s3:prefix": "uploads/a"}))
    assert not role.allows(Need("s3:ListBucket", BUCKET, {"s3:prefix": "other/a"}))
    assert not role.allows(Need("s3:ListBucket", BUCKET, {"s3:prefix": ""}))


@mock_aws
def test_the_policies_are_read_from_iam_inline_and_attached() -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    document = {"Version": "2012-10-17", "Statement": allow(["sns:Publish"], ["arn:aws:sns:us-east-1:123456789012:t"])}
    iam.put_role_policy(RoleName="r", PolicyName="inline", PolicyDocument=json.dumps(document))
    managed = {"Version": "2012-10-17", "Statement": [allow(["sqs:SendMessage"], ["*"])]}
    arn = iam.create_policy(PolicyName="m", PolicyDocument=json.dumps(managed))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    role = RolePolicies.read(iam, "r")
    assert role.allows(Need("sns:Publish", "arn:aws:sns:us-east-1:123456789012:t"))
    assert role.allows(Need("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q"))
    assert not role.allows(Need("sns:Publish", "arn:aws:sns:us-east-1:123456789012:other"))
