"""The stack's DynamoDB tables as the unit tests make them in moto: keys and indexes from the
contract, as components/storage.py declares them (tests/unit/components check that side)."""

from __future__ import annotations

from typing import Any

from handlers.contract import FingerprintsTable, IdempotencyTable, ImagesTable, MailOutboxTable, UsersTable


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
    _create_sorted_table(dynamodb, name, FingerprintsTable.KEY, FingerprintsTable.SORT)


def create_mail_outbox_table(dynamodb: Any, name: str) -> None:
    """Notices waiting for their digest, by digest, then the notice's id."""
    _create_sorted_table(dynamodb, name, MailOutboxTable.KEY, MailOutboxTable.SORT)


def _create_sorted_table(dynamodb: Any, name: str, key: str, sort: str) -> None:
    """A table of string keys: `key`, then `sort`."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": attribute, "AttributeType": "S"} for attribute in (key, sort)],
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}, {"AttributeName": sort, "KeyType": "RANGE"}],
    )
