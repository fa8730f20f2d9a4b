"""The web app against moto: the images and users tables as the stack makes them, the images bucket
(signing s3v4, as presigned POSTs need), a clock the test moves, and Flask's test client.

Two users are there from the start, `alice`, a photographer, and `rita`, a reviewer, both with the
password `PASSWORD`, hashed once per session and at a low scrypt cost (the hash records its cost,
so verifying it is quick too; users made through `UserStore.add` get the real cost).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from flask import Flask
from flask.testing import FlaskClient

from handlers.stores.image_store import ImageStore
from handlers.stores.user_store import UserStore
from handlers.web import WebSettings, create_app
from handlers.web.services import Services, s3_client
from tests.unit.handlers.conftest import IMAGES_TABLE, PASSWORD
from tests.unit.handlers.web.openapi_client import openapi_checked_clients  # noqa: F401 (autouse: every answer is held to the OpenAPI document)

BUCKET = "images"
MAX_UPLOAD_BYTES = 1_000_000  # not the default: the presigned policy must take the services' limit
SECRET_KEY = b"test-session-key-of-32-bytes-or-more"
SESSION_SECONDS = 3600
START = 1_800_000_000.0


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def s3(mocked_aws: None) -> Any:
    """moto's S3 with the images bucket, through a client that signs s3v4."""
    client = s3_client()
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def services(dynamodb: Any, users: UserStore, clock: Clock, s3: Any) -> Services:
    return Services(
        users=users,
        records=ImageStore(IMAGES_TABLE, dynamodb),
        clock=clock,
        s3=s3,
        images_bucket=BUCKET,
        max_upload_bytes=MAX_UPLOAD_BYTES,
    )


class Factory:
    """An S3 client factory, as the deployed app gives `Services`: answers `client`, counting calls."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.client


@pytest.fixture
def s3_factory(s3: Any) -> Factory:
    """A factory of the moto-backed S3 client, counting how often the app makes it."""
    return Factory(s3)


@pytest.fixture
def lazy_app(settings: WebSettings, services: Services, s3_factory: Factory) -> Flask:
    """The app as the deployed function builds it: the S3 client given as a factory, not a client."""
    return create_app(settings, replace(services, s3=None, s3_factory=s3_factory))


@pytest.fixture
def settings() -> WebSettings:
    return WebSettings(secret_key=SECRET_KEY, session_seconds=SESSION_SECONDS, secure_cookies=False)


@pytest.fixture
def app(settings: WebSettings, services: Services) -> Flask:
    return create_app(settings, services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign_in(client: FlaskClient, username: str = "alice", password: str = PASSWORD) -> Any:
    """POST /api/session; the response (the client keeps the cookie)."""
    return client.post("/api/session", json={"username": username, "password": password})


def csrf(client: FlaskClient, username: str = "alice") -> dict[str, str]:
    """Sign in and answer the CSRF header to send with state-changing requests."""
    response = sign_in(client, username)
    assert response.status_code == 200, response.get_json()
    return {"X-CSRF-Token": response.get_json()["csrf_token"]}


def put_record(dynamodb: Any, record: dict[str, Any]) -> None:
    """Write an image record into the images table as the stages leave one (None values left out)."""
    serialize = TypeSerializer().serialize
    item = {name: serialize(value) for name, value in record.items() if value is not None}
    dynamodb.put_item(TableName=IMAGES_TABLE, Item=item)
