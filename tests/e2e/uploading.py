"""Uploads into the deployed stack that belong to one test, and the clean-up after it.

Each test gets an owner of its own (`e2e-<8 hex digits>`), so its keys, records, notices and mail are
its own: no other test of the run, and no other run against a long-lived stack, sees them. What a
test uploaded (or adopted) is removed when it ends: the upload, the variants published for it under
`images/`, and its image record.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.contract import DELETED, PUBLIC_PREFIX, TERMINAL, UPLOAD_PREFIX, ImagesTable, Record
from handlers.pipeline.uploads import image_id_for
from handlers.stores.image_record import listed_variants
from handlers.stores.image_store import ImageStore
from harness.polling import TimedOut, wait_until

DEADLINE = 30.0  # seconds from upload to a terminal state, as the issue requires
SETTLE = 10.0  # seconds clean-up gives an upload the test did not see through to settle first
OCTET_STREAM = "application/octet-stream"
# The owner with an address in Pulumi.local.yaml (imagepipe:ownerEmails): the one owner tests share,
# for mail. Tests give their files under it unique names.
MAIL_OWNER, MAIL_ADDRESS = "mail-e2e", "mail-e2e@example.com"


def new_owner() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def timestamp() -> str:
    """Now as records store times (ISO 8601 UTC to the millisecond, `Z`), to compare with theirs."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Put:
    """One upload as sent: its key, the id of its record, and when it was sent (record time)."""

    key: str
    image_id: str
    since: str


class Uploads:
    """The `upload` fixture's maker: `upload(file_name, data, content_type)` uploads to
    `uploads/<owner>/<file_name>` and returns the record once it reaches a terminal state."""

    def __init__(self, stack: Any, owner: str) -> None:
        self.stack = stack
        self.owner = owner
        self._s3 = stack.target.client("s3")
        self._dynamodb = stack.target.client("dynamodb")
        self._records = ImageStore(stack.table, self._dynamodb)
        self._lock = threading.Lock()
        self._keys: dict[str, bool] = {}  # every key this test wrote → whether its outcome was seen

    def __call__(
        self,
        file_name: str,
        data: bytes,
        content_type: str = OCTET_STREAM,
        *,
        owner: str | None = None,
        timeout: float = DEADLINE,
    ) -> dict[str, Any]:
        return self.outcome(self.put(file_name, data, content_type, owner=owner), timeout=timeout)

    def key(self, file_name: str, owner: str | None = None) -> str:
        return f"{UPLOAD_PREFIX}{owner or self.owner}/{file_name}"

    def put(self, file_name: str, data: bytes, content_type: str = OCTET_STREAM, *, owner: str | None = None) -> Put:
        """Upload without waiting."""
        key = self.key(file_name, owner)
        self._track(key, seen=False)
        since = timestamp()
        self._s3.put_object(Bucket=self.stack.bucket, Key=key, Body=data, ContentType=content_type)
        return Put(key, image_id_for(key), since)

    def outcome(self, put: Put, timeout: float = DEADLINE) -> dict[str, Any]:
        """The record of `put` once it is terminal (processed, rejected or failed)."""

        def terminal() -> dict[str, Any] | None:
            record = self.record(put.key)
            if record and record["created_at"] >= put.since and record[Record.STATUS] in TERMINAL:
                return record
            return None

        record = wait_until(terminal, timeout=timeout, what=f"{put.key} to reach a terminal state {TERMINAL}")
        self._track(put.key, seen=True)
        return record

    def wait_for(self, key: str, status: str, timeout: float = DEADLINE) -> dict[str, Any]:
        """The record of `key` once its status is `status`."""

        def reached() -> dict[str, Any] | None:
            record = self.record(key)
            return record if record and record[Record.STATUS] == status else None

        record = wait_until(reached, timeout=timeout, what=f"the record of {key} to say {status}")
        self._track(key, seen=True)
        return record

    def record(self, key: str) -> dict[str, Any] | None:
        """The image record of `key` as plain values, or None."""
        return self._records.get(image_id_for(key))

    def adopt(self, key: str) -> None:
        """Remove `key` and what the pipeline made of it with this test's uploads (for uploads made
        by code under test, e.g. the benchmark's)."""
        if not key.startswith(UPLOAD_PREFIX):
            raise ValueError(f"{key!r} is not an upload key")
        self._track(key, seen=False)

    def _track(self, key: str, *, seen: bool) -> None:
        """Remember `key` for clean-up, and whether its latest upload was seen to its end."""
        with self._lock:
            self._keys[key] = seen

    # -- clean-up -------------------------------------------------------------------------------

    def remove_all(self) -> None:
        """Delete every upload this test made, the variants published for it and its record."""
        with self._lock:
            keys = dict(self._keys)
        self._let_settle([key for key, seen in keys.items() if not seen])
        errors: list[Exception] = []
        for key in keys:
            try:
                self._remove(key)
            except Exception as error:  # go on with the others; report the first at the end
                errors.append(error)
        if errors:
            raise errors[0]

    def _let_settle(self, keys: list[str]) -> None:
        """Give uploads still going through the pipeline (a test that failed early) a moment to reach
        a state nothing more follows, so nothing writes their record again after it is removed."""

        def settled(key: str) -> bool:
            record = self.record(key)
            return record is not None and (record[Record.STATUS] in TERMINAL or record[Record.STATUS] == DELETED)

        with contextlib.suppress(TimedOut):  # remove what is there anyway
            wait_until(lambda: all(settled(key) for key in keys), timeout=SETTLE, what="uploads to settle")

    def _remove(self, key: str) -> None:
        if self.stack.exists(key):
            self._s3.delete_object(Bucket=self.stack.bucket, Key=key)
        image_id = image_id_for(key)
        record = self.record(key) or {}
        variants = {record[field] for field in ("optimized_key", "thumbnail_key") if record.get(field)}
        variants |= {v["key"] for v in listed_variants(record)}
        variants |= self._published_for(image_id)  # also what an earlier upload of the key left
        outside = [variant for variant in variants if not variant.startswith(PUBLIC_PREFIX)]
        assert not outside, f"the record of {key} names variants outside {PUBLIC_PREFIX}: {outside}"
        if variants:
            self._s3.delete_objects(
                Bucket=self.stack.bucket, Delete={"Objects": [{"Key": v} for v in sorted(variants)], "Quiet": True}
            )
        self._dynamodb.delete_item(TableName=self.stack.table, Key={ImagesTable.KEY: {"S": image_id}})

    def _published_for(self, image_id: str) -> set[str]:
        """Keys under images/<variant>/<image id>-…, whatever the variants are called."""
        folders = self._s3.list_objects_v2(Bucket=self.stack.bucket, Prefix=PUBLIC_PREFIX, Delimiter="/")
        found: set[str] = set()
        for folder in folders.get("CommonPrefixes", []):
            listing = self._s3.list_objects_v2(Bucket=self.stack.bucket, Prefix=f"{folder['Prefix']}{image_id}-")
            found |= {item["Key"] for item in listing.get("Contents", [])}
        return found
