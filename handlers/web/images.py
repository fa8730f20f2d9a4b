"""The images API, read side: `GET /api/images` (a page of a list) and `GET /api/images/<id>`.

Who sees what: a photographer lists and reads their own images only (another owner's image is 404,
exactly as a missing one; `owner=<another>` is 403). A reviewer reads every image; lists their own
by default, one owner's with `owner=<name>`, or every owner's with a review status with
`verdict=<awaiting|passed|rejected>` (and no `owner`): the images awaiting review, newest first.

`GET /api/images` takes `limit` (1..100, default 24), `cursor` (the `next` of the previous page of
the same list), `status` (a record status), `verdict` (a review status) and `owner`, and answers
`{"items": [record, ...], "next": cursor | null}`; a wrong value of any is 400 naming it.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from handlers.contract import DELETED, FAILED, PENDING, PROCESSED, REJECTED, REVIEW_STATUSES, ImagesTable
from handlers.stores.image_store import ImageList
from handlers.stores.user_store import USERNAME
from handlers.web.auth import current_user
from handlers.web.errors import BadInput, Forbidden, NoSuchImage
from handlers.web.records_api import DEFAULT_LIMIT, MAX_LIMIT, Listing, RecordLists, api_record
from handlers.web.services import services

images = Blueprint("images", __name__)

STATUSES = (PENDING, PROCESSED, REJECTED, FAILED, DELETED)
LIMIT = re.compile(r"^[0-9]{1,3}$")
MAX_IMAGE_ID = 128


@images.get("/images")
def list_images() -> ResponseReturnValue:
    user = current_user()
    limit = _limit()
    status = _one_of("status", STATUSES)
    verdict = _one_of("verdict", REVIEW_STATUSES)
    owner = request.args.get("owner")
    if owner is not None and not USERNAME.fullmatch(owner):
        raise BadInput("owner", "a user name")
    if owner is not None and owner != user.username and not user.is_reviewer:
        raise Forbidden("owner: a photographer lists their own images only")
    if owner is None and not (user.is_reviewer and verdict is not None):
        owner = user.username  # a reviewer's verdict with no owner: every owner's, by the review index
    listing = Listing(user.username, ImageList(owner, status=status, verdict=verdict))
    lists = RecordLists(services().records, current_app.config["SECRET_KEY"])
    page = lists.page(listing, limit, request.args.get("cursor"))
    base = _images_base_url()
    return jsonify(items=[api_record(record, base) for record in page.records], next=page.next)


@images.get("/images/<image_id>")
def get_image(image_id: str) -> ResponseReturnValue:
    user = current_user()
    record = services().records.get(image_id) if len(image_id) <= MAX_IMAGE_ID else None
    if record is None or (record.get(ImagesTable.OWNER) != user.username and not user.is_reviewer):
        raise NoSuchImage(image_id)  # another owner's image is as if there were none
    return jsonify(api_record(record, _images_base_url()))


def _limit() -> int:
    text = request.args.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not LIMIT.fullmatch(text) or not 1 <= int(text) <= MAX_LIMIT:
        raise BadInput("limit", f"a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def _one_of(field: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(field)
    if value is not None and value not in allowed:
        raise BadInput(field, f"one of {', '.join(allowed)}")
    return value


def _images_base_url() -> str | None:
    """Where the variants are served (the CDN), once the services say; None: no URLs yet."""
    return services().images_base_url
