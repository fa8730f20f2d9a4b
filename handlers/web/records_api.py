"""Image records as the API shows them, and the lists of them: a page at a time, newest first, each
list a DynamoDB Query on an index (never a Scan), continued by an opaque, tamper-evident cursor.

Which index a list reads (`Listing`): one owner's images come from the owner index (hash owner,
range uploaded_at); every owner's images with a given review status from the review index (hash
review_status, range uploaded_at; sparse: only processed uploads carry a review). The other filters
are filter expressions on the query.

DynamoDB applies `Limit` before the filter, so a filtered page may take several queries: they go on
until the page has one record more than it shows (so `next` is null exactly when nothing follows)
or the index is exhausted. The cursor is the index key of the last record shown (not the query's
LastEvaluatedKey, which may lie past records read but not shown), so each record appears exactly
once across pages whatever the page size.

The cursor is the key and the list it belongs to (caller, owner, filters), serialised and signed
with an HMAC under the app's secret key (itsdangerous, with a salt of its own): a cursor altered,
made up, signed under another key, or taken from another list or another caller's is refused
(`BadInput("cursor", ...)`). It is not encrypted: it shows the caller an image id, owner and upload
time they can see anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from itsdangerous import BadData, URLSafeSerializer

from handlers.contract import (
    PROCESSED,
    ImagesTable,
    Record,
)
from handlers.web.errors import BadInput

if TYPE_CHECKING:
    from handlers.stores.image_store import RecordStore

DEFAULT_LIMIT: Final = 24
MAX_LIMIT: Final = 100
FILTERED_BATCH: Final = 100
"""How many items a filtered list reads per query (an unfiltered one reads one more than it needs)."""
MAX_CURSOR: Final = 1024
CURSOR_SALT: Final = "imagepipe.images.cursor"

# What an API record shows, in this order: the record's own fields, then what is made of them.
FIELDS: Final = (
    ImagesTable.KEY,
    Record.FILE_NAME,
    Record.STATUS,
    Record.REASON,
    Record.CAPTION,
    Record.PHOTOGRAPHER,
    Record.DATE,
    Record.REVIEW_STATUS,
    Record.REVIEW_REASON,
    Record.REVIEWED_AT,
    ImagesTable.UPLOADED_AT,
    ImagesTable.OWNER,
    "source_size",
    "source_width",
    "source_height",
)
VARIANT_NAMES: Final = ("thumbnail", "optimized")


def api_record(record: dict[str, Any], images_base_url: str | None) -> dict[str, Any]:
    """The record as the API shows it: its public fields (None where absent), the variants'
    dimensions, and their URLs under `images_base_url` once processed (None before, or when the
    stack serves no URL). Internal fields (orders, versions, etags, keys) are not shown."""
    shown: dict[str, Any] = {name: record.get(name) for name in FIELDS}
    variants = record.get("variants")
    processed = record.get(Record.STATUS) == PROCESSED
    for name in VARIANT_NAMES:
        variant = variants.get(name) if isinstance(variants, dict) and processed else None
        variant = variant if isinstance(variant, dict) else {}
        shown[f"{name}_width"] = variant.get("width")
        shown[f"{name}_height"] = variant.get("height")
    for name in VARIANT_NAMES:
        key = record.get(f"{name}_key")
        url = None
        if processed and isinstance(key, str) and images_base_url:
            url = f"{images_base_url.rstrip('/')}/{key}"
        shown[f"{name}_url"] = url
    return shown


@dataclass(frozen=True)
class Listing:
    """One list: whose asking, whose images (`owner`; None: every owner's with review status
    `verdict`, through the review index), and the filters."""

    caller: str
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

    def binding(self) -> list[str | None]:
        """What a cursor of this list is bound to."""
        return [self.caller, self.owner, self.status, self.verdict]


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    next: str | None


class RecordLists:
    """Pages of image records, newest first, through the records' table and indexes."""

    def __init__(self, records: RecordStore, secret_key: bytes | str) -> None:
        self.records = records
        self.cursors = URLSafeSerializer(secret_key, salt=CURSOR_SALT)

    def page(self, listing: Listing, limit: int, cursor: str | None = None) -> Page:
        """Up to `limit` records of `listing` after `cursor` (None: from the newest), and the
        cursor of the next page (None when there is none)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit {limit} is not 1..{MAX_LIMIT}")
        hash_name, hash_value = listing.hash_key
        names = {"#h": hash_name}
        values: dict[str, Any] = {":h": {"S": hash_value}}
        conditions = []
        for i, (name, value) in enumerate(listing.filters.items()):
            names[f"#f{i}"], values[f":f{i}"] = name, {"S": value}
            conditions.append(f"#f{i} = :f{i}")
        request: dict[str, Any] = {
            "TableName": self.records.table_name,
            "IndexName": listing.index,
            "KeyConditionExpression": "#h = :h",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if conditions:
            request["FilterExpression"] = " AND ".join(conditions)
        start = self._start_key(listing, cursor) if cursor is not None else None
        items: list[dict[str, Any]] = []
        while len(items) <= limit:
            wanted = limit + 1 - len(items)
            batch = max(wanted, FILTERED_BATCH) if conditions else wanted
            request["Limit"] = batch
            if start:
                request["ExclusiveStartKey"] = start
            response = self.records.client.query(**request)
            items.extend(response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        shown = items[:limit]
        following = self._cursor(listing, shown[-1]) if len(items) > limit else None
        return Page([self.records.plain(item) for item in shown], following)

    def _cursor(self, listing: Listing, item: dict[str, Any]) -> str:
        hash_name, _ = listing.hash_key
        key = [item[ImagesTable.KEY]["S"], item[hash_name]["S"], item[ImagesTable.UPLOADED_AT]["S"]]
        return self.cursors.dumps({"list": listing.binding(), "key": key})

    def _start_key(self, listing: Listing, cursor: str) -> dict[str, Any]:
        """The index key a cursor continues after; BadInput naming `cursor` when it is not one this
        app made for this list."""
        if len(cursor) > MAX_CURSOR:
            raise BadInput("cursor", "not a cursor of this list")
        try:
            payload = self.cursors.loads(cursor)
        except BadData:
            raise BadInput("cursor", "not a cursor of this list (altered, or from elsewhere)") from None
        if not isinstance(payload, dict) or payload.get("list") != listing.binding():
            raise BadInput("cursor", "a cursor of another list: start again without one")
        key = payload.get("key")
        if not isinstance(key, list) or len(key) != 3 or not all(isinstance(part, str) for part in key):
            raise BadInput("cursor", "not a cursor of this list")
        hash_name, _ = listing.hash_key
        image_id, hash_value, uploaded_at = key
        return {
            ImagesTable.KEY: {"S": image_id},
            hash_name: {"S": hash_value},
            ImagesTable.UPLOADED_AT: {"S": uploaded_at},
        }
