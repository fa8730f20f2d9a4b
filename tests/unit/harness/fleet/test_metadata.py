"""The instance metadata stand-in, as botocore reads it: IMDSv2 tokens only, the instance's id,
zone and region, and its role's credentials, with which calls are the role's."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import boto3
import pytest
from botocore.utils import InstanceMetadataFetcher

from harness.fleet.metadata import TOKEN_HEADER, TOKEN_TTL_HEADER, InstanceMetadata, MetadataService, assumed_role

TRUST = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture
def service(moto) -> Iterator[tuple[MetadataService, str]]:
    role = f"instances-{uuid.uuid4().hex[:8]}"
    arn = moto.client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    running = MetadataService(0)
    running.start()
    credentials = assumed_role(moto.client("sts"), arn, "i-0123456789abcdef0")
    running.add(InstanceMetadata("i-0123456789abcdef0", "us-east-1a", "t3.micro", role, credentials))
    yield running, role
    running.stop()
    moto.client("iam").delete_role(RoleName=role)


def _open(request: urllib.request.Request) -> tuple[int, str]:
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_only_a_request_with_a_token_of_the_instance_is_answered(service):
    running, _ = service
    base = running.url_for("i-0123456789abcdef0")
    assert _open(urllib.request.Request(f"{base}latest/meta-data/instance-id"))[0] == 401  # IMDSv1
    assert _open(urllib.request.Request(f"{base}latest/api/token", method="PUT"))[0] == 400  # no TTL
    put = urllib.request.Request(f"{base}latest/api/token", method="PUT", headers={TOKEN_TTL_HEADER: "60"})
    status, token = _open(put)
    assert status == 200 and token
    asked = urllib.request.Request(f"{base}latest/meta-data/placement/region", headers={TOKEN_HEADER: token})
    assert _open(asked) == (200, "us-east-1")
    other = urllib.request.Request(
        f"{running.url_for('i-fedcba9876543210f')}latest/meta-data/instance-id", headers={TOKEN_HEADER: token}
    )
    assert _open(other)[0] == 404


def test_botocore_reads_the_roles_credentials_and_calls_as_the_role(service, moto, monkeypatch):
    running, role = service
    fetched = InstanceMetadataFetcher(base_url=running.url_for("i-0123456789abcdef0")).retrieve_iam_role_credentials()
    assert fetched["role_name"] == role and fetched["access_key"] and fetched["token"]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", running.url_for("i-0123456789abcdef0"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    session = boto3.Session(region_name="us-east-1")
    identity = session.client("sts", endpoint_url=moto.endpoint_url).get_caller_identity()
    assert f":assumed-role/{role}/i-0123456789abcdef0" in identity["Arn"]
