"""Uploads: `POST /api/uploads` answers a presigned POST with which the browser sends one image
straight to the images bucket, at `uploads/<caller>/<file name>`; the pipeline takes it from there.

The request is JSON `{"file_name", "content_type"[, "replace"]}`:

- `file_name` is what the browser calls the file; it is made safe (`handlers.web.file_names`: no
  directories, control characters or leading dots, at most 255 bytes, the extension kept) and must
  end in `.jpg`/`.jpeg` for `image/jpeg` or `.png` for `image/png`;
- `content_type` is `image/jpeg` or `image/png`, the only kinds the pipeline takes (it identifies the
  bytes itself later and rejects anything else, whatever the upload claimed);
- `replace` (default false) says what happens when the caller has an image of that name already.
  The image id is the key's (`handlers.pipeline.uploads.image_id_for`), so a second upload to the
  same key is a new version of the same image: its record starts over from the new file (metadata
  from it, the review awaiting again). That is never done by accident: without `replace` a name in
  use is numbered like a file manager's copy, `cat.jpg`, `cat (2).jpg`, `cat (3).jpg`, ... and the
  answer's `key` says which was chosen. With `replace: true` the name is kept as it is.

A name counts as in use while its object is in the bucket (uploaded, or waiting for the pipeline);
a rejected or deleted upload's name is free again. Two requests for the same name at the same moment
may both be given it: the later upload is then a new version of the image, as with `replace`.

The answer is `{"url", "fields", "key", "image_id", "expires_in", "max_bytes"}`: the client POSTs a
multipart form of every `fields` entry and then `file` to `url` within `expires_in` seconds. The
policy S3 checks allows that one key exactly, that content type exactly, and 1 to `max_bytes` bytes
(the stack's `MAX_UPLOAD_BYTES`); `image_id` is the record's id to follow it at `/api/images/<id>`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from handlers.contract import UPLOAD_PREFIX
from handlers.pipeline.uploads import image_id_for
from handlers.web.auth import current_user
from handlers.web.errors import ApiError, BadInput
from handlers.web.file_names import UnsafeFileName, numbered, safe_file_name, split_extension
from handlers.web.json_body import json_object
from handlers.web.services import services

if TYPE_CHECKING:
    from handlers.web.services import Bucket

uploads = Blueprint("uploads", __name__)
log = logging.getLogger(__name__)

EXPIRES_SECONDS: Final = 300
"""How long a presigned POST may be used: long enough to start sending a large file on a slow line."""
EXTENSIONS: Final = {"image/jpeg": ("jpg", "jpeg"), "image/png": ("png",)}
"""The content types an upload may have, and the extensions its name may end in for each."""
MAX_NUMBERED: Final = 20
"""How far a name in use is numbered before the caller is asked for another name."""
FIELDS: Final = ("file_name", "content_type", "replace")
MAX_GIVEN_NAME: Final = 4096
"""The longest file name taken in (in characters, before it is made safe and cut to 255 bytes)."""


@dataclass(frozen=True)
class UploadRequest:
    """What a caller asks to upload: a safe file name, its content type, and whether to replace."""

    file_name: str
    content_type: str
    replace: bool = False


@uploads.post("/uploads")
def presign_upload() -> ResponseReturnValue:
    user = current_user()
    asked = upload_request(json_object(FIELDS))
    bucket = services().bucket
    max_bytes = services().max_upload_bytes
    key = upload_key(bucket, user.username, asked.file_name, replace=asked.replace)
    post = presigned_post(bucket, key, asked.content_type, max_bytes)
    log.info("upload presigned: %r for %r (%s)", key, user.username, asked.content_type)
    return jsonify(
        url=post["url"],
        fields=post["fields"],
        key=key,
        image_id=image_id_for(key),
        expires_in=EXPIRES_SECONDS,
        max_bytes=max_bytes,
    )


def upload_request(body: dict[str, Any]) -> UploadRequest:
    """The upload a request body asks for; `BadInput` naming the field that is wrong."""
    given = body.get("file_name")
    if not isinstance(given, str) or not 1 <= len(given) <= MAX_GIVEN_NAME:
        raise BadInput("file_name", f"the file's name, a string of 1 to {MAX_GIVEN_NAME} characters")
    content_type = body.get("content_type")
    if not isinstance(content_type, str) or content_type.strip().lower() not in EXTENSIONS:
        raise BadInput("content_type", f"one of {', '.join(EXTENSIONS)} (the pipeline takes JPEG and PNG only)")
    content_type = content_type.strip().lower()
    replace = body.get("replace", False)
    if not isinstance(replace, bool):
        raise BadInput("replace", "true or false")
    try:
        file_name = safe_file_name(given)
    except UnsafeFileName as problem:
        raise BadInput("file_name", str(problem)) from None
    _, extension = split_extension(file_name)
    allowed = EXTENSIONS[content_type]
    if extension is None or extension.lower() not in allowed:
        endings = " or ".join(f".{ending}" for ending in allowed)
        raise BadInput("file_name", f"{file_name!r} must end in {endings} for {content_type}")
    return UploadRequest(file_name, content_type, replace)


def upload_key(bucket: Bucket, owner: str, file_name: str, *, replace: bool = False) -> str:
    """`uploads/<owner>/<file_name>`, or with `replace` false and that name in use, the first of
    its numbered names not in use; a 409 `ApiError` naming `file_name` when `MAX_NUMBERED` are."""
    for number in range(1, MAX_NUMBERED + 1):
        key = f"{UPLOAD_PREFIX}{owner}/{numbered(file_name, number)}"
        if replace or not _in_use(bucket, key):
            return key
    raise ApiError(
        f"file_name: {MAX_NUMBERED} of your images are named like {file_name!r} already: "
        "choose another name, or send replace: true to upload a new version of it",
        status=409,
        error="conflict",
    )


def presigned_post(bucket: Bucket, key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
    """A presigned POST (`{"url", "fields"}`) for exactly `key`, exactly `content_type`, 1 to
    `max_bytes` bytes, usable for `EXPIRES_SECONDS`."""
    return bucket.s3.generate_presigned_post(
        Bucket=bucket.name,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            ["eq", "$key", key],
            ["eq", "$Content-Type", content_type],
            ["content-length-range", 1, max_bytes],
        ],
        ExpiresIn=EXPIRES_SECONDS,
    )


def _in_use(bucket: Bucket, key: str) -> bool:
    """Whether the bucket holds an object at `key` (a List with it as the prefix: the key itself
    sorts first; List needs no read permission on the objects, and answers the same for a missing
    key whatever the caller may read)."""
    listed = bucket.s3.list_objects_v2(Bucket=bucket.name, Prefix=key, MaxKeys=1)
    return any(entry.get("Key") == key for entry in listed.get("Contents", []))
