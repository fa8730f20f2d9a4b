"""Handlers against moto: a bucket, the two tables and the enhance queue, as the stack makes them."""

from __future__ import annotations

import base64
import importlib
import json
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest

from handlers.contract import PHOTOGRAPHER, REVIEWER, Env, UsersTable
from handlers.stores.user_store import UserStore, _scrypt
from tests.unit.tables import (
    create_fingerprints_table,
    create_idempotency_table,
    create_images_table,
    create_users_table,
)

BUCKET = "images"
IMAGES_TABLE, IDEMPOTENCY_TABLE, USERS_TABLE = "images", "idempotency", "users"
FINGERPRINTS_TABLE = "fingerprints"
PASSWORD = "correct horse battery staple"


@dataclass
class FakeContext:
    """The parts of Lambda's context object the handlers and Powertools use."""

    function_name: str = "imagepipe-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:imagepipe-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class Aws:
    s3: Any
    dynamodb: Any
    sqs: Any
    enhance_queue_url: str
    uploads: int = 0  # made so far: each is announced a millisecond after the one before

    def record(self, key: str) -> dict[str, Any] | None:
        from handlers.pipeline.uploads import image_id_for
        from handlers.stores.image_store import ImageStore

        return ImageStore(IMAGES_TABLE, self.dynamodb).get(image_id_for(key))

    def enhance_requests(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.enhance_queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    def upload(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """Put an object (with user `metadata`, the `x-amz-meta-*` headers) and return the S3 event
        notification announcing it."""
        extra = {"Metadata": metadata} if metadata is not None else {}
        etag = self.s3.put_object(Bucket=BUCKET, Key=key, Body=data, **extra)["ETag"].strip('"')
        self.uploads += 1
        return s3_event(key, len(data), etag, event_time=f"2026-11-22T10:00:00.{self.uploads:03d}Z")


def s3_event(key: str, size: int, etag: str, event_time: str = "2026-11-22T10:00:00.000Z") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "eventTime": event_time,
                "s3": {
                    "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": "0055AED6DCD90281E5",
                    },
                },
            }
        ]
    }


def s3_removed_event(key: str, event_time: str = "2026-11-22T10:00:30.000Z") -> dict[str, Any]:
    """The S3 event notification announcing that `key` was deleted."""
    event = s3_event(key, 0, "", event_time=event_time)
    event["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    del event["Records"][0]["s3"]["object"]["size"], event["Records"][0]["s3"]["object"]["eTag"]
    return event


def sqs_batch(*bodies: Any) -> dict[str, Any]:
    """An SQS event as the event source mapping delivers it (raw message bodies)."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:queue",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, mocked_aws: None) -> Aws:
    for name, value in {
        Env.IMAGES_TABLE: IMAGES_TABLE,
        Env.IDEMPOTENCY_TABLE: IDEMPOTENCY_TABLE,
        Env.FINGERPRINTS_TABLE: FINGERPRINTS_TABLE,
        Env.SERVICE_NAME: "test",
        Env.METRICS_NAMESPACE: "imagepipe-test",
        "AWS_LAMBDA_FUNCTION_NAME": "imagepipe-test",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    dynamodb = boto3.client("dynamodb")
    create_images_table(dynamodb, IMAGES_TABLE)
    create_idempotency_table(dynamodb, IDEMPOTENCY_TABLE)
    create_fingerprints_table(dynamodb, FINGERPRINTS_TABLE)
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="enhance")["QueueUrl"]
    monkeypatch.setenv(Env.ENHANCE_QUEUE_URL, queue_url)
    return Aws(s3, dynamodb, sqs, queue_url)


def fresh(module: str) -> ModuleType:
    """Import a handler module anew, so it reads the environment and makes its clients under moto."""
    return importlib.reload(importlib.import_module(module))


@pytest.fixture
def context() -> FakeContext:
    return FakeContext()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """`PASSWORD` hashed as `hash_password` does, at N=2^10 instead of 2^14."""
    n, r, p, salt = 2**10, 8, 1, b"test-salt-16byte"
    digest = _scrypt(PASSWORD, salt, n, r, p)
    return f"scrypt${n}${r}${p}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@pytest.fixture
def dynamodb(mocked_aws: None) -> Any:
    """moto's DynamoDB with the images table (and its indexes) in it."""
    client = boto3.client("dynamodb")
    create_images_table(client, IMAGES_TABLE)
    return client


@pytest.fixture
def users_table(dynamodb: Any, password_hash: str) -> str:
    create_users_table(dynamodb, USERS_TABLE)
    for name, role in (("alice", PHOTOGRAPHER), ("rita", REVIEWER)):
        dynamodb.put_item(
            TableName=USERS_TABLE,
            Item={
                UsersTable.KEY: {"S": name},
                "role": {"S": role},
                "password_hash": {"S": password_hash},
                "email": {"S": f"{name}@example.com"},
            },
        )
    return USERS_TABLE


@pytest.fixture
def users(users_table: str, dynamodb: Any) -> UserStore:
    return UserStore(users_table, dynamodb)
