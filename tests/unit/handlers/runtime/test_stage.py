"""What the stages share: settings checked at import, the AWS SDK and the worker made on first use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from handlers.contract import Env
from handlers.runtime.settings import SettingMissing, StageSettings
from handlers.runtime.stage import Stage
from tests.unit.handlers.conftest import fresh

ROOT = Path(__file__).resolve().parents[4]
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    Env.IMAGES_TABLE: "images",
    Env.IDEMPOTENCY_TABLE: "idempotency",
    Env.FINGERPRINTS_TABLE: "fingerprints",
    Env.ENHANCE_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/enhance",
    Env.SERVICE_NAME: "test",
    Env.METRICS_NAMESPACE: "imagepipe-test",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_importing_a_handler_loads_no_aws_sdk_until_its_first_call():
    # (Powertools imports the bare `botocore` package, for its version: a millisecond. Its
    # sessions and clients, and boto3, are what costs.)
    probe = (
        "import sys, handlers.imaging_functions.ingest, handlers.imaging_functions.enhance\n"
        "before = sorted(m for m in ('boto3', 'botocore.session', 'botocore.client') if m in sys.modules)\n"
        "handlers.imaging_functions.enhance.stage.prepare()\n"
        "print(before, 'boto3' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True, text=True, cwd=ROOT, env={"PATH": os.environ["PATH"], **ENVIRONMENT}, check=True,
    )  # fmt: skip
    assert result.stdout.split() == ["[]", "True"]


def test_the_worker_is_built_once_with_the_settings_and_shared_clients(environment):
    built = []

    def build(settings, clients):
        built.append(settings)
        assert clients("s3") is clients("s3")
        return object()

    stage = Stage(StageSettings.from_environment(), build)
    assert built == []  # nothing made at construction
    first = stage.prepare()
    assert stage.prepare() is first and stage.worker is first.worker
    assert built == [stage.settings]
    assert first.persistence.table_name == "idempotency"


def test_a_missing_setting_fails_the_import_not_the_first_upload(environment):
    environment.delenv(Env.ENHANCE_QUEUE_URL)
    with pytest.raises(SettingMissing, match="ENHANCE_QUEUE_URL is not set"):
        fresh("handlers.imaging_functions.ingest")
    environment.delenv(Env.IMAGES_TABLE)
    with pytest.raises(SettingMissing, match="IMAGES_TABLE is not set"):
        fresh("handlers.imaging_functions.enhance")
