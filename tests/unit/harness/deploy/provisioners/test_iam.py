"""IAM roles and their inline policies, provisioned into moto and read back."""

from __future__ import annotations

import json

import pytest

from harness.deploy.inputs import UnsupportedInput
from harness.deploy.provisioners import iam

ROLE = iam.Role.type_token
ROLE_POLICY = iam.RolePolicy.type_token


def _trust(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _allow(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


def _role_names(moto, prefix: str) -> list[str]:
    return [
        role["RoleName"] for role in moto.client("iam").list_roles()["Roles"] if role["RoleName"].startswith(prefix)
    ]


def _inline_policies(moto, role: str) -> list[str]:
    return moto.client("iam").list_role_policies(RoleName=role)["PolicyNames"]


def _trusted_service(moto, role: str) -> str:
    document = moto.client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    return document["Statement"][0]["Principal"]["Service"]


def test_a_role_is_created_with_its_trust_and_description(moto, provisioned, unique):
    name = unique("ingest")
    role = provisioned.apply(
        ROLE, "ingest", {"name": name, "assumeRolePolicy": _trust("lambda.amazonaws.com"), "description": "ingest"}
    )
    described = moto.client("iam").get_role(RoleName=name)["Role"]
    assert (role.id, role.outputs["arn"], role.outputs["uniqueId"]) == (name, described["Arn"], described["RoleId"])
    assert described["Description"] == "ingest"
    assert _trusted_service(moto, name) == "lambda.amazonaws.com"


def test_a_role_is_updated_in_place_keeping_its_id(moto, provisioned, unique):
    name = unique("ingest")
    first = provisioned.apply(
        ROLE, "ingest", {"name": name, "assumeRolePolicy": _trust("lambda.amazonaws.com"), "description": "v1"}
    )
    second = provisioned.apply(
        ROLE, "ingest", {"name": name, "assumeRolePolicy": _trust("sqs.amazonaws.com"), "description": "v2"}
    )
    assert second.outputs["uniqueId"] == first.outputs["uniqueId"]
    assert _trusted_service(moto, name) == "sqs.amazonaws.com"
    assert moto.client("iam").get_role(RoleName=name)["Role"]["Description"] == "v2"


def test_a_renamed_role_replaces_the_old_one_and_its_policies_follow(moto, provisioned, unique):
    old_name, new_name = unique("before"), unique("after")
    provisioned.apply(ROLE, "ingest", {"name": old_name, "assumeRolePolicy": _trust("lambda.amazonaws.com")})
    provisioned.apply(ROLE_POLICY, "access", {"role": old_name, "name": "access", "policy": _allow("s3:GetObject")})

    provisioned.apply(ROLE, "ingest", {"name": new_name, "assumeRolePolicy": _trust("lambda.amazonaws.com")})
    assert _role_names(moto, old_name) == []  # its inline policy went with it
    provisioned.apply(ROLE_POLICY, "access", {"role": new_name, "name": "access", "policy": _allow("s3:GetObject")})
    assert _inline_policies(moto, new_name) == ["access"]


def test_a_deleted_role_is_gone_with_its_inline_policies(moto, provisioned, unique):
    name = unique("gone")
    provisioned.apply(ROLE, "gone", {"name": name, "assumeRolePolicy": _trust("lambda.amazonaws.com")})
    moto.client("iam").put_role_policy(RoleName=name, PolicyName="extra", PolicyDocument=_allow("s3:*"))
    provisioned.delete(ROLE, "gone")
    assert _role_names(moto, name) == []


@pytest.mark.parametrize(
    ("extra", "named"),
    [({"tags": {"team": "photos"}}, "'tags'"), ({"path": "/service/"}, "'path' = '/service/'")],
)
def test_a_role_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, extra, named):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=rf"^aws:iam/role:Role 'strict': .*{named}"):
        provisioned.apply(ROLE, "strict", {"name": name, "assumeRolePolicy": _trust("lambda.amazonaws.com"), **extra})
    assert _role_names(moto, name) == []


@pytest.fixture
def role(provisioned, unique) -> str:
    return provisioned.apply(
        ROLE, "role", {"name": unique("role"), "assumeRolePolicy": _trust("lambda.amazonaws.com")}
    ).id


def _policy_action(moto, role: str, policy: str) -> str:
    document = moto.client("iam").get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    return document["Statement"][0]["Action"]


def test_a_role_policy_is_created_updated_renamed_and_deleted(moto, provisioned, role):
    policy = provisioned.apply(ROLE_POLICY, "access", {"role": role, "name": "read", "policy": _allow("s3:GetObject")})
    assert (policy.id, _inline_policies(moto, role)) == (f"{role}:read", ["read"])
    assert _policy_action(moto, role, "read") == "s3:GetObject"

    provisioned.apply(ROLE_POLICY, "access", {"role": role, "name": "read", "policy": _allow("s3:PutObject")})
    assert _policy_action(moto, role, "read") == "s3:PutObject"

    provisioned.apply(ROLE_POLICY, "access", {"role": role, "name": "write", "policy": _allow("s3:PutObject")})
    assert _inline_policies(moto, role) == ["write"]

    provisioned.delete(ROLE_POLICY, "access")
    assert _inline_policies(moto, role) == []


def test_a_role_policy_without_a_name_gets_one_from_its_logical_name(moto, provisioned, role):
    policy = provisioned.apply(ROLE_POLICY, "access", {"role": role, "policy": _allow("s3:GetObject")})
    assert policy.outputs["name"].startswith("access-")
    assert _inline_policies(moto, role) == [policy.outputs["name"]]


def test_a_role_policy_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, role):
    inputs = {"role": role, "name": "read", "policy": _allow("s3:GetObject"), "namePrefix": "read-"}
    with pytest.raises(UnsupportedInput, match=r"^aws:iam/rolePolicy:RolePolicy 'access': .*'namePrefix'"):
        provisioned.apply(ROLE_POLICY, "access", inputs)
    assert _inline_policies(moto, role) == []


ATTACHMENT = iam.RolePolicyAttachment.type_token
PROFILE = iam.InstanceProfile.type_token
SESSION_MANAGER = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def test_a_managed_policy_is_attached_and_detached_and_a_role_deleted_with_one(moto, provisioned, unique):
    name = unique("instances")
    provisioned.apply(ROLE, "instances", {"name": name, "assumeRolePolicy": _trust("ec2.amazonaws.com")})
    provisioned.apply(ATTACHMENT, "ssm", {"role": name, "policyArn": SESSION_MANAGER})
    attached = moto.client("iam").list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [SESSION_MANAGER]
    provisioned.delete(ATTACHMENT, "ssm")
    assert moto.client("iam").list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    provisioned.apply(ATTACHMENT, "ssm", {"role": name, "policyArn": SESSION_MANAGER})
    provisioned.records.pop((ATTACHMENT, "ssm"))  # the role goes first, as when both leave the program
    provisioned.delete(ROLE, "instances")
    assert name not in _role_names(moto, name)


def test_an_instance_profile_passes_its_role_and_moves_to_another(moto, provisioned, unique):
    first, second, profile_name = unique("instances"), unique("instances"), unique("profile")
    for role in (first, second):
        provisioned.apply(ROLE, role, {"name": role, "assumeRolePolicy": _trust("ec2.amazonaws.com")})
    profile = provisioned.apply(PROFILE, "profile", {"name": profile_name, "role": first})
    described = moto.client("iam").get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"]
    assert profile.outputs["arn"] == described["Arn"] and [r["RoleName"] for r in described["Roles"]] == [first]
    provisioned.apply(PROFILE, "profile", {"name": profile_name, "role": second})
    described = moto.client("iam").get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"]
    assert [r["RoleName"] for r in described["Roles"]] == [second]
    provisioned.delete(PROFILE, "profile")
    profiles = moto.client("iam").list_instance_profiles()["InstanceProfiles"]
    assert profile_name not in [p["InstanceProfileName"] for p in profiles]
