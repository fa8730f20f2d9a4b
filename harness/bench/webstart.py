"""What the web function's cold start needs that the stage handlers' does not: AWS on its first call.

A stage handler's first call only makes its clients (`stage.prepare()`); the web function's first
request builds the app, which reads the session key from Secrets Manager, and a signed-in request
then reads the user and a page of their records from DynamoDB. So the cold start probes of
`handlers.web.lambda_entry` get a moto server on a loopback port (`AWS_ENDPOINT_URL`), holding what the deployed
function would find: the users and images tables, the session key's secret with its key already
made, a user and a page of their processed records. The probes send it API Gateway (REST, v1)
proxy events, as the deployed API does.

The signed-in request asks for one record (`limit=1`): moto takes about 12 ms to serialise each
record of a Query's answer (300 ms for the default page of 24, where DynamoDB takes a few ms), and
that is moto's cost, not the function's. The path through the app is the same for any page size.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.contract import Env, ImagesTable, UsersTable
from handlers.stores.user_store import UserStore
from harness.aws import AwsTarget
from harness.bench.seeding import put_records, seeded_records
from harness.deployed.loopback_ports import free_port

HANDLER = "handlers.web.lambda_entry"
USER, PASSWORD = "bench-photographer", "a bench password, long enough"
RECORDS = 30  # a full first page (24) and more


def proxy_event(
    method: str, path: str, body: Any = None, cookie: str | None = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    """A REST API proxy event, as API Gateway sends one to the function for `/{proxy+}`."""
    headers = {"Host": "api.bench.example", "X-Forwarded-Proto": "https", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if cookie is not None:
        headers["Cookie"] = cookie
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {"stage": "live", "path": f"/live{path}", "httpMethod": method, "requestId": "bench"},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def sign_in_event() -> dict[str, Any]:
    return proxy_event("POST", "/api/session", {"username": USER, "password": PASSWORD})


def session_cookie(set_cookie: str) -> str:
    """The `name=value` a client sends back for a `Set-Cookie` header."""
    return set_cookie.split(";", 1)[0].strip()


@dataclass(frozen=True)
class WebBackend:
    """The moto server's endpoint and what the web function's environment adds for it."""

    endpoint_url: str
    environment: dict[str, str]


def _create_tables(dynamodb: Any, images_table: str, users_table: str) -> None:
    """The two tables the web function reads, with the keys and the owner index of the contract."""
    dynamodb.create_table(
        TableName=users_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": UsersTable.KEY, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": UsersTable.KEY, "KeyType": "HASH"}],
    )
    dynamodb.create_table(
        TableName=images_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in (ImagesTable.KEY, ImagesTable.OWNER, ImagesTable.UPLOADED_AT)
        ],
        KeySchema=[{"AttributeName": ImagesTable.KEY, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": ImagesTable.OWNER_INDEX,
                "KeySchema": [
                    {"AttributeName": ImagesTable.OWNER, "KeyType": "HASH"},
                    {"AttributeName": ImagesTable.UPLOADED_AT, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


@contextmanager
def web_backend(images_table: str) -> Iterator[WebBackend]:
    """A moto server holding the web function's tables (the images table named `images_table`), a
    user with `RECORDS` processed images, and the session key's secret (empty: the first sign-in
    makes the key, as in a new stack); stopped on leaving."""
    from moto.server import ThreadedMotoServer  # a test tool: loaded only when the web probes run

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    requests_log = logging.getLogger("werkzeug")  # the server's line per request, not wanted here
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    server.start()
    try:
        target = AwsTarget(f"http://127.0.0.1:{port}")
        dynamodb, users_table = target.client("dynamodb"), "imagepipe-bench-users"
        _create_tables(dynamodb, images_table, users_table)
        UserStore(users_table, dynamodb).add(USER, PASSWORD)
        put_records(dynamodb, images_table, seeded_records(USER, RECORDS, "imagepipe-bench-images", datetime.now(UTC)))
        secret = target.client("secretsmanager").create_secret(Name="imagepipe-bench-session-key")["ARN"]
        yield WebBackend(
            target.endpoint_url,
            {
                "AWS_ENDPOINT_URL": target.endpoint_url,
                Env.USERS_TABLE: users_table,
                Env.SESSION_SECRET_ARN: secret,
                Env.IMAGES_BUCKET: "imagepipe-bench-images",
                Env.MAX_UPLOAD_BYTES: str(25 * 1024 * 1024),
                Env.IMAGES_BASE_URL: "https://cdn.bench.example",
            },
        )
    finally:
        server.stop()
        requests_log.setLevel(level)
