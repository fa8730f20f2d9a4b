"""Fixtures every unit suite may use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

# moto accepts any credentials; these keep boto3 from looking for real ones.
FAKE_AWS = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process moto for the test, with fake credentials and region in the environment."""
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield
