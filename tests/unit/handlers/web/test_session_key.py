"""The session key: made in Secrets Manager on first use, then read; one key however many make it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from handlers.web.session_key import FIRST_VERSION, session_key


@pytest.fixture
def secrets(mocked_aws: None) -> Any:
    return boto3.client("secretsmanager", region_name="us-east-1")


def test_the_first_use_makes_a_key_and_stores_it(secrets: Any) -> None:
    arn = secrets.create_secret(Name="session")["ARN"]
    key = session_key(secrets, arn)
    assert len(key) >= 32
    stored = secrets.get_secret_value(SecretId=arn)
    assert stored["SecretString"].encode() == key and stored["VersionId"] == FIRST_VERSION


def test_later_uses_read_the_same_key(secrets: Any) -> None:
    arn = secrets.create_secret(Name="session")["ARN"]
    assert session_key(secrets, arn) == session_key(secrets, arn)


def test_a_key_put_by_hand_is_the_key(secrets: Any) -> None:
    arn = secrets.create_secret(Name="session", SecretString="k" * 40)["ARN"]
    assert session_key(secrets, arn) == b"k" * 40


def test_instances_starting_together_agree_on_one_key(secrets: Any) -> None:
    arn = secrets.create_secret(Name="session")["ARN"]
    with ThreadPoolExecutor(4) as pool:
        keys = set(pool.map(lambda _: session_key(secrets, arn), range(8)))
    assert len(keys) == 1
    versions = secrets.list_secret_version_ids(SecretId=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == [FIRST_VERSION]


def test_a_missing_secret_is_an_error_not_a_new_key(secrets: Any) -> None:
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        session_key(secrets, "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf")
