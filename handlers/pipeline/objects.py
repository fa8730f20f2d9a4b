"""Reading an upload's bytes from S3: exactly the version an event announced, or nothing."""

from __future__ import annotations

from typing import Any

from handlers.pipeline.outcome import GONE, STALE
from handlers.pipeline.uploads import Upload


class UploadChanged(Exception):
    """The key no longer holds the announced version (`outcome` STALE) or anything at all (GONE)."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def read_upload(s3: Any, upload: Upload) -> bytes:
    """The bytes of `upload`, checked against its ETag so a newer upload of the key is never read."""
    conditions = {"IfMatch": upload.etag} if upload.etag else {}
    try:
        return s3.get_object(Bucket=upload.bucket, Key=upload.key, **conditions)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise UploadChanged(GONE) from None
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
            raise UploadChanged(STALE) from None
        raise
