"""The image store: one item per uploaded key in DynamoDB, whose status moves
pending → processed | rejected | failed (the statuses and table names: handlers/contract.py). Every
write is conditional on the upload it is about, so a late or redelivered message never overwrites
what a newer upload of the same key recorded. Lists of records are read a page at a time from the
table's indexes (`ImageList`, `ImageStore.page`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal, cast

from handlers.contract import AWAITING, DELETED, FAILED, PENDING, REJECTED, ImagesTable, Record
from handlers.pipeline.uploads import Placement, Upload
from handlers.stores.image_record import ImageRecord, timestamp

FILTERED_BATCH: Final = 100
"""How many items a filtered list reads per query (an unfiltered one reads one more than it needs)."""

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class ImageList:
    """Whose images (`owner`; None: every owner's with review status `verdict`, through the review
    index), and the filters. One owner's images come from the owner index (hash owner, range
    uploaded_at); every owner's with a review status from the review index (hash review_status, range
    uploaded_at; sparse: only processed uploads carry a review). The other filters are filter
    expressions on the query."""

    owner: str | None
    status: str | None = None
    verdict: str | None = None

    def __post_init__(self) -> None:
        if self.owner is None and self.verdict is None:
            raise ValueError("a list of every owner's images is by review status")

    @property
    def index(self) -> str:
        return ImagesTable.OWNER_INDEX if self.owner is not None else ImagesTable.REVIEW_INDEX

    @property
    def hash_key(self) -> tuple[str, str]:
        """The index's hash key attribute and the value this list reads."""
        if self.owner is not None:
            return ImagesTable.OWNER, self.owner
        assert self.verdict is not None
        return ImagesTable.REVIEW_STATUS, self.verdict

    @property
    def filters(self) -> dict[str, str]:
        """The attributes the query filters on, and their values."""
        wanted = {Record.STATUS: self.status}
        if self.owner is not None:
            wanted[Record.REVIEW_STATUS] = self.verdict
        return {name: value for name, value in wanted.items() if value is not None}


IndexKey = tuple[str, str, str]
"""Where a list stands in its index: the image id, the hash key's value, the upload time."""


@dataclass(frozen=True)
class ImagePage:
    """Records of a list, newest first, and the index key of the last of them when more follow."""

    records: list[ImageRecord]
    last: IndexKey | None


# The statuses of an upload not yet finished (`:pending`, `:failed`): a failed one's message,
# redriven from its dead-letter queue, is tried again.
_UNFINISHED = {":pending": {"S": PENDING}, ":failed": {"S": FAILED}}
_WHY = (Record.REASON, Record.REJECTION_CODE)  # why an upload was rejected or failed


class ImageStore:
    """Reads and writes image records in one table through a boto3 DynamoDB client."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        # boto3 is imported with the first client (see handlers.runtime.stage), not with this module.
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self.table_name = table_name
        self.client = client
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def get(self, image_id: str) -> ImageRecord | None:
        key = {ImagesTable.KEY: {"S": image_id}}
        item = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True)
        return self.plain(item["Item"]) if "Item" in item else None

    def record_upload(
        self, upload: Upload, placement: Placement | None, status: str, fields: dict[str, Any] | None = None
    ) -> bool:
        """Write the record of `upload` (pending or rejected), replacing the record of an older upload of
        the same key, or of this one while pending or failed (a failed one's message, redriven from
        its dead-letter queue, is tried again). False, writing nothing, when a newer upload is already
        recorded, or this one was already taken past pending."""
        item = {**upload_fields(upload, placement, status, timestamp()), **(fields or {})}
        return self._conditional(
            lambda: self.client.put_item(
                TableName=self.table_name,
                Item={k: self._serialize(v) for k, v in item.items() if v is not None},
                ConditionExpression=(
                    "attribute_not_exists(#key) OR #order < :order "
                    "OR (#order = :order AND #status IN (:pending, :failed))"
                ),
                ExpressionAttributeNames={
                    "#key": ImagesTable.KEY,
                    "#status": Record.STATUS,
                    "#order": Record.UPLOAD_ORDER,
                },
                ExpressionAttributeValues={":order": {"S": upload.order}, **_UNFINISHED},
            )
        )

    def finish(self, upload: Upload, status: str, fields: dict[str, Any] | None = None) -> ImageRecord | None:
        """Move the pending (or failed, and tried again) record of exactly this upload to `status` with
        `fields`, and without an earlier failure's reason (`_WHY` not in `fields`); the record as it was
        before, or None (writing nothing) when the record is no longer this upload's, or is past them."""
        values = {**(fields or {}), Record.STATUS: status, Record.UPDATED_AT: timestamp()}
        expression, names = _set_and_remove(list(values), [name for name in _WHY if name not in values])
        return self._update(
            upload.image_id,
            "ALL_OLD",
            UpdateExpression=expression,
            ConditionExpression="#version = :version AND #status IN (:pending, :failed)",
            ExpressionAttributeNames={**names, "#status": Record.STATUS, "#version": Record.UPLOAD_VERSION},
            ExpressionAttributeValues={
                **{f":f{i}": self._serialize(value) for i, value in enumerate(values.values())},
                ":version": {"S": upload.version},
                **_UNFINISHED,
            },
        )

    def mark_deleted(self, image_id: str, order: str) -> ImageRecord | None:
        """Record that the upload of `image_id` was deleted (at `order`, see `Removal.order`); the
        record as it was, or None (writing nothing) when there is none, a newer upload is recorded,
        or the upload was rejected (its rejection removed it) or is already deleted."""
        now = timestamp()
        return self._update(
            image_id,
            "ALL_OLD",
            UpdateExpression="SET #status = :deleted, #deleted_at = :at, #updated_at = :at",
            ConditionExpression="#order < :order AND NOT (#status IN (:rejected, :deleted))",
            ExpressionAttributeNames={
                "#status": Record.STATUS,
                "#deleted_at": Record.DELETED_AT,
                "#updated_at": Record.UPDATED_AT,
                "#order": Record.UPLOAD_ORDER,
            },
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
                ExpressionAttributeNames={"#status": Record.STATUS, "#review": Record.REVIEW_STATUS},
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
    ) -> ImageRecord | None:
        """Set `fields` (a None value removes the field) on the record of `image_id`, and `order` at
        `order_field`, if the record exists in one of `statuses`, its upload is no newer than
        `published_at`, and nothing as new as `order` was written at `order_field` before. The record
        as it is after, or None (nothing written) when any of that does not hold."""
        values = {
            **{k: v for k, v in fields.items() if v is not None},
            order_field: order,
            Record.UPDATED_AT: timestamp(),
        }
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
                "#status": Record.STATUS,
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

    def page(self, images: ImageList, limit: int, after: IndexKey | None = None) -> ImagePage:
        """Up to `limit` records of `images` after the index key `after` (None: from the newest).

        DynamoDB applies `Limit` before the filter, so a filtered page may take several queries:
        they go on until the page has one record more than it shows (so `last` is None exactly when
        nothing follows) or the index is exhausted. `last` is the index key of the last record shown
        (not the query's LastEvaluatedKey, which may lie past records read but not shown), so each
        record appears exactly once across pages whatever their size."""
        if limit < 1:
            raise ValueError(f"limit {limit} is not 1 or more")
        hash_name, hash_value = images.hash_key
        names = {"#h": hash_name}
        values: dict[str, Any] = {":h": {"S": hash_value}}
        conditions = []
        for i, (name, value) in enumerate(images.filters.items()):
            names[f"#f{i}"], values[f":f{i}"] = name, {"S": value}
            conditions.append(f"#f{i} = :f{i}")
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": images.index,
            "KeyConditionExpression": "#h = :h",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if conditions:
            request["FilterExpression"] = " AND ".join(conditions)
        start = self._index_key(hash_name, after) if after is not None else None
        items: list[dict[str, Any]] = []
        while len(items) <= limit:
            wanted = limit + 1 - len(items)
            request["Limit"] = max(wanted, FILTERED_BATCH) if conditions else wanted
            if start:
                request["ExclusiveStartKey"] = start
            response = self.client.query(**request)
            items.extend(response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        shown = items[:limit]
        last = None
        if len(items) > limit:
            last = (shown[-1][ImagesTable.KEY]["S"], shown[-1][hash_name]["S"], shown[-1][ImagesTable.UPLOADED_AT]["S"])
        return ImagePage([self.plain(item) for item in shown], last)

    @staticmethod
    def _index_key(hash_name: str, key: IndexKey) -> dict[str, Any]:
        image_id, hash_value, uploaded_at = key
        return {
            ImagesTable.KEY: {"S": image_id},
            hash_name: {"S": hash_value},
            ImagesTable.UPLOADED_AT: {"S": uploaded_at},
        }

    def _update(self, image_id: str, returning: Literal["ALL_OLD", "ALL_NEW"], **request: Any) -> ImageRecord | None:
        """Apply a conditional update to the record of `image_id`: the record as `returning` says
        (ALL_OLD: as it was before; ALL_NEW: after), or None when the condition did not hold."""
        result: dict[str, Any] = {}

        def update() -> None:
            key = {ImagesTable.KEY: {"S": image_id}}
            result.update(
                self.client.update_item(TableName=self.table_name, Key=key, ReturnValues=returning, **request)
            )

        return self.plain(result["Attributes"]) if self._conditional(update) else None

    def plain(self, item: dict[str, Any]) -> ImageRecord:
        """A DynamoDB item as plain Python values (numbers as int where whole)."""
        return cast("ImageRecord", {key: _number(self._deserialize(value)) for key, value in item.items()})

    def _conditional(self, write: Any) -> bool:
        try:
            write()
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def upload_fields(upload: Upload, placement: Placement | None, status: str, now: str) -> dict[str, Any]:
    """What the record of `upload` says of it from the start, recorded `now` with `status`."""
    fields = {
        ImagesTable.KEY: upload.image_id,
        Record.SOURCE_BUCKET: upload.bucket,
        Record.SOURCE_KEY: upload.key,
        Record.SOURCE_ETAG: upload.etag,
        Record.SOURCE_SIZE: upload.size,
        Record.UPLOAD_ORDER: upload.order,
        Record.UPLOAD_VERSION: upload.version,
        ImagesTable.UPLOADED_AT: upload.event_time,
        Record.FILE_NAME: placement.file_name if placement else upload.key.rsplit("/", 1)[-1],
        Record.STATUS: status,
        Record.CREATED_AT: now,
        Record.UPDATED_AT: now,
    }
    if placement is not None:
        fields[ImagesTable.OWNER] = placement.owner
    return fields


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


def _set_and_remove(assigned: list[str], removed: list[str]) -> tuple[str, dict[str, str]]:
    """An UpdateExpression setting `assigned` (to the values `:f0`, `:f1`, … in order) and removing
    `removed`, and the attribute names it uses."""
    names = {f"#f{i}": name for i, name in enumerate(assigned)}
    expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(assigned)))
    if removed:
        names.update({f"#r{i}": name for i, name in enumerate(removed)})
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
    return expression, names
