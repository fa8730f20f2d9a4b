"""Reading an upload's bytes from S3: exactly the version an event announced, or nothing."""

from __future__ import annotations

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


def read_upload(s3: S3Client, upload: Upload) -> bytes:
    """The bytes of `upload`, checked against its ETag so a newer upload of the key is never read."""
    try:
        if upload.etag:
            response = s3.get_object(Bucket=upload.bucket, Key=upload.key, IfMatch=upload.etag)
        else:
            response = s3.get_object(Bucket=upload.bucket, Key=upload.key)
        return response["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise UploadChanged(GONE) from None
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
            raise UploadChanged(STALE) from None
        raise
