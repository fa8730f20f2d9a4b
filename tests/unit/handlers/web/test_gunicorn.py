"""The same app outside Lambda (the 3-tier option): gunicorn serves it from the environment the
stack would give, with a moto server standing in for AWS."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from handlers.contract import Env
from handlers.stores.user_store import UserStore
from harness.aws import AwsTarget
from harness.polling import wait_until
from tests.unit.conftest import FAKE_AWS, free_port
from tests.unit.tables import create_images_table, create_users_table

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def served(moto: AwsTarget) -> Iterator[str]:
    """gunicorn serving `handlers.web.environment:app_from_environment()`; its base URL."""
    dynamodb = moto.client("dynamodb")
    images, users = f"images-{uuid.uuid4().hex[:8]}", f"users-{uuid.uuid4().hex[:8]}"
    create_images_table(dynamodb, images)
    create_users_table(dynamodb, users)
    UserStore(users, dynamodb).add("ann", "a long password")
    secret = moto.client("secretsmanager").create_secret(Name=f"session-key-{uuid.uuid4().hex[:8]}")["ARN"]
    port = free_port()
    environment = {
        **os.environ,
        **FAKE_AWS,
        "AWS_ENDPOINT_URL": moto.endpoint_url,
        Env.IMAGES_TABLE: images,
        Env.USERS_TABLE: users,
        Env.SESSION_SECRET_ARN: secret,
        Env.IMAGES_BUCKET: "images",
        Env.MAX_UPLOAD_BYTES: "1000000",
        Env.IMAGES_BASE_URL: "http://cdn.example",
    }
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    process = subprocess.Popen(
        [*command, "handlers.web.environment:app_from_environment()"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def answering() -> bool:
            assert process.poll() is None, f"gunicorn ended: {process.stderr.read().decode() if process.stderr else ''}"
            try:
                return requests.get(f"{base}/api/health", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(answering, timeout=30, what="gunicorn to answer")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_gunicorn_serves_the_app_from_the_stacks_environment(served: str) -> None:
    with requests.Session() as http:
        signed_in = http.post(f"{served}/api/session", json={"username": "ann", "password": "a long password"})
        assert signed_in.status_code == 200
        assert "Secure" not in signed_in.headers["Set-Cookie"]  # the site (IMAGES_BASE_URL) is plain http
        assert http.get(f"{served}/api/me").json()["user"]["username"] == "ann"
        assert http.get(f"{served}/api/images").json() == {"items": [], "next": None}
