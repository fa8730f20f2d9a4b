"""CloudWatch Logs groups with their retention, provisioned into moto and read back."""

from __future__ import annotations

import pytest

from harness.deploy.inputs import UnsupportedInput
from harness.deploy.provisioners import logs

LOG_GROUP = logs.LogGroup.type_token


def _groups(moto, prefix: str) -> dict[str, int | None]:
    """Each group under `prefix` and its retention in days (None: kept for ever)."""
    described = moto.client("logs").describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    return {group["logGroupName"]: group.get("retentionInDays") for group in described}


def test_a_log_group_is_created_with_its_retention(moto, provisioned, unique):
    name = unique("/aws/lambda/ingest")
    group = provisioned.apply(LOG_GROUP, "ingest", {"name": name, "retentionInDays": 7})
    assert group.id == name
    assert group.outputs["arn"] == f"arn:aws:logs:us-east-1:123456789012:log-group:{name}"
    assert _groups(moto, name) == {name: 7}


def test_a_log_group_lambda_made_first_is_taken_over(moto, provisioned, unique):
    name = unique("/aws/lambda/early")
    moto.client("logs").create_log_group(logGroupName=name)
    provisioned.apply(LOG_GROUP, "early", {"name": name, "retentionInDays": 3})
    assert _groups(moto, name) == {name: 3}


def test_a_log_group_retention_is_updated_and_dropped_in_place_keeping_its_events(moto, provisioned, unique):
    name = unique("/aws/lambda/ingest")
    provisioned.apply(LOG_GROUP, "ingest", {"name": name, "retentionInDays": 7})
    moto.client("logs").create_log_stream(logGroupName=name, logStreamName="kept")

    provisioned.apply(LOG_GROUP, "ingest", {"name": name, "retentionInDays": 14})
    assert _groups(moto, name) == {name: 14}
    provisioned.apply(LOG_GROUP, "ingest", {"name": name})
    assert _groups(moto, name) == {name: None}
    streams = moto.client("logs").describe_log_streams(logGroupName=name)["logStreams"]
    assert [stream["logStreamName"] for stream in streams] == ["kept"]


def test_a_renamed_log_group_replaces_the_old_one(moto, provisioned, unique):
    old_name, new_name = unique("/before"), unique("/after")
    provisioned.apply(LOG_GROUP, "group", {"name": old_name})
    provisioned.apply(LOG_GROUP, "group", {"name": new_name})
    assert _groups(moto, new_name) == {new_name: None}
    assert _groups(moto, old_name) == {}


def test_a_deleted_log_group_is_gone(moto, provisioned, unique):
    name = unique("/gone")
    provisioned.apply(LOG_GROUP, "group", {"name": name})
    provisioned.delete(LOG_GROUP, "group")
    assert _groups(moto, name) == {}


def test_a_log_group_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique):
    name = unique("/strict")
    with pytest.raises(UnsupportedInput, match=r"^aws:cloudwatch/logGroup:LogGroup 'strict': .*'kmsKeyId'"):
        provisioned.apply(LOG_GROUP, "strict", {"name": name, "kmsKeyId": "arn:aws:kms:us-east-1:1:key/x"})
    assert _groups(moto, name) == {}
