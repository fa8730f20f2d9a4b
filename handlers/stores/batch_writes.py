"""Writing many items at once: BatchWriteItem in batches of its most, sending again what DynamoDB
left unprocessed until nothing is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH: Final = 25  # BatchWriteItem's most


def write_all(client: DynamoDBClient, table_name: str, requests: Sequence[dict[str, Any]]) -> None:
    """Every put or delete request in `requests` (BatchWriteItem's shape) done on `table_name`."""
    for start in range(0, len(requests), BATCH):
        pending: dict[str, Any] = {table_name: list(requests[start : start + BATCH])}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
