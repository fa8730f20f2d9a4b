"""Removal (the removal stage's logic): an owner deleted an upload, so its published variants go,
its fingerprint is forgotten (no later upload is flagged as looking like it) and its record says
`deleted`.

A deletion counts only when it is newer than the upload its record is about (an older delete event
arriving late changes nothing), and never for a rejected upload (the rejection itself removed the
object). A deletion while the upload is still pending wins: enhance then finds the record no
longer pending and withdraws what it published.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.contract import AWAITING, DELETED, Record
from handlers.pipeline.outcome import STALE, Outcome
from handlers.pipeline.uploads import Removal
from handlers.stores.fingerprint_store import FingerprintStore, published_image
from handlers.stores.image_record import listed_variants
from handlers.stores.image_store import ImageStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class Remover:
    """Marks records deleted, removes their variants from the bucket and forgets their fingerprints."""

    def __init__(self, records: ImageStore, s3: S3Client, fingerprints: FingerprintStore) -> None:
        self.records = records
        self.s3 = s3
        self.fingerprints = fingerprints

    def remove(self, removal: Removal) -> Outcome:
        before = self.records.mark_deleted(removal.image_id, removal.order)
        if before is None:
            return Outcome(removal.image_id, STALE)
        if before.get(Record.REVIEW_STATUS) == AWAITING:
            self.records.withdraw_from_review(removal.image_id)
        variants = [variant["key"] for variant in listed_variants(before)]
        if variants:
            self.s3.delete_objects(
                Bucket=removal.bucket, Delete={"Objects": [{"Key": key} for key in variants], "Quiet": True}
            )
        if (filed := published_image(before)) is not None:
            self.fingerprints.remove(filed)
        return Outcome(removal.image_id, DELETED)
