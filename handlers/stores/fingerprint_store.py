"""The fingerprint store: finds the earlier image an upload looks like, by DynamoDB Query (never a
Scan) of its fingerprint's bands (handlers/contract.py, FingerprintsTable; handlers/pipeline/likeness.py).

A published image has an item per band. Two fingerprints that match share a band, so the Queries
of an upload's bands find every earlier image it matches: each band's items of the scope, oldest
first, read until the first that matches (`matches`, on the whole fingerprint) and is still that
image's (the caller's `current` says: its record processed with that fingerprint). An item that is
no longer its image's (the key uploaded again, the image deleted before its items were) is deleted
when a lookup meets it. What a lookup reads depends on how many images of the scope share a band
with it, not on how many the scope has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handlers.contract import FingerprintsTable, ImagesTable, Record
from handlers.pipeline.likeness import bands, matches
from handlers.stores.batch_writes import write_all

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Published:
    """A published image as the store files it: whose, which, when, and its fingerprint."""

    owner: str
    image_id: str
    uploaded_at: str
    fingerprint: str
    file_name: str = ""

    @property
    def placed(self) -> str:
        return f"{self.uploaded_at}#{self.image_id}"


def published_image(record: Mapping[str, Any]) -> Published | None:
    """The image `record` files, when it is a processed one with a fingerprint (None otherwise)."""
    print_, owner, uploaded_at = (
        record.get(n) for n in (Record.FINGERPRINT, ImagesTable.OWNER, ImagesTable.UPLOADED_AT)
    )
    if not (isinstance(print_, str) and isinstance(owner, str) and isinstance(uploaded_at, str)):
        return None
    return Published(owner, str(record[ImagesTable.KEY]), uploaded_at, print_, str(record.get(Record.FILE_NAME, "")))


class FingerprintStore:
    """Files and finds fingerprints in one table; `across_owners` compares every owner's images,
    else each owner's with their own."""

    def __init__(self, table_name: str, client: DynamoDBClient, *, across_owners: bool = False) -> None:
        self.table_name = table_name
        self.client = client
        self.across_owners = across_owners
        self.reads = 0  # items read by lookups so far
        self.queries = 0  # the Queries they made
        self.read_units = 0.0  # the read capacity those Queries consumed, as DynamoDB reports it

    def earliest_match(self, image: Published, current: Callable[[str, str], bool]) -> str | None:
        """The id of the earliest image of `image`'s scope, published before it, that it looks like;
        `current(image_id, fingerprint)`: whether that image is published with that fingerprint."""
        found: str | None = None
        known: dict[tuple[str, str], bool] = {}  # one image turns up in each band it shares: asked once

        def current_once(image_id: str, print_: str) -> bool:
            if (image_id, print_) not in known:
                known[image_id, print_] = current(image_id, print_)
            return known[image_id, print_]

        for band in bands(image.fingerprint):
            first = self._first_match(self._band(image.owner, band), image, current_once)
            if first is not None and (found is None or first < found):
                found = first
        return found.split("#", 1)[1] if found is not None else None

    def add(self, image: Published) -> None:
        """File `image` under each of its bands."""
        write_all(self.client, self.table_name, self.put_requests(image))

    def put_requests(self, image: Published) -> list[dict[str, Any]]:
        """The BatchWriteItem PutRequests that file `image` under each of its bands."""
        return [
            {
                "PutRequest": {
                    "Item": {
                        FingerprintsTable.KEY: {"S": band},
                        FingerprintsTable.SORT: {"S": image.placed},
                        ImagesTable.KEY: {"S": image.image_id},
                        Record.FINGERPRINT: {"S": image.fingerprint},
                        Record.FILE_NAME: {"S": image.file_name},
                    }
                }
            }
            for band in self._bands(image)
        ]

    def remove(self, image: Published) -> None:
        """Forget `image` (deleted, or replaced by a new upload of its key)."""
        write_all(
            self.client,
            self.table_name,
            [
                {
                    "DeleteRequest": {
                        "Key": {FingerprintsTable.KEY: {"S": band}, FingerprintsTable.SORT: {"S": image.placed}}
                    }
                }
                for band in self._bands(image)
            ],
        )

    def _bands(self, image: Published) -> list[str]:
        return [self._band(image.owner, band) for band in bands(image.fingerprint)]

    def _band(self, owner: str, band: str) -> str:
        scope = "all" if self.across_owners else f"owner:{owner}"
        return f"{scope}#{band}"

    def _first_match(self, band: str, image: Published, current: Callable[[str, str], bool]) -> str | None:
        """The `placed` of the oldest current item of `band` before `image` whose fingerprint matches it."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#band = :band AND #placed < :placed",
            "ExpressionAttributeNames": {"#band": FingerprintsTable.KEY, "#placed": FingerprintsTable.SORT},
            "ExpressionAttributeValues": {":band": {"S": band}, ":placed": {"S": image.placed}},
            "ReturnConsumedCapacity": "TOTAL",
        }
        while True:
            response = self.client.query(**request)
            self.queries += 1
            self.read_units += response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
            for item in response.get("Items", []):
                self.reads += 1
                other, print_ = item[ImagesTable.KEY]["S"], item[Record.FINGERPRINT]["S"]
                if other == image.image_id or not matches(print_, image.fingerprint):
                    continue
                if current(other, print_):
                    return item[FingerprintsTable.SORT]["S"]
                key = {name: item[name] for name in (FingerprintsTable.KEY, FingerprintsTable.SORT)}
                self.client.delete_item(TableName=self.table_name, Key=key)  # no longer that image's
            if "LastEvaluatedKey" not in response:
                return None
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
