"""What the fleet's tests share: the instance bundle in a bucket of the moto server, the web
function's environment contract pointing there, and the way there an instance's role would give."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from components.package import build_package, handlers_spec
from handlers.contract import INSTANCE_BUNDLE, Env
from harness import background
from harness.aws import TEST_ENVIRONMENT, AwsTarget

ROOT = Path(__file__).resolve().parents[4]
CACHE = ROOT / "build" / "lambda-packages"


@pytest.fixture(scope="session")
def bundle_key(moto: AwsTarget) -> str:
    """The instance bundle, built for x86_64 as the program builds it, in a bucket of the moto server."""
    archive = build_package(handlers_spec(ROOT, "python3.11", "x86_64", INSTANCE_BUNDLE), CACHE)
    moto.client("s3").create_bucket(Bucket="fleet-bundles")
    moto.client("s3").upload_file(str(archive), "fleet-bundles", "bundles/web.zip")
    return "bundles/web.zip"


@pytest.fixture(scope="session")
def app_environment(moto: AwsTarget) -> dict[str, str]:
    """The web function's environment contract, pointing at the moto server's resources."""
    secret = moto.client("secretsmanager").create_secret(Name="fleet-session-key")["ARN"]
    return {
        Env.IMAGES_TABLE: "fleet-images",
        Env.USERS_TABLE: "fleet-users",
        Env.SESSION_SECRET_ARN: secret,
        Env.IMAGES_BUCKET: "fleet-bundles",
        Env.MAX_UPLOAD_BYTES: "1000000",
        Env.IMAGES_BASE_URL: "http://127.0.0.1:1",
        "AWS_DEFAULT_REGION": moto.region,
    }


@pytest.fixture
def reach(moto: AwsTarget) -> dict[str, str]:
    """What an instance's metadata and role would give it: here, the way to the moto server."""
    return {**TEST_ENVIRONMENT, "AWS_ENDPOINT_URL": moto.endpoint_url, "AWS_DEFAULT_REGION": moto.region}


@pytest.fixture
def processes() -> Iterator[list[int]]:
    started: list[int] = []
    yield started
    for pid in started:
        background.stop(pid, 5.0, family=True)
