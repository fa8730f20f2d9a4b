"""Reading an upload from S3: exactly the version an event announced (its bytes and the uploader's
user metadata), or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from handlers.pipeline.outcome import GONE, STALE
from handlers.pipeline.uploads import Upload

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class UploadChanged(Exception):
    """The key no longer holds the announced version (`outcome` STALE) or anything at all (GONE)."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class UploadUnreadable(PermissionError):
    """S3 refused to read an upload: the role may not, or (without leave to list) it is gone."""


@dataclass(frozen=True)
class UploadedObject:
    """An upload as read: its bytes and its user metadata (the `x-amz-meta-*` headers the uploader
    set, keys lower-case and without the prefix, as S3 returns them)."""

    data: bytes
    metadata: dict[str, str] = field(default_factory=dict)


def read_upload(s3: S3Client, upload: Upload) -> UploadedObject:
    """The object of `upload`, checked against its ETag so a newer upload of the key is never read."""
    try:
        if upload.etag:
            response = s3.get_object(Bucket=upload.bucket, Key=upload.key, IfMatch=upload.etag)
        else:
            response = s3.get_object(Bucket=upload.bucket, Key=upload.key)
        return UploadedObject(response["Body"].read(), dict(response.get("Metadata") or {}))
    except s3.exceptions.NoSuchKey:
        raise UploadChanged(GONE) from None
    except s3.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code in ("PreconditionFailed", "412"):
            raise UploadChanged(STALE) from None
        if code in ("AccessDenied", "403"):
            raise UploadUnreadable(
                f"S3 refused to read {upload.key} ({code}): the function's role may not read it, or the upload "
                "is gone and the role may not list uploads/ (S3 then answers 403, not 404)"
            ) from error
        raise
