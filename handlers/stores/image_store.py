"""Image records in DynamoDB: one item per uploaded key, whose status moves
pending → processed | rejected | failed (the statuses and table names: handlers/contract.py). Every
write is conditional on the upload it is about, so a late or redelivered message never overwrites
what a newer upload of the same key recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from handlers.contract import AWAITING, DELETED, PENDING, REJECTED, ImagesTable, Record
from handlers.pipeline.uploads import Placement, Upload

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class VariantRecord:
    """A published rendition of an image: where it is and what it is."""

    key: str
    bytes: int
    width: int
    height: int
    content_type: str


class RecordStore:
    """Reads and writes image records in one table through a boto3 DynamoDB client."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        # boto3 is imported with the first client (see handlers.stage), not with this module.
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self.table_name = table_name
        self.client = client
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def get(self, image_id: str) -> dict[str, Any] | None:
        key = {ImagesTable.KEY: {"S": image_id}}
        item = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True)
        return self.plain(item["Item"]) if "Item" in item else None

    def record_upload(self, upload: Upload, placement: Placement | None, status: str, **fields: Any) -> bool:
        """Write the record of `upload` (pending or rejected), replacing the record of an older upload of
        the same key. False, writing nothing, when a newer upload is already recorded, or this one was
        already taken past pending."""
        now = timestamp()
        item = {
            ImagesTable.KEY: upload.image_id,
            "source_bucket": upload.bucket,
            "source_key": upload.key,
            "source_etag": upload.etag,
            "source_size": upload.size,
            "upload_order": upload.order,
            "upload_version": upload.version,
            ImagesTable.UPLOADED_AT: upload.event_time,
            "file_name": placement.file_name if placement else upload.key.rsplit("/", 1)[-1],
            "status": status,
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        if placement is not None:
            item[ImagesTable.OWNER] = placement.owner
        return self._conditional(
            lambda: self.client.put_item(
                TableName=self.table_name,
                Item={k: self._serialize(v) for k, v in item.items() if v is not None},
                ConditionExpression=(
                    "attribute_not_exists(#key) OR upload_order < :order"
                    " OR (upload_order = :order AND #status = :pending)"
                ),
                ExpressionAttributeNames={"#key": ImagesTable.KEY, "#status": "status"},
                ExpressionAttributeValues={":order": {"S": upload.order}, ":pending": {"S": PENDING}},
            )
        )

    def finish(self, upload: Upload, status: str, **fields: Any) -> dict[str, Any] | None:
        """Move the pending record of exactly this upload to `status` with `fields`; the record as it
        was before, or None (writing nothing) when the record is no longer this upload's pending one."""
        values = {**fields, "status": status, "updated_at": timestamp()}
        names = {f"#f{i}": name for i, name in enumerate(values)}
        assignments = ", ".join(f"#f{i} = :f{i}" for i in range(len(values)))
        return self._update(
            upload.image_id,
            "ALL_OLD",
            UpdateExpression=f"SET {assignments}",
            ConditionExpression="upload_version = :version AND #status = :pending",
            ExpressionAttributeNames={**names, "#status": "status"},
            ExpressionAttributeValues={
                **{f":f{i}": self._serialize(value) for i, value in enumerate(values.values())},
                ":version": {"S": upload.version},
                ":pending": {"S": PENDING},
            },
        )

    def mark_deleted(self, image_id: str, order: str) -> dict[str, Any] | None:
        """Record that the upload of `image_id` was deleted (at `order`, see `Removal.order`); the
        record as it was, or None (writing nothing) when there is none, a newer upload is recorded,
        or the upload was rejected (its rejection removed it) or is already deleted."""
        now = timestamp()
        return self._update(
            image_id,
            "ALL_OLD",
            UpdateExpression="SET #status = :deleted, deleted_at = :at, updated_at = :at",
            ConditionExpression="upload_order < :order AND NOT (#status IN (:rejected, :deleted))",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":deleted": {"S": DELETED},
                ":rejected": {"S": REJECTED},
                ":order": {"S": order},
                ":at": {"S": now},
            },
        )

    def withdraw_from_review(self, image_id: str) -> bool:
        """A deleted image no longer awaits review: drop its `awaiting` review status (a verdict
        given before the deletion stays, for the history). False when there was nothing to drop."""
        return self._conditional(
            lambda: self.client.update_item(
                TableName=self.table_name,
                Key={ImagesTable.KEY: {"S": image_id}},
                UpdateExpression="REMOVE #review",
                ConditionExpression="#status = :deleted AND #review = :awaiting",
                ExpressionAttributeNames={"#status": "status", "#review": Record.REVIEW_STATUS},
                ExpressionAttributeValues={":deleted": {"S": DELETED}, ":awaiting": {"S": AWAITING}},
            )
        )

    def update_if_newer(
        self,
        image_id: str,
        fields: dict[str, Any],
        *,
        order_field: str,
        order: str,
        published_at: str,
        statuses: tuple[str, ...],
    ) -> dict[str, Any] | None:
        """Set `fields` (a None value removes the field) on the record of `image_id`, and `order` at
        `order_field`, if the record exists in one of `statuses`, its upload is no newer than
        `published_at`, and nothing as new as `order` was written at `order_field` before. The record
        as it is after, or None (nothing written) when any of that does not hold."""
        values = {**{k: v for k, v in fields.items() if v is not None}, order_field: order, "updated_at": timestamp()}
        removed = [k for k, v in fields.items() if v is None]
        names = {f"#f{i}": name for i, name in enumerate([*values, *removed])}
        update = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(values)))
        if removed:
            update += " REMOVE " + ", ".join(f"#f{len(values) + i}" for i in range(len(removed)))
        allowed = {f":s{i}": {"S": status} for i, status in enumerate(statuses)}
        return self._update(
            image_id,
            "ALL_NEW",
            UpdateExpression=update,
            ConditionExpression=(
                f"attribute_exists(#key) AND #status IN ({', '.join(allowed)}) AND #uploaded <= :published"
                " AND (attribute_not_exists(#order) OR #order < :order)"
            ),
            ExpressionAttributeNames={
                **names,
                "#key": ImagesTable.KEY,
                "#status": "status",
                "#uploaded": ImagesTable.UPLOADED_AT,
                "#order": order_field,
            },
            ExpressionAttributeValues={
                **{f":f{i}": self._serialize(value) for i, value in enumerate(values.values())},
                **allowed,
                ":published": {"S": published_at},
                ":order": {"S": order},
            },
        )

    def _update(self, image_id: str, returning: Literal["ALL_OLD", "ALL_NEW"], **request: Any) -> dict[str, Any] | None:
        """Apply a conditional update to the record of `image_id`: the record as `returning` says
        (ALL_OLD: as it was before; ALL_NEW: after), or None when the condition did not hold."""
        result: dict[str, Any] = {}

        def update() -> None:
            key = {ImagesTable.KEY: {"S": image_id}}
            result.update(
                self.client.update_item(TableName=self.table_name, Key=key, ReturnValues=returning, **request)
            )

        return self.plain(result["Attributes"]) if self._conditional(update) else None

    def plain(self, item: dict[str, Any]) -> dict[str, Any]:
        """A DynamoDB item as plain Python values (numbers as int where whole)."""
        return {key: _number(self._deserialize(value)) for key, value in item.items()}

    def _conditional(self, write: Any) -> bool:
        try:
            write()
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def timestamp() -> str:
    """Now, as records store times: ISO 8601 UTC to the millisecond, `Z`-suffixed."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value
