"""Secrets Manager secrets and secret versions, provisioned into moto and read back."""

from __future__ import annotations

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import secretsmanager

SECRET = secretsmanager.Secret.type_token
VERSION = secretsmanager.SecretVersion.type_token


def _described(moto, secret_id: str) -> dict:
    return moto.client("secretsmanager").describe_secret(SecretId=secret_id)


def _value(moto, secret_id: str, stage: str = "AWSCURRENT") -> str:
    return moto.client("secretsmanager").get_secret_value(SecretId=secret_id, VersionStage=stage)["SecretString"]


def _exists(moto, name: str) -> bool:
    listed = moto.client("secretsmanager").list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    return any(secret["Name"] == name for secret in listed)


def test_a_secret_is_created_with_its_description_and_its_id_is_its_arn(moto, provisioned, unique):
    name = unique("session-key")
    secret = provisioned.apply(SECRET, "key", {"name": name, "description": "signs sessions"})
    described = _described(moto, name)
    assert secret.id == secret.outputs["arn"] == described["ARN"]
    assert (secret.outputs["name"], described["Description"]) == (name, "signs sessions")


def test_a_secret_without_a_name_gets_one_from_its_logical_name(moto, provisioned):
    secret = provisioned.apply(SECRET, "autonamed", {"recoveryWindowInDays": 0})
    assert secret.outputs["name"].startswith("autonamed-")
    assert _described(moto, secret.id)["Name"] == secret.outputs["name"]


def test_a_secret_is_updated_in_place_keeping_its_value(moto, provisioned, unique):
    name = unique("key")
    first = provisioned.apply(SECRET, "key", {"name": name, "description": "v1"})
    provisioned.apply(VERSION, "value", {"secretId": first.id, "secretString": "kept"})
    second = provisioned.apply(SECRET, "key", {"name": name, "description": "v2", "recoveryWindowInDays": 7})
    assert second.id == first.id
    assert _described(moto, name)["Description"] == "v2"
    assert second.outputs["recoveryWindowInDays"] == 7
    assert _value(moto, name) == "kept"


def test_a_renamed_secret_replaces_the_old_one(moto, provisioned, unique):
    old_name, new_name = unique("before"), unique("after")
    old = provisioned.apply(SECRET, "key", {"name": old_name, "recoveryWindowInDays": 0})
    new = provisioned.apply(SECRET, "key", {"name": new_name, "recoveryWindowInDays": 0})
    assert new.id != old.id
    assert _exists(moto, new_name)
    assert not _exists(moto, old_name)


def test_a_secret_deleted_without_a_recovery_window_is_gone_at_once(moto, provisioned, unique):
    name = unique("gone")
    provisioned.apply(SECRET, "key", {"name": name, "recoveryWindowInDays": 0})
    provisioned.delete(SECRET, "key")
    with pytest.raises(moto.client("secretsmanager").exceptions.ResourceNotFoundException):
        _described(moto, name)


@pytest.mark.parametrize("declared", [{}, {"recoveryWindowInDays": 7}])
def test_a_secret_deleted_with_a_recovery_window_is_scheduled_for_deletion(moto, provisioned, unique, declared):
    name = unique("scheduled")
    provisioned.apply(SECRET, "key", {"name": name, **declared})
    provisioned.delete(SECRET, "key")
    described = _described(moto, name)  # still there, recoverable until the window ends
    assert described["DeletedDate"]
    moto.client("secretsmanager").delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_a_recovery_window_aws_refuses_stops_the_deploy(moto, provisioned, unique):
    name = unique("window")
    with pytest.raises(DeployError, match=r"recoveryWindowInDays must be 0 or from 7 to 30, not 3"):
        provisioned.apply(SECRET, "key", {"name": name, "recoveryWindowInDays": 3})
    assert not _exists(moto, name)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"tags": {"team": "web"}}, "'tags'"),
        ({"kmsKeyId": "alias/mine"}, "'kmsKeyId'"),
        ({"policy": "{}"}, "'policy'"),
        ({"replicas": [{"region": "eu-west-1"}]}, "'replicas'"),
    ],
)
def test_a_secret_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, extra, named):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=rf"^aws:secretsmanager/secret:Secret 'strict': .*{named}"):
        provisioned.apply(SECRET, "strict", {"name": name, **extra})
    assert not _exists(moto, name)


def test_a_secret_version_sets_the_current_value(moto, provisioned, unique):
    secret = provisioned.apply(SECRET, "key", {"name": unique("key"), "recoveryWindowInDays": 0})
    version = provisioned.apply(VERSION, "value", {"secretId": secret.id, "secretString": "s3cr3t"})
    assert _value(moto, secret.id) == "s3cr3t"
    assert version.id == f"{secret.id}|{version.outputs['versionId']}"
    assert version.outputs["secretArn"] == version.outputs["arn"] == secret.id
    assert "s3cr3t" not in repr(version.outputs)  # never kept in the stack's state


def test_a_secret_version_may_name_its_secret_by_name(moto, provisioned, unique):
    secret = provisioned.apply(SECRET, "key", {"name": unique("key"), "recoveryWindowInDays": 0})
    version = provisioned.apply(VERSION, "value", {"secretId": secret.outputs["name"], "secretString": "by name"})
    assert version.outputs["secretArn"] == secret.id
    assert _value(moto, secret.id) == "by name"


def test_a_new_value_is_a_new_version_and_the_same_value_is_none(moto, provisioned, unique):
    secret = provisioned.apply(SECRET, "key", {"name": unique("key"), "recoveryWindowInDays": 0})
    first = provisioned.apply(VERSION, "value", {"secretId": secret.id, "secretString": "one"})
    again = provisioned.apply(VERSION, "value", {"secretId": secret.id, "secretString": "one"})
    assert again.id == first.id

    second = provisioned.apply(VERSION, "value", {"secretId": secret.id, "secretString": "two"})
    assert second.outputs["versionId"] != first.outputs["versionId"]
    assert (_value(moto, secret.id), _value(moto, secret.id, "AWSPREVIOUS")) == ("two", "one")
    stages = _described(moto, secret.id)["VersionIdsToStages"]
    assert stages[second.outputs["versionId"]] == ["AWSCURRENT"]


def test_a_secret_version_moves_to_another_secret(moto, provisioned, unique):
    first = provisioned.apply(SECRET, "first", {"name": unique("first"), "recoveryWindowInDays": 0})
    second = provisioned.apply(SECRET, "second", {"name": unique("second"), "recoveryWindowInDays": 0})
    provisioned.apply(VERSION, "value", {"secretId": first.id, "secretString": "moving"})
    moved = provisioned.apply(VERSION, "value", {"secretId": second.id, "secretString": "moving"})
    assert moved.outputs["secretArn"] == second.id
    assert _value(moto, second.id) == "moving"


def test_a_deleted_secret_version_gives_up_its_stages_but_the_current_one_stays(moto, provisioned, unique):
    secret = provisioned.apply(SECRET, "key", {"name": unique("key"), "recoveryWindowInDays": 0})
    provisioned.apply(VERSION, "old", {"secretId": secret.id, "secretString": "old"})
    old_version = provisioned.records[(VERSION, "old")].outputs["versionId"]
    provisioned.apply(VERSION, "new", {"secretId": secret.id, "secretString": "new"})

    provisioned.delete(VERSION, "old")  # AWSPREVIOUS: given up
    stages = _described(moto, secret.id)["VersionIdsToStages"]
    assert not stages.get(old_version)
    provisioned.delete(VERSION, "new")  # AWSCURRENT: a secret always has a current value
    assert _value(moto, secret.id) == "new"


def test_a_secret_version_of_a_deleted_secret_deletes_quietly(moto, provisioned, unique):
    secret = provisioned.apply(SECRET, "key", {"name": unique("key"), "recoveryWindowInDays": 0})
    provisioned.apply(VERSION, "value", {"secretId": secret.id, "secretString": "x"})
    provisioned.delete(SECRET, "key")
    provisioned.delete(VERSION, "value")


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"secretStringWo": "hidden", "secretStringWoVersion": 1}, "write-only input 'secretStringWo'"),
        ({"secretStringWoVersion": 1}, "write-only input 'secretStringWoVersion'"),
        ({"secretBinary": "AAEC"}, "'secretBinary'"),
        ({"versionStages": ["AWSCURRENT", "mine"]}, "'versionStages'"),
    ],
)
def test_a_secret_version_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, extra, error):
    secret = provisioned.apply(SECRET, "key", {"name": unique("key"), "recoveryWindowInDays": 0})
    inputs = {"secretId": secret.id, "secretString": "value", **extra}
    with pytest.raises(UnsupportedInput, match=rf"^aws:secretsmanager/secretVersion:SecretVersion 'v': .*{error}"):
        provisioned.apply(VERSION, "v", inputs)
    assert not _described(moto, secret.id).get("VersionIdsToStages")
