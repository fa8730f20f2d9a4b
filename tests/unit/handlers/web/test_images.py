"""The images API, read side, with Flask's test client against moto: owner isolation, the API
record's shape, filters, bad input, cursors refused when altered or borrowed, and pagination
(a hypothesis property: each record exactly once, newest first, whatever the page size)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from handlers.contract import EXTENSIONS, PHOTOGRAPHER, REVIEWER, UsersTable
from handlers.stores import image_store
from handlers.stores.image_store import ImageStore
from handlers.stores.user_store import UserStore
from handlers.web import WebSettings, create_app, records_api
from handlers.web.records_api import api_record
from handlers.web.services import Services
from tests.unit.conftest import FAKE_AWS
from tests.unit.handlers.conftest import PASSWORD
from tests.unit.handlers.records import AWAITING, PENDING, PROCESSED, REJECTED_IN_REVIEW
from tests.unit.tables import create_images_table, create_users_table

IMAGES, USERS = "images", "users"
ROLES = {"ann": PHOTOGRAPHER, "bob": PHOTOGRAPHER, "rita": REVIEWER}
STATUSES = ("pending", "processed", "rejected", "failed", "deleted")
VERDICTS = ("awaiting", "passed", "rejected")
SHOWN = {
    "image_id", "file_name", "status", "reason", "caption", "photographer", "date", "copyright", "keywords",
    "review_status", "review_reason", "reviewed_at", "uploaded_at", "owner", "source_size", "source_width",
    "source_height", "thumbnail_width", "thumbnail_height", "optimized_width", "optimized_height", "thumbnail_url",
    "optimized_url", "variants", "duplicate_of",
}  # fmt: skip


@dataclass
class World:
    app: Any
    dynamodb: Any

    def put(self, *records: dict[str, Any]) -> None:
        serialize = TypeSerializer().serialize
        for record in records:
            item = {k: serialize(v) for k, v in record.items() if v is not None}
            self.dynamodb.put_item(TableName=IMAGES, Item=item)

    def clear(self) -> None:
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=IMAGES, ProjectionExpression="image_id"):
            for start in range(0, len(page["Items"]), 25):
                deletes = [{"DeleteRequest": {"Key": item}} for item in page["Items"][start : start + 25]]
                self.dynamodb.batch_write_item(RequestItems={IMAGES: deletes})

    def client(self, username: str | None) -> Any:
        """A test client signed in as `username` through `POST /api/session` (None: not signed in)."""
        client = self.app.test_client()
        if username is not None:
            response = client.post("/api/session", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.json
        return client


def make_tables(password_hash: str) -> Any:
    dynamodb = boto3.client("dynamodb")
    create_images_table(dynamodb, IMAGES)
    create_users_table(dynamodb, USERS)
    for username, role in ROLES.items():
        item = {UsersTable.KEY: {"S": username}, "role": {"S": role}, "password_hash": {"S": password_hash}}
        dynamodb.put_item(TableName=USERS, Item=item)
    return dynamodb


def make_world(dynamodb: Any, images_base_url: str | None = None) -> World:
    services = Services(UserStore(USERS, dynamodb), ImageStore(IMAGES, dynamodb), images_base_url=images_base_url)
    app = create_app(WebSettings(secret_key=b"k" * 32, secure_cookies=False), services)
    return World(app, dynamodb)


@pytest.fixture(scope="module")
def tables(password_hash: str) -> Iterator[Any]:
    """One moto and its tables for the module (each test starts with no records: `world`)."""
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        for name, value in FAKE_AWS.items():
            monkeypatch.setenv(name, value)
        yield make_tables(password_hash)


@pytest.fixture
def world(tables: Any) -> World:
    world = make_world(tables)
    world.clear()
    return world


def record(image_id: str, owner: str, uploaded_at: str, **fields: Any) -> dict[str, Any]:
    return {**PENDING, "image_id": image_id, "owner": owner, "uploaded_at": uploaded_at, **fields}


def day(n: int) -> str:
    return f"2026-11-{n:02d}T10:00:00.000Z"


# Owner isolation


def test_an_owner_reads_their_image(world):
    world.put(record("i1", "ann", day(1), status="processed", caption="Sunset"))
    response = world.client("ann").get("/api/images/i1")
    assert response.status_code == 200
    assert (response.json["image_id"], response.json["caption"], response.json["owner"]) == ("i1", "Sunset", "ann")


def test_another_owners_image_is_404_exactly_as_a_missing_one(world):
    world.put(record("i1", "ann", day(1)))
    bob = world.client("bob")
    theirs, missing = bob.get("/api/images/i1"), bob.get("/api/images/i2")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json == {**missing.json, "detail": missing.json["detail"].replace("i2", "i1")}


def test_a_reviewer_reads_every_owners_image(world):
    world.put(record("i1", "ann", day(1)))
    assert world.client("rita").get("/api/images/i1").status_code == 200


def test_a_very_long_image_id_is_404_quoting_only_its_start(world):
    response = world.client("ann").get("/api/images/" + "x" * 3000)
    assert response.status_code == 404
    assert response.json["detail"] == f"there is no image {'x' * 80}…"


@pytest.mark.parametrize("path", ["/api/images", "/api/images/i1"])
def test_without_a_session_the_answer_is_401(world, path):
    world.put(record("i1", "ann", day(1)))
    assert world.client(None).get(path).status_code == 401


def test_an_owner_lists_their_images_only_newest_first(world):
    world.put(record("a1", "ann", day(1)), record("a2", "ann", day(3)), record("b1", "bob", day(2)))
    response = world.client("ann").get("/api/images")
    assert response.status_code == 200
    assert ([item["image_id"] for item in response.json["items"]], response.json["next"]) == (["a2", "a1"], None)


# The API record


def test_the_api_record_shows_public_fields_and_hides_internal_ones():
    shown = api_record({**AWAITING, "uploaded_at": day(1), "caption_order": "x", "source_etag": "e"}, None)
    assert set(shown) == SHOWN
    assert (shown["thumbnail_url"], shown["optimized_url"]) == (None, None)  # no base URL: no URLs
    assert "thumbnail_key" not in shown and "upload_version" not in shown and "caption_order" not in shown
    assert (shown["copyright"], shown["keywords"]) == (None, [])  # a record the photo gave none


def test_the_api_record_carries_the_photos_copyright_and_keywords():
    shown = api_record({**PROCESSED, "copyright": "© 2025 Ann Lee", "keywords": ["beach", "dunes"]}, None)
    assert (shown["copyright"], shown["keywords"]) == ("© 2025 Ann Lee", ["beach", "dunes"])


def _variant(name: str, image_format: str, width: int, height: int, suffix: str = "") -> dict:
    extension = EXTENSIONS[image_format]
    key = f"images/{name}/i1-v1{suffix}.{extension}"
    return {"name": name, "format": image_format, "key": key, "bytes": width, "width": width, "height": height}


VARIANTS = [
    _variant("optimized", "jpeg", 1600, 1067),
    _variant("optimized", "avif", 1600, 1067),
    _variant("optimized", "webp", 480, 320, "-w480"),
    _variant("thumbnail", "jpeg", 256, 171),
    _variant("thumbnail", "avif", 256, 171),
]


def test_the_api_record_carries_every_variants_url_format_and_size_once_processed():
    shown = api_record({**PROCESSED, "variants": VARIANTS}, "https://cdn.example/")
    # The CDN's format function serves these in the format the browser takes best (AVIF here).
    assert shown["thumbnail_url"] == "https://cdn.example/images/auto/avif/thumbnail/i1-v1.jpg"
    assert shown["optimized_url"] == "https://cdn.example/images/auto/avif/optimized/i1-v1.jpg"
    assert (shown["thumbnail_width"], shown["optimized_height"]) == (256, 1067)
    assert shown["variants"] == [
        {
            **{part: v[part] for part in ("name", "format", "width", "height", "bytes")},
            "url": f"https://cdn.example/{v['key']}",
        }
        for v in VARIANTS
    ]
    assert shown["variants"][2]["url"] == "https://cdn.example/images/optimized/i1-v1-w480.webp"
    pending = api_record({**PROCESSED, "status": "deleted", "variants": VARIANTS}, "https://cdn.example")
    assert (pending["thumbnail_url"], pending["thumbnail_width"], pending["variants"]) == (None, None, [])


@pytest.mark.parametrize(
    ("formats", "url"),
    [
        (("jpeg", "webp", "avif"), "https://cdn.example/images/auto/avif-webp/optimized/i1-v1.jpg"),
        (("jpeg", "webp"), "https://cdn.example/images/auto/webp/optimized/i1-v1.jpg"),
        (("jpeg",), "https://cdn.example/images/optimized/i1-v1.jpg"),  # nothing to choose from
    ],
)
def test_the_negotiated_url_names_the_modern_formats_the_image_was_published_in(formats, url):
    variants = [_variant("optimized", image_format, 1600, 1067) for image_format in formats]
    variants.append(_variant("optimized", "avif", 480, 320, "-w480"))  # a narrower width's formats do not count
    assert api_record({**PROCESSED, "variants": variants}, "https://cdn.example")["optimized_url"] == url


def test_the_api_record_of_an_image_published_before_the_modern_formats_lists_its_two_variants():
    earlier = {v["name"]: {**v, "content_type": "image/jpeg"} for v in VARIANTS if v["format"] == "jpeg"}
    for fields in earlier.values():
        del fields["name"], fields["format"]
    shown = api_record({**PROCESSED, "variants": earlier}, None)
    assert [(v["name"], v["format"], v["width"], v["url"]) for v in shown["variants"]] == [
        ("optimized", "jpeg", 1600, None),
        ("thumbnail", "jpeg", 256, None),
    ]
    assert (shown["optimized_width"], shown["thumbnail_height"]) == (1600, 171)


def test_the_review_is_shown_as_review_status_and_reason():
    shown = api_record(REJECTED_IN_REVIEW, None)
    assert (shown["review_status"], shown["review_reason"]) == ("rejected", "the horizon is tilted")


def test_the_endpoint_builds_urls_from_the_services_images_base_url(world):
    world = make_world(world.dynamodb, images_base_url="https://cdn.example")
    world.put({**PROCESSED, "uploaded_at": day(1)})
    response = world.client("ann").get("/api/images/i1")
    assert response.json["thumbnail_url"] == "https://cdn.example/images/thumbnail/i1-v1.jpg"
    assert world.client("ann").get("/api/images").json["items"][0]["optimized_url"].startswith("https://cdn.example/")


# Filters


@pytest.fixture
def mixed(world):
    world.put(
        record("a1", "ann", day(1), status="processed", review_status="awaiting"),
        record("a2", "ann", day(2), status="processed", review_status="passed"),
        record("a3", "ann", day(3), status="rejected", reason="not an image"),
        record("a4", "ann", day(4)),
        record("b1", "bob", day(5), status="processed", review_status="awaiting"),
        record("b2", "bob", day(6), status="processed", review_status="rejected"),
    )
    return world


def ids(client, query: str) -> list[str]:
    response = client.get(f"/api/images?{query}")
    assert response.status_code == 200, response.json
    return [item["image_id"] for item in response.json["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=processed", ["a2", "a1"]),
        ("status=rejected", ["a3"]),
        ("status=failed", []),
        ("verdict=awaiting", ["a1"]),
        ("verdict=passed&status=processed", ["a2"]),
        ("owner=ann", ["a4", "a3", "a2", "a1"]),
    ],
)
def test_an_owner_filters_their_images(mixed, query, expected):
    assert ids(mixed.client("ann"), query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", []),  # a reviewer's own images
        ("verdict=awaiting", ["b1", "a1"]),  # every owner's awaiting review
        ("verdict=rejected", ["b2"]),
        ("verdict=passed&status=deleted", []),
        ("owner=bob", ["b2", "b1"]),
        ("owner=ann&status=processed", ["a2", "a1"]),
        ("owner=ann&verdict=awaiting", ["a1"]),
    ],
)
def test_a_reviewer_lists_by_review_status_or_owner(mixed, query, expected):
    assert ids(mixed.client("rita"), query) == expected


def test_a_photographer_cannot_list_another_owners_images(mixed):
    response = mixed.client("ann").get("/api/images?owner=bob")
    assert response.status_code == 403
    assert response.json["detail"].startswith("owner:")


# Bad input


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=1.5", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("limit=0010", "limit"),
        ("status=done", "status"),
        ("status=", "status"),
        ("status=PROCESSED", "status"),
        ("verdict=pass", "verdict"),
        ("verdict=", "verdict"),
        ("owner=Not%20A%20Name", "owner"),
        ("owner=", "owner"),
        ("cursor=nonsense", "cursor"),
        ("cursor=", "cursor"),
        ("cursor=" + "x" * 5000, "cursor"),
    ],
)
def test_bad_input_is_400_naming_the_field(mixed, query, field):
    response = mixed.client("rita").get(f"/api/images?{query}")
    assert response.status_code == 400, response.json
    assert (response.json["error"], response.json["detail"].split(":")[0]) == ("bad-request", field)


# Cursors


def first_cursor(client, query: str = "") -> str:
    response = client.get(f"/api/images?limit=1&{query}")
    assert response.json["next"], response.json
    return str(response.json["next"])


def refused(client, query: str) -> bool:
    response = client.get(f"/api/images?{query}")
    return response.status_code == 400 and response.json["detail"].startswith("cursor:")


def test_a_cursor_continues_its_list(mixed):
    ann = mixed.client("ann")
    cursor = first_cursor(ann)
    assert ids(ann, f"limit=2&cursor={cursor}") == ["a3", "a2"]


def test_an_altered_cursor_is_refused(mixed):
    ann = mixed.client("ann")
    cursor = first_cursor(ann)
    for i in (0, len(cursor) // 2, len(cursor) - 1):
        altered = cursor[:i] + ("A" if cursor[i] != "A" else "B") + cursor[i + 1 :]
        assert refused(ann, f"cursor={altered}"), i


def test_a_cursor_signed_under_another_key_is_refused(mixed):
    from itsdangerous import URLSafeSerializer

    forged = URLSafeSerializer(b"x" * 32, salt=records_api.CURSOR_SALT).dumps(
        {"list": ["ann", "ann", None, None], "key": ["a1", "ann", day(1)]}
    )
    assert refused(mixed.client("ann"), f"cursor={forged}")


def test_a_cursor_of_another_list_is_refused(mixed):
    ann = mixed.client("ann")
    cursor = first_cursor(ann)
    assert refused(ann, f"status=processed&cursor={cursor}")
    assert refused(ann, f"verdict=awaiting&cursor={cursor}")
    assert not refused(ann, f"limit=3&cursor={cursor}")  # the page size may change between pages


def test_a_cursor_of_another_user_is_refused(mixed):
    ann_cursor = first_cursor(mixed.client("ann"))
    assert refused(mixed.client("bob"), f"cursor={ann_cursor}")
    assert refused(mixed.client("rita"), f"owner=ann&cursor={ann_cursor}")  # same images, another caller
    rita_cursor = first_cursor(mixed.client("rita"), "owner=ann")
    assert refused(mixed.client("ann"), f"cursor={rita_cursor}")


# Pagination, the property

RECORDS = st.lists(
    st.tuples(
        st.sampled_from(["ann", "bob"]),
        st.integers(1, 4),  # few upload times: ties are common
        st.sampled_from(STATUSES),
        st.sampled_from((None, *VERDICTS)),
    ),
    max_size=14,
)
LISTS = st.sampled_from(
    [
        ("ann", ""),
        ("ann", "status=processed"),
        ("ann", "verdict=awaiting"),
        ("ann", "status=deleted&verdict=rejected"),
        ("rita", "verdict=awaiting"),
        ("rita", "verdict=passed&status=processed"),
        ("rita", "owner=bob"),
        ("rita", "owner=bob&status=pending"),
    ]
)


def expected_ids(records: list[dict[str, Any]], caller: str, query: str) -> set[str]:
    wanted = dict(part.split("=") for part in query.split("&") if part)
    if "owner" not in wanted and ROLES[caller] == PHOTOGRAPHER:
        wanted["owner"] = caller
    field_of = {"owner": "owner", "status": "status", "verdict": "review_status"}
    return {r["image_id"] for r in records if all(r.get(field_of[k]) == v for k, v in wanted.items())}


# Each example pages through a list over HTTP: the ci profile's 300 would take a minute; 100 is plenty.
@settings(
    max_examples=min(settings().max_examples, 100),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=RECORDS, listing=LISTS, limit=st.integers(1, 6), batch=st.sampled_from([1, 2, 3, 100]))
def test_pages_show_each_record_once_newest_first_whatever_the_page_size(world, rows, listing, limit, batch):
    world.clear()
    records = [
        record(f"i{n:02d}", owner, day(d), status=status, review_status=verdict)
        for n, (owner, d, status, verdict) in enumerate(rows)
    ]
    world.put(*records)
    caller, query = listing
    client = world.client(caller)
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    with mock.patch.object(image_store, "FILTERED_BATCH", batch):
        while True:
            more = f"&cursor={cursor}" if cursor else ""
            response = client.get(f"/api/images?limit={limit}&{query}{more}")
            assert response.status_code == 200, response.json
            pages.append(response.json["items"])
            cursor = response.json["next"]
            if cursor is None:
                break
            assert len(pages) <= len(records) + 1
    shown = [item["image_id"] for page in pages for item in page]
    assert len(shown) == len(set(shown))
    assert set(shown) == expected_ids(records, caller, query)
    times = [item["uploaded_at"] for page in pages for item in page]
    assert times == sorted(times, reverse=True)
    assert all(len(page) == limit for page in pages[:-1])  # only the last page is short...
    assert pages[-1] or len(pages) == 1  # ...and empty only when the list is
