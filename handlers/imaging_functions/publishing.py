"""Publishing (the enhance stage's logic): render an accepted upload into its optimized image (and its
narrower widths) and thumbnail, in JPEG/PNG and the stack's modern formats, write them under
`images/`, and record the image `processed`, listing every variant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.contract import AWAITING, FAILED, PENDING, PROCESSED, PUBLIC_PREFIX, REJECTED, VARIANTS, Record
from handlers.imaging import ImageRejected, Limits, Outputs, Rendition, Variant, VariantSizes, render
from handlers.imaging_functions.objects import UploadChanged, read_upload
from handlers.pipeline.outcome import STALE, Outcome
from handlers.pipeline.uploads import Upload
from handlers.stores.fingerprint_store import FingerprintStore, published_image
from handlers.stores.image_record import VariantRecord, rejected, timestamp
from handlers.stores.image_store import ImageStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Variant keys carry the upload's version, so a published key never changes content.
IMMUTABLE = "public, max-age=31536000, immutable"


def variant_prefix(variant: str, image_id: str) -> str:
    return f"{PUBLIC_PREFIX}{variant}/{image_id}-"


def variant_key(upload: Upload, variant: Variant) -> str:
    """images/<variant>/<image id>-<upload version>[-w<width>].<extension>"""
    narrower = f"-w{variant.width}" if variant.narrower else ""
    return f"{variant_prefix(variant.name, upload.image_id)}{upload.version}{narrower}.{variant.extension}"


def published_fields(published: list[VariantRecord], now: str, print_: str) -> dict[str, Any]:
    """What the record of an upload published `now` as the variants `published` (of each name, the
    JPEG/PNG one first), its pixels' fingerprint `print_`, says of them; each processed upload awaits
    its own review."""
    fields: dict[str, Any] = {Record.FINGERPRINT: print_}
    for variant in published:
        fields.setdefault(Record.key_of(variant.name), variant.key)
    fields[Record.VARIANTS] = [variant.fields() for variant in published]
    fields[Record.PROCESSED_AT] = now
    fields[Record.REVIEW_STATUS] = AWAITING
    return fields


@dataclass(frozen=True)
class Publishing:
    """How uploads are published: the variants' `sizes`, what `outputs` they are made in, and
    whether each keeps the photo's copyright notice (`keep_copyright`)."""

    sizes: VariantSizes = field(default_factory=VariantSizes)
    outputs: Outputs = field(default_factory=Outputs)
    keep_copyright: bool = True


class Publisher:
    """Renders pending uploads as `publishing` says, publishes them to the bucket they came from, and
    flags each that looks like an earlier image (`fingerprints`)."""

    def __init__(
        self, records: ImageStore, s3: S3Client, limits: Limits, publishing: Publishing, fingerprints: FingerprintStore
    ) -> None:
        self.records = records
        self.s3 = s3
        self.limits = limits
        self.publishing = publishing
        self.fingerprints = fingerprints

    def enhance(self, upload: Upload) -> Outcome:
        record = self.records.get(upload.image_id)
        if (
            record is None
            or record.get(Record.UPLOAD_VERSION) != upload.version
            or record.get(Record.STATUS) not in (PENDING, FAILED)  # failed: redriven, tried again
        ):
            return Outcome(upload.image_id, STALE)
        try:
            data = read_upload(self.s3, upload).data
        except UploadChanged as change:
            return Outcome(upload.image_id, change.outcome)
        publishing = self.publishing
        notice = record.get(Record.COPYRIGHT) if publishing.keep_copyright else None
        try:
            rendition = render(data, self.limits, publishing.sizes, publishing.outputs, notice)
        except ImageRejected as rejection:
            if self.records.finish(upload, REJECTED, rejected(rejection.reason, rejection.code)):
                self.s3.delete_object(Bucket=upload.bucket, Key=upload.key)
                return Outcome(upload.image_id, REJECTED, rejection.reason)
            return Outcome(upload.image_id, STALE)

        published = self._publish(upload, rendition)
        current = [variant.key for variant in published]
        fields = published_fields(published, timestamp(), rendition.fingerprint)
        filed = published_image({**record, **fields})
        fields[Record.DUPLICATE_OF] = self.fingerprints.earliest_match(filed, self._current) if filed else None
        if self.records.finish(upload, PROCESSED, fields) is None:
            self._remove(upload.bucket, current)  # a newer upload of the key took over meanwhile
            return Outcome(upload.image_id, STALE)
        if filed is not None:
            self.fingerprints.add(filed)
        self._remove_superseded(upload, current)
        return Outcome(upload.image_id, PROCESSED)

    def _current(self, image_id: str, print_: str) -> bool:
        """Whether image `image_id` is published with fingerprint `print_` (not replaced or deleted)."""
        record = self.records.get(image_id)
        return (
            record is not None and record.get(Record.STATUS) == PROCESSED and record.get(Record.FINGERPRINT) == print_
        )

    def fail(self, upload: Upload, reason: str) -> None:
        """Record that enhancing `upload` failed for good (its message goes to the dead-letter queue)."""
        self.records.finish(upload, FAILED, {Record.REASON: reason})

    def _publish(self, upload: Upload, rendition: Rendition) -> list[VariantRecord]:
        published = []
        for variant in rendition.variants:
            key = variant_key(upload, variant)
            self.s3.put_object(
                Bucket=upload.bucket,
                Key=key,
                Body=variant.data,
                ContentType=variant.content_type,
                CacheControl=IMMUTABLE,
            )
            published.append(
                VariantRecord(
                    variant.name,
                    variant.image_format,
                    key,
                    len(variant.data),
                    variant.width,
                    variant.height,
                    variant.content_type,
                )
            )
        return published

    def _remove_superseded(self, upload: Upload, current: list[str]) -> None:
        """Delete the variants published for earlier uploads of the same key."""
        for name in VARIANTS:
            listing = self.s3.list_objects_v2(Bucket=upload.bucket, Prefix=variant_prefix(name, upload.image_id))
            self._remove(upload.bucket, [o["Key"] for o in listing.get("Contents", []) if o["Key"] not in current])

    def _remove(self, bucket: str, keys: list[str]) -> None:
        if keys:
            self.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
