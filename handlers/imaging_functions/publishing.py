"""Publishing (the enhance stage's logic): render an accepted upload into its optimized image and
thumbnail, write them under `images/`, and record the image `processed`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers.contract import AWAITING, FAILED, PENDING, PROCESSED, PUBLIC_PREFIX, REJECTED, VARIANTS, Record
from handlers.imaging import ImageRejected, Limits, Rendition, Variant, VariantSizes, render
from handlers.imaging_functions.objects import UploadChanged, read_upload
from handlers.pipeline.outcome import STALE, Outcome
from handlers.pipeline.uploads import Upload
from handlers.stores.image_record import VariantRecord, rejected, timestamp
from handlers.stores.image_store import ImageStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Variant keys carry the upload's version, so a published key never changes content.
IMMUTABLE = "public, max-age=31536000, immutable"


def variant_prefix(variant: str, image_id: str) -> str:
    return f"{PUBLIC_PREFIX}{variant}/{image_id}-"


def published_fields(published: dict[str, VariantRecord], now: str) -> dict[str, Any]:
    """What the record of an upload published `now` as the variants `published` says of them; each
    processed upload awaits its own review."""
    fields: dict[str, Any] = {Record.key_of(name): variant.key for name, variant in published.items()}
    fields[Record.VARIANTS] = {name: variant.fields() for name, variant in published.items()}
    fields[Record.PROCESSED_AT] = now
    fields[Record.REVIEW_STATUS] = AWAITING
    return fields


class Publisher:
    """Renders pending uploads with `sizes` and publishes them to the bucket they came from."""

    def __init__(self, records: ImageStore, s3: S3Client, limits: Limits, sizes: VariantSizes) -> None:
        self.records = records
        self.s3 = s3
        self.limits = limits
        self.sizes = sizes

    def enhance(self, upload: Upload) -> Outcome:
        record = self.records.get(upload.image_id)
        if (
            record is None
            or record.get(Record.UPLOAD_VERSION) != upload.version
            or record.get(Record.STATUS) != PENDING
        ):
            return Outcome(upload.image_id, STALE)
        try:
            data = read_upload(self.s3, upload).data
        except UploadChanged as change:
            return Outcome(upload.image_id, change.outcome)
        try:
            rendition = render(data, self.limits, self.sizes)
        except ImageRejected as rejection:
            if self.records.finish(upload, REJECTED, rejected(rejection.reason, rejection.code)):
                self.s3.delete_object(Bucket=upload.bucket, Key=upload.key)
                return Outcome(upload.image_id, REJECTED, rejection.reason)
            return Outcome(upload.image_id, STALE)

        published = self._publish(upload, rendition)
        current = [variant.key for variant in published.values()]
        if self.records.finish(upload, PROCESSED, published_fields(published, timestamp())) is None:
            self._remove(upload.bucket, current)  # a newer upload of the key took over meanwhile
            return Outcome(upload.image_id, STALE)
        self._remove_superseded(upload, current)
        return Outcome(upload.image_id, PROCESSED)

    def fail(self, upload: Upload, reason: str) -> None:
        """Record that enhancing `upload` failed for good (its message goes to the dead-letter queue)."""
        self.records.finish(upload, FAILED, {Record.REASON: reason})

    def _publish(self, upload: Upload, rendition: Rendition) -> dict[str, VariantRecord]:
        published = {}
        for name in VARIANTS:
            variant: Variant = getattr(rendition, name)
            key = f"{variant_prefix(name, upload.image_id)}{upload.version}.{variant.extension}"
            self.s3.put_object(
                Bucket=upload.bucket,
                Key=key,
                Body=variant.data,
                ContentType=variant.content_type,
                CacheControl=IMMUTABLE,
            )
            published[name] = VariantRecord(key, len(variant.data), variant.width, variant.height, variant.content_type)
        return published

    def _remove_superseded(self, upload: Upload, current: list[str]) -> None:
        """Delete the variants published for earlier uploads of the same key."""
        for name in VARIANTS:
            listing = self.s3.list_objects_v2(Bucket=upload.bucket, Prefix=variant_prefix(name, upload.image_id))
            self._remove(upload.bucket, [o["Key"] for o in listing.get("Contents", []) if o["Key"] not in current])

    def _remove(self, bucket: str, keys: list[str]) -> None:
        if keys:
            self.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
