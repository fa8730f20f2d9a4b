"""Image records as the API shows them, and the lists of them: a page at a time, newest first, each
list a DynamoDB Query on an index (never a Scan; `handlers.stores.image_store.ImageList` says which),
continued by an opaque, tamper-evident cursor.

The cursor is the index key of the last record shown and the list it belongs to (caller, owner,
filters), serialised and signed with an HMAC under the app's secret key (itsdangerous, with a salt of
its own): a cursor altered, made up, signed under another key, or taken from another list or another
caller's is refused (`BadInput("cursor", ...)`). It is not encrypted: it shows the caller an image
id, owner and upload time they can see anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from itsdangerous import BadData, URLSafeSerializer

from handlers.contract import (
    MODERN_FORMATS,
    NEGOTIATED_PREFIX,
    PROCESSED,
    PUBLIC_PREFIX,
    VARIANTS,
    ImagesTable,
    Record,
)
from handlers.stores.image_record import VariantFields, listed_variants
from handlers.stores.image_store import ImageList, ImageStore, IndexKey
from handlers.web.errors import BadInput

if TYPE_CHECKING:
    from handlers.stores.image_record import ImageRecord

DEFAULT_LIMIT: Final = 24
MAX_LIMIT: Final = 100
MAX_CURSOR: Final = 1024
CURSOR_SALT: Final = "imagepipe.images.cursor"

# What an API record shows, in this order: the record's own fields, then what is made of them.
FIELDS: Final = (
    ImagesTable.KEY,
    Record.FILE_NAME,
    Record.STATUS,
    Record.REASON,
    Record.CAPTION,
    Record.PHOTOGRAPHER,
    Record.DATE,
    Record.COPYRIGHT,
    Record.KEYWORDS,
    Record.DUPLICATE_OF,
    Record.REVIEW_STATUS,
    Record.REVIEW_REASON,
    Record.REVIEWED_AT,
    ImagesTable.UPLOADED_AT,
    ImagesTable.OWNER,
    Record.SOURCE_SIZE,
    Record.SOURCE_WIDTH,
    Record.SOURCE_HEIGHT,
)
VARIANT_NAMES: Final = tuple(reversed(VARIANTS))  # thumbnail, optimized
VARIANT_PARTS: Final = ("name", "format", "width", "height", "bytes")  # what `variants` shows of each, with its URL


def api_record(record: ImageRecord, images_base_url: str | None) -> dict[str, Any]:
    """The record as the API shows it: its public fields (None where absent), the JPEG/PNG variants'
    dimensions and URLs under `images_base_url`, and every variant (`variants`: each format and
    width) once processed (None, or no variants, before, and no URL when the stack serves none).
    Internal fields (orders, versions, etags, keys) are not shown."""
    fields = cast("dict[str, Any]", record)
    shown: dict[str, Any] = {name: fields.get(name) for name in FIELDS}
    shown[Record.KEYWORDS] = list(fields.get(Record.KEYWORDS) or [])
    processed = record.get(Record.STATUS) == PROCESSED
    variants = listed_variants(record) if processed else []
    base = images_base_url.rstrip("/") if images_base_url else None

    def url(key: object) -> str | None:
        return f"{base}/{key}" if processed and isinstance(key, str) and base else None

    for name in VARIANT_NAMES:
        first: dict[str, Any] = next((dict(variant) for variant in variants if variant.get("name") == name), {})
        shown[f"{name}_width"] = first.get("width")
        shown[f"{name}_height"] = first.get("height")
    for name in VARIANT_NAMES:
        shown[f"{name}_url"] = url(negotiated_key(variants, name) or fields.get(Record.key_of(name)))
    shown[Record.VARIANTS] = [
        {**{part: variant.get(part) for part in VARIANT_PARTS}, "url": url(variant["key"])} for variant in variants
    ]
    return shown


def negotiated_key(variants: list[VariantFields], name: str) -> str | None:
    """The CDN path of variant `name` in the format the browser takes best: `images/auto/<its modern
    formats>/<its JPEG/PNG key past images/>` (cdn_functions/image_format.js); None when it has no
    modern format (its JPEG/PNG URL is then the one)."""
    full = [v for v in variants if v.get("name") == name]
    if not full:
        return None
    base = full[0]
    formats = sorted(
        {v["format"] for v in full if (v["width"], v["height"]) == (base["width"], base["height"])}
        & set(MODERN_FORMATS)
    )
    if not formats or not base["key"].startswith(PUBLIC_PREFIX):
        return None
    return f"{NEGOTIATED_PREFIX}{'-'.join(formats)}/{base['key'].removeprefix(PUBLIC_PREFIX)}"


@dataclass(frozen=True)
class Listing:
    """One list as a caller asks for it: whose asking, and which images (`images`)."""

    caller: str
    images: ImageList

    def binding(self) -> list[str | None]:
        """What a cursor of this list is bound to."""
        return [self.caller, self.images.owner, self.images.status, self.images.verdict]


@dataclass(frozen=True)
class Page:
    records: list[ImageRecord]
    next: str | None


class RecordLists:
    """Pages of image records, newest first, continued by signed cursors."""

    def __init__(self, records: ImageStore, secret_key: bytes | str) -> None:
        self.records = records
        self.cursors = URLSafeSerializer(secret_key, salt=CURSOR_SALT)

    def page(self, listing: Listing, limit: int, cursor: str | None = None) -> Page:
        """Up to `limit` records of `listing` after `cursor` (None: from the newest), and the
        cursor of the next page (None when there is none)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit {limit} is not 1..{MAX_LIMIT}")
        after = self._index_key(listing, cursor) if cursor is not None else None
        page = self.records.page(listing.images, limit, after)
        following = None
        if page.last is not None:
            following = self.cursors.dumps({"list": listing.binding(), "key": list(page.last)})
        return Page(page.records, following)

    def _index_key(self, listing: Listing, cursor: str) -> IndexKey:
        """The index key a cursor continues after; BadInput naming `cursor` when it is not one this
        app made for this list."""
        if len(cursor) > MAX_CURSOR:
            raise BadInput("cursor", "not a cursor of this list")
        try:
            payload = self.cursors.loads(cursor)
        except BadData:
            raise BadInput("cursor", "not a cursor of this list (altered, or from elsewhere)") from None
        if not isinstance(payload, dict) or payload.get("list") != listing.binding():
            raise BadInput("cursor", "a cursor of another list: start again without one")
        key = payload.get("key")
        if not isinstance(key, list) or len(key) != 3 or not all(isinstance(part, str) for part in key):
            raise BadInput("cursor", "not a cursor of this list")
        image_id, hash_value, uploaded_at = key
        return image_id, hash_value, uploaded_at
