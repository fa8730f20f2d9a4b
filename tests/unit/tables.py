"""The stack's DynamoDB tables as the unit tests make them in moto: keys and indexes from the
contract, as components/storage.py declares them (tests/unit/components check that side)."""

from __future__ import annotations

from typing import Any

from handlers.contract import FingerprintsTable, IdempotencyTable, ImagesTable, UsersTable


def create_images_table(dynamodb: Any, name: str) -> None:
    """The image records, with the owner's index and the reviewers' (by review status)."""
    indexes = ((ImagesTable.OWNER_INDEX, ImagesTable.OWNER), (ImagesTable.REVIEW_INDEX, ImagesTable.REVIEW_STATUS))
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": "S"}
            for attribute in (ImagesTable.KEY, ImagesTable.OWNER, ImagesTable.UPLOADED_AT, ImagesTable.REVIEW_STATUS)
        ],
        KeySchema=[{"AttributeName": ImagesTable.KEY, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": hash_key, "KeyType": "HASH"},
                    {"AttributeName": ImagesTable.UPLOADED_AT, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, hash_key in indexes
        ],
    )


def create_users_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": UsersTable.KEY, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": UsersTable.KEY, "KeyType": "HASH"}],
    )


def create_idempotency_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": IdempotencyTable.KEY, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": IdempotencyTable.KEY, "KeyType": "HASH"}],
    )


def create_fingerprints_table(dynamodb: Any, name: str) -> None:
    """The published images' fingerprints by band, then upload time and image id."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": key, "AttributeType": "S"} for key in (FingerprintsTable.KEY, FingerprintsTable.SORT)
        ],
        KeySchema=[
            {"AttributeName": FingerprintsTable.KEY, "KeyType": "HASH"},
            {"AttributeName": FingerprintsTable.SORT, "KeyType": "RANGE"},
        ],
    )
