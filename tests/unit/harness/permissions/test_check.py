"""The IAM check over recorded calls (harness/permissions): what it refuses and how it says so."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from harness.permissions import CallLog, PermissionCheck, RoleCall

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/p-web-role"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:p-session-key-AbCdEf"


def call(operation: str, role: str = ROLE, **request: object) -> RoleCall:
    return RoleCall(role, "p-web", "secretsmanager", operation, "us-east-1", ACCOUNT, request=dict(request))


@pytest.fixture
def iam():
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_role(RoleName="p-web-role", AssumeRolePolicyDocument="{}")
        statement = {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": SECRET}
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        client.put_role_policy(RoleName="p-web-role", PolicyName="p", PolicyDocument=json.dumps(policy))
        yield client


def test_a_call_the_role_does_not_grant_is_refused_naming_function_action_and_resource(iam) -> None:
    refusals = PermissionCheck(iam).refusals(
        [call("GetSecretValue", SecretId=SECRET), call("DescribeSecret", SecretId=SECRET)]
    )
    assert [str(r) for r in refusals] == [
        f"p-web (role p-web-role) is not allowed secretsmanager:DescribeSecret on {SECRET} "
        "(secretsmanager.DescribeSecret): AWS refuses it"
    ]


def test_one_refusal_per_role_action_and_resource(iam) -> None:
    assert len(PermissionCheck(iam).refusals([call("DescribeSecret", SecretId=SECRET)] * 3)) == 1


def test_a_call_it_cannot_judge_or_a_role_iam_lacks_is_a_refusal_too(iam) -> None:
    gone = f"arn:aws:iam::{ACCOUNT}:role/p-gone-role"
    reasons = [
        r.reason
        for r in PermissionCheck(iam).refusals(
            [call("GetSecretValue", SecretId="p-session-key"), call("GetSecretValue", gone, SecretId=SECRET)]
        )
    ]
    assert "cannot judge" in reasons[0]
    assert reasons[1].endswith(f"but its role {gone} is not in IAM")


def test_the_log_is_read_once_and_a_line_being_written_waits(tmp_path: Path) -> None:
    path = tmp_path / "role-calls.jsonl"
    line = {
        "role": ROLE,
        "session": "p-web",
        "service": "s3",
        "operation": "GetObject",
        "region": "us-east-1",
        "account": ACCOUNT,
        "request": {"Bucket": "b", "Key": "k"},
    }
    log = CallLog(path)
    assert log.read_new() == []
    path.write_text(json.dumps(line) + "\n" + json.dumps(line)[:20])
    (first,) = log.read_new()
    assert (first.session, first.operation, first.request["Key"]) == ("p-web", "GetObject", "k")
    assert log.read_new() == []
    with path.open("a") as handle:
        handle.write(json.dumps(line)[20:] + "\n")
    assert len(log.read_new()) == 1
    path.write_text("")  # a new emulator, a new file
    path.write_text(json.dumps(line) + "\n")
    assert len(log.read_new()) == 1


def test_a_call_the_emulator_could_not_record_fails_the_read(tmp_path: Path) -> None:
    path = tmp_path / "role-calls.jsonl"
    path.write_text(json.dumps({"error": "recording a call to PutObject failed: boom"}) + "\n")
    with pytest.raises(ValueError, match="could not record a call: recording a call to PutObject failed"):
        CallLog(path).read_new()
