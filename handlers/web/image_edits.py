"""The images API, write side: edit an image's metadata, give a reviewer's verdict, delete an upload.

- `PATCH /api/images/<id>` takes any of `{"caption", "date", "photographer"}` (at least one) and
  answers 200 with the record as it now is.
- `POST /api/images/<id>/review` takes `{"status": "Pass" | "Reject", "reason"}` (the words of the
  review command; a rejection needs a reason) and answers 200 with the record as it now is.
- `DELETE /api/images/<id>` removes the upload's object from the bucket and answers 202 with the
  record; the removal stage then marks it `deleted` and removes its variants.

Edits and verdicts go through the one implementation of commands (`handlers.pipeline.command_desk`): the
request becomes the message an SNS publisher would send (`Published`, its publish time the request's
time by `Services.clock`, its id a fresh uuid4), validated by `metadata_edit` / `verdict` and applied
by `Commands`, under the same rules as a command from the events topic. A PATCH validates every
field before it applies any: a bad one is 400 naming it with the command's reason, and nothing is
applied. As on the topic, the newest command per field wins: an edit that a newer one overtook in
the meantime changes nothing, and the answer shows the record as it is.

Who may do what (DESIGN: photographers own their images; reviewers see every image and review):

- a photographer edits and deletes their own images; another owner's image is 404, exactly as a
  missing one, as on the read side;
- a reviewer edits and deletes their own images too; another owner's image, which they can see, is
  403 (metadata is the owner's, and a reviewer acts on it with a verdict, not by changing it);
- only reviewers give verdicts (a photographer is 403, whatever the image), on any owner's image.

States: an edit lands on a pending, processed or failed image, a verdict on a processed one; any
other is 409 with the command's reason. A deleted image, or a rejected upload (its rejection removed
the object already), cannot be deleted: 409 (not 404: the record is still there for its owner to
read, with its status).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from handlers.contract import DELETED, METADATA_FIELDS, REJECTED, VERDICTS, ImagesTable, Record
from handlers.pipeline.command_desk import CommandRejected, MetadataEdit, Sent, metadata_edit, verdict
from handlers.stores.image_record import ImageRecord, timestamp
from handlers.web.auth import current_user
from handlers.web.errors import ApiError, BadInput, Forbidden, NoSuchImage
from handlers.web.images import MAX_IMAGE_ID
from handlers.web.json_body import json_object
from handlers.web.records_api import api_record
from handlers.web.services import services

if TYPE_CHECKING:
    from collections.abc import Callable

    from handlers.pipeline.command_desk import Result
    from handlers.stores.user_store import User

image_edits = Blueprint("image_edits", __name__)
log = logging.getLogger(__name__)

EDITABLE: Final = (Record.CAPTION, Record.DATE, Record.PHOTOGRAPHER)
"""The fields a PATCH may set (the API's names are the record's)."""
METADATA_TYPES: Final = {field: name for name, field in reversed(METADATA_FIELDS.items())}
"""The `metadata_type` of the command that sets each field: the first the contract names for it
(reversed, so the first overwrites the others), e.g. `Photographer`, not its aliases `name`/`Name`."""
REVIEW_FIELDS: Final = ("status", "reason")


@image_edits.patch("/images/<image_id>")
def edit_image(image_id: str) -> ResponseReturnValue:
    user = current_user()
    body = json_object(EDITABLE)
    if not body:
        raise BadInput("body", f"at least one of {', '.join(EDITABLE)}")
    _owned_record(user, image_id, "edit")
    now = services().clock()
    edits = [_edit(image_id, field, body[field], now) for field in EDITABLE if field in body]
    results = [_apply(image_id, partial(services().commands.edit, edit)) for edit in edits]
    log.info("image %s edited by %r: %s", image_id, user.username, ", ".join(edit.field for edit in edits))
    return jsonify(api_record(_written(results[-1]), services().images_base_url))


@image_edits.post("/images/<image_id>/review")
def review_image(image_id: str) -> ResponseReturnValue:
    user = current_user()
    if not user.is_reviewer:
        raise Forbidden("only reviewers give verdicts")
    body = json_object(REVIEW_FIELDS)
    _record(image_id)
    now = services().clock()
    try:
        given = verdict({"id": image_id, "update": body}, _sent(now), _moment(now), services().date_order)
    except CommandRejected as rejection:
        status = body.get("status")
        field = "reason" if isinstance(status, str) and status in VERDICTS else "status"  # status is checked first
        raise BadInput(field, rejection.reason) from None
    result = _apply(image_id, partial(services().commands.review, given))
    log.info("image %s reviewed by %r: %s", image_id, user.username, given.status)
    return jsonify(api_record(_written(result), services().images_base_url))


@image_edits.delete("/images/<image_id>")
def delete_image(image_id: str) -> ResponseReturnValue:
    user = current_user()
    record = _owned_record(user, image_id, "delete")
    status = record.get(Record.STATUS)
    if status == DELETED:
        raise ApiError(f"image {image_id} is deleted already", status=409, error="conflict")
    if status == REJECTED:
        raise ApiError(f"image {image_id} was rejected, and its upload removed then", status=409, error="conflict")
    bucket = services().bucket
    bucket.s3.delete_object(Bucket=bucket.name, Key=record[Record.SOURCE_KEY])
    log.info("image %s deleted by %r: %s", image_id, user.username, record[Record.SOURCE_KEY])
    return jsonify(api_record(record, services().images_base_url)), 202


def _sent(now: float) -> Sent:
    """A command the API sends at `now` (seconds since the epoch): a fresh id, and the time."""
    return Sent(str(uuid.uuid4()), published_time(now))


def published_time(now: float) -> str:
    """`now` (seconds since the epoch) as SNS writes a Timestamp, and records their times."""
    return timestamp(_moment(now))


def _edit(image_id: str, field: str, value: Any, now: float) -> MetadataEdit:
    """The command setting `field` to `value`, validated; `BadInput` naming the field otherwise."""
    try:
        command = {"id": image_id, "value": value}
        return metadata_edit(command, METADATA_TYPES[field], _sent(now), _moment(now), services().date_order)
    except CommandRejected as rejection:
        raise BadInput(field, rejection.reason) from None


def _apply(image_id: str, command: Callable[[], Result]) -> Result:
    """Run a command on the record of `image_id`: 409 with the command's reason when the record's
    state does not take it, 404 when the record went away in the meantime."""
    try:
        return command()
    except CommandRejected as rejection:
        _record(image_id)
        raise ApiError(rejection.reason, status=409, error="conflict") from None


def _written(result: Result) -> ImageRecord:
    """The record as the command left it: as its write returned it, or, when a newer command or
    upload was recorded first (nothing written), as it is now."""
    return result.record if result.record is not None else _record(result.image_id)


def _record(image_id: str) -> ImageRecord:
    """The record of `image_id`; 404 when there is none."""
    record = services().records.get(image_id) if len(image_id) <= MAX_IMAGE_ID else None
    if record is None:
        raise NoSuchImage(image_id)
    return record


def _owned_record(user: User, image_id: str, doing: str) -> ImageRecord:
    """The record of `image_id` when `user` owns it. Another owner's is 404 as a missing one for a
    photographer (they cannot see it), 403 for a reviewer (they can)."""
    record = _record(image_id)
    if record.get(ImagesTable.OWNER) != user.username:
        if not user.is_reviewer:
            raise NoSuchImage(image_id)
        raise Forbidden(f"only the owner may {doing} image {image_id}")
    return record


def _moment(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)
