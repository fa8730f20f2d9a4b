"""The images API, write side, with Flask's test client against moto: `PATCH /api/images/<id>`,
`POST /api/images/<id>/review` and `DELETE /api/images/<id>`: the commands' validation and rules as
on the events topic, every field checked before any is applied, owners, reviewers and photographers,
the states that take an edit, a verdict or a deletion, and the CSRF token."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from handlers.stores.image_store import ImageStore
from handlers.web import WebSettings, create_app
from handlers.web.image_edits import METADATA_TYPES, published_time
from handlers.web.services import Services
from tests.unit.handlers.conftest import IMAGES_TABLE
from tests.unit.handlers.web.conftest import BUCKET, SECRET_KEY, START, Clock, Factory, csrf, put_record, sign_in

NOW = published_time(START)  # 2027-01-15T08:00:00.000Z
UPLOADED = "2026-11-22T10:00:00.000Z"


def image(image_id: str = "i1", owner: str = "alice", **fields: Any) -> dict[str, Any]:
    """A record as the stages leave a processed upload awaiting review."""
    return {
        "image_id": image_id,
        "owner": owner,
        "status": "processed",
        "source_key": f"uploads/{owner}/{image_id}.jpg",
        "source_bucket": BUCKET,
        "file_name": f"{image_id}.jpg",
        "source_size": 1234,
        "uploaded_at": UPLOADED,
        "upload_version": "v1",
        "photographer": owner,
        "review_status": "awaiting",
        "thumbnail_key": f"images/thumbnail/{image_id}-v1.jpg",
        "optimized_key": f"images/optimized/{image_id}-v1.jpg",
        **fields,
    }


@pytest.fixture
def records(dynamodb: Any) -> ImageStore:
    return ImageStore(IMAGES_TABLE, dynamodb)


@pytest.fixture
def put(dynamodb: Any) -> Any:
    def put(*records: dict[str, Any]) -> None:
        for record in records:
            put_record(dynamodb, record)

    return put


def patch(client: FlaskClient, body: Any, headers: dict[str, str], image_id: str = "i1") -> Any:
    return client.patch(f"/api/images/{image_id}", json=body, headers=headers)


def review(client: FlaskClient, body: Any, headers: dict[str, str], image_id: str = "i1") -> Any:
    return client.post(f"/api/images/{image_id}/review", json=body, headers=headers)


def bad_field(response: Any) -> str:
    assert response.status_code == 400, response.get_json()
    field: str = response.get_json()["detail"].split(":", 1)[0]
    return field


def detail(response: Any) -> str:
    text: str = response.get_json()["detail"]
    return text


# PATCH: edits


def test_an_owner_edits_caption_date_and_photographer(client: FlaskClient, put: Any, records: ImageStore) -> None:
    put(image())
    body = {"caption": "  Sunset at Inch  ", "date": "2026-05-01", "photographer": "Alice Liddell"}
    response = patch(client, body, csrf(client))
    assert response.status_code == 200, response.get_json()
    shown = response.get_json()
    assert (shown["caption"], shown["date"], shown["photographer"]) == ("Sunset at Inch", "2026-05-01", "Alice Liddell")
    assert (shown["image_id"], shown["status"], shown["owner"]) == ("i1", "processed", "alice")
    assert "caption_order" not in shown  # the API's record shape
    stored = records.get("i1")
    assert stored is not None and stored["caption"] == "Sunset at Inch"


def test_one_field_alone_changes_that_field_only(client: FlaskClient, put: Any, records: ImageStore) -> None:
    put(image(caption="Old", date="2026-01-01"))
    assert patch(client, {"date": "2026-05-01T10:30:00Z"}, csrf(client)).status_code == 200
    stored = records.get("i1")
    assert stored is not None
    assert (stored["caption"], stored["date"], stored["photographer"]) == ("Old", "2026-05-01T10:30:00+00:00", "alice")


def test_an_edit_is_the_command_the_topic_would_carry_published_at_the_request_time(
    client: FlaskClient, put: Any, records: ImageStore
) -> None:
    put(image())
    patch(client, {"caption": "A", "photographer": "B"}, csrf(client))
    stored = records.get("i1")
    assert stored is not None
    orders = [stored["caption_order"], stored["photographer_order"]]
    for order in orders:
        published, message_id = order.split("|")
        assert published == NOW == "2027-01-15T08:00:00.000Z"
        assert uuid.UUID(message_id).version == 4
    assert orders[0] != orders[1]  # one message per field
    assert "date_order" not in stored


def test_each_field_is_set_by_the_metadata_type_the_contract_names_first() -> None:
    assert METADATA_TYPES == {"caption": "Caption", "date": "Date", "photographer": "Photographer"}


def test_a_later_edit_wins_and_an_overtaken_one_changes_nothing(
    client: FlaskClient, clock: Clock, put: Any, records: ImageStore
) -> None:
    put(image())
    headers = csrf(client)
    patch(client, {"caption": "First"}, headers)
    clock.advance(1)
    assert patch(client, {"caption": "Second"}, headers).get_json()["caption"] == "Second"
    # A command published later (e.g. on the topic) was applied before this request: it stays.
    put(image(caption="From the topic", caption_order="2099-01-01T00:00:00.000Z|m"))
    response = patch(client, {"caption": "Third"}, headers)
    assert (response.status_code, response.get_json()["caption"]) == (200, "From the topic")


def test_the_date_is_checked_against_the_services_clock(client: FlaskClient, put: Any) -> None:
    put(image())
    headers = csrf(client)
    assert patch(client, {"date": "2027-01-15"}, headers).status_code == 200  # today by the clock
    response = patch(client, {"date": "2027-01-17"}, headers)
    assert bad_field(response) == "date" and "lies in the future" in detail(response)


def test_pending_and_failed_images_take_edits(client: FlaskClient, put: Any) -> None:
    put(image("p1", status="pending"), image("f1", status="failed", reason="gave up"))
    headers = csrf(client)
    assert patch(client, {"caption": "x"}, headers, "p1").status_code == 200
    assert patch(client, {"caption": "x"}, headers, "f1").status_code == 200


@pytest.mark.parametrize(("status", "words"), [("rejected", "rejected"), ("deleted", "deleted")])
def test_an_image_whose_state_takes_no_edit_is_409_with_the_commands_reason(
    client: FlaskClient, put: Any, records: ImageStore, status: str, words: str
) -> None:
    put(image(status=status))
    response = patch(client, {"caption": "x", "date": "2026-01-01"}, csrf(client))
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"
    assert detail(response).startswith("cannot set the caption of image i1") and words in detail(response)
    stored = records.get("i1")
    assert stored is not None and "caption" not in stored and "date" not in stored


# PATCH: validation before anything is applied


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"caption": "New", "date": "yesterday"}, "date", "is not a date"),
        ({"caption": "New", "date": "2026-02-30"}, "date", "is not a date"),
        ({"caption": "New", "photographer": "x" * 201}, "photographer", "at most 200"),
        ({"caption": "New", "photographer": "Ann\x00"}, "photographer", "control characters"),
        ({"photographer": "Ann", "caption": "x" * 2001}, "caption", "at most 2000"),
        ({"photographer": "Ann", "caption": "bell\x07"}, "caption", "control characters"),
        ({"photographer": "Ann", "caption": "   "}, "caption", "is empty"),
        ({"photographer": "Ann", "caption": ""}, "caption", "is empty"),
        ({"photographer": "Ann", "caption": None}, "caption", "must be text, not nothing"),
        ({"photographer": "Ann", "caption": 7}, "caption", "must be text, not a number"),
        ({"photographer": "Ann", "caption": ["x"]}, "caption", "must be text, not a list"),
        ({"photographer": "Ann", "date": {"day": 1}}, "date", "must be text, not an object"),
    ],
)
def test_a_bad_field_is_400_naming_it_and_nothing_is_applied(
    client: FlaskClient, put: Any, records: ImageStore, body: dict[str, Any], field: str, reason: str
) -> None:
    put(image(caption="Old"))
    before = records.get("i1")
    response = patch(client, body, csrf(client))
    assert bad_field(response) == field and reason in detail(response)
    assert records.get("i1") == before  # not even the good field


def test_a_caption_keeps_its_newlines(client: FlaskClient, put: Any) -> None:
    put(image())
    response = patch(client, {"caption": "Line one\nLine two"}, csrf(client))
    assert response.get_json()["caption"] == "Line one\nLine two"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ([], "body"),
        ("caption", "body"),
        ({"title": "x"}, "title"),
        ({"caption": "x", "status": "processed"}, "status"),
        ({"caption": "x", "owner": "rita"}, "owner"),
        ({"caption": "x", "review_status": "passed"}, "review_status"),
        ({"Caption": "x"}, "Caption"),  # the API's names are the record's, not the metadata types
        ({"caption": "x", "zeta": 1, "alpha": 2}, "alpha, zeta"),
    ],
)
def test_a_body_without_edits_or_with_unknown_fields_is_400_naming_them(
    client: FlaskClient, put: Any, body: Any, field: str
) -> None:
    put(image())
    assert bad_field(patch(client, body, csrf(client))) == field


def test_a_lone_surrogate_is_not_text(client: FlaskClient, put: Any, records: ImageStore) -> None:
    put(image())
    response = client.patch(
        "/api/images/i1", data='{"caption": "\\ud800"}', content_type="application/json", headers=csrf(client)
    )
    assert bad_field(response) == "caption"


def test_a_patch_that_is_not_json_is_415(client: FlaskClient, put: Any) -> None:
    put(image())
    assert client.patch("/api/images/i1", data={"caption": "x"}, headers=csrf(client)).status_code == 415


# PATCH: who may edit


def test_another_owners_image_is_404_to_a_photographer_exactly_as_a_missing_one(
    client: FlaskClient, put: Any, records: ImageStore
) -> None:
    put(image("b1", owner="bob"))
    headers = csrf(client)
    theirs, missing = (
        patch(client, {"caption": "mine now"}, headers, "b1"),
        patch(client, {"caption": "x"}, headers, "zz"),
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json() == {**missing.get_json(), "detail": detail(missing).replace("zz", "b1")}
    stored = records.get("b1")
    assert stored is not None and "caption" not in stored


def test_another_owners_image_is_404_even_when_the_edit_is_bad(client: FlaskClient, put: Any) -> None:
    put(image("b1", owner="bob"))
    assert patch(client, {"date": "never"}, csrf(client), "b1").status_code == 404


def test_a_reviewer_edits_their_own_images_but_not_another_owners(
    client: FlaskClient, put: Any, records: ImageStore
) -> None:
    put(image("r1", owner="rita"), image("a1", owner="alice"))
    headers = csrf(client, "rita")
    assert patch(client, {"caption": "mine"}, headers, "r1").status_code == 200
    response = patch(client, {"caption": "curated"}, headers, "a1")
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    stored = records.get("a1")
    assert stored is not None and "caption" not in stored


def test_a_very_long_image_id_is_404(client: FlaskClient) -> None:
    assert patch(client, {"caption": "x"}, csrf(client), "x" * 3000).status_code == 404


# POST …/review


def test_a_reviewer_passes_an_image(client: FlaskClient, put: Any, records: ImageStore) -> None:
    put(image())
    response = review(client, {"status": "Pass"}, csrf(client, "rita"))
    assert response.status_code == 200, response.get_json()
    shown = response.get_json()
    assert (shown["review_status"], shown["review_reason"], shown["reviewed_at"]) == ("passed", None, NOW)
    stored = records.get("i1")
    assert stored is not None and stored["review_order"].startswith(f"{NOW}|")


def test_a_reviewer_rejects_an_image_with_a_reason(client: FlaskClient, put: Any) -> None:
    put(image())
    response = review(client, {"status": "Reject", "reason": " the horizon is tilted "}, csrf(client, "rita"))
    shown = response.get_json()
    assert (shown["review_status"], shown["review_reason"]) == ("rejected", "the horizon is tilted")


def test_a_new_verdict_replaces_the_one_before(client: FlaskClient, clock: Clock, put: Any) -> None:
    put(image())
    headers = csrf(client, "rita")
    review(client, {"status": "Reject", "reason": "blurred"}, headers)
    clock.advance(60)
    shown = review(client, {"status": "Pass"}, headers).get_json()
    assert (shown["review_status"], shown["review_reason"]) == ("passed", None)


def test_a_reviewer_reviews_any_owners_image(client: FlaskClient, put: Any) -> None:
    put(image("b1", owner="bob"))
    assert review(client, {"status": "Pass"}, csrf(client, "rita"), "b1").status_code == 200


def test_a_photographer_may_not_review_even_their_own_image(client: FlaskClient, put: Any, records: ImageStore) -> None:
    put(image())
    headers = csrf(client)
    for image_id in ("i1", "missing"):
        response = review(client, {"status": "Pass"}, headers, image_id)
        assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    stored = records.get("i1")
    assert stored is not None and stored["review_status"] == "awaiting"


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({}, "status", "must be Pass or Reject"),
        ({"status": "Maybe"}, "status", "must be Pass or Reject"),
        ({"status": "pass"}, "status", "must be Pass or Reject"),
        ({"status": "passed"}, "status", "must be Pass or Reject"),
        ({"status": ["Pass"]}, "status", "must be Pass or Reject"),
        ({"status": None, "reason": "x"}, "status", "must be Pass or Reject"),
        ({"status": "Reject"}, "reason", "needs a reason"),
        ({"status": "Reject", "reason": "   "}, "reason", "needs a reason"),
        ({"status": "Reject", "reason": 5}, "reason", "must be text"),
        ({"status": "Pass", "reason": "x" * 1001}, "reason", "at most 1000"),
    ],
)
def test_a_bad_verdict_is_400_naming_the_field_with_the_commands_reason(
    client: FlaskClient, put: Any, records: ImageStore, body: dict[str, Any], field: str, reason: str
) -> None:
    put(image())
    response = review(client, body, csrf(client, "rita"))
    assert bad_field(response) == field and reason in detail(response)
    stored = records.get("i1")
    assert stored is not None and stored["review_status"] == "awaiting"


@pytest.mark.parametrize(("body", "field"), [({"status": "Pass", "date": "2026-01-01"}, "date"), ([], "body")])
def test_a_review_body_with_other_fields_is_400_naming_them(
    client: FlaskClient, put: Any, body: Any, field: str
) -> None:
    put(image())
    assert bad_field(review(client, body, csrf(client, "rita"))) == field


def test_reviewing_a_missing_image_is_404(client: FlaskClient) -> None:
    assert review(client, {"status": "Pass"}, csrf(client, "rita"), "missing").status_code == 404


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("pending", "still being processed"),
        ("failed", "processing failed"),
        ("rejected", "rejected"),
        ("deleted", "deleted"),
    ],
)
def test_an_image_that_is_not_processed_is_409_for_a_verdict(
    client: FlaskClient, put: Any, status: str, words: str
) -> None:
    put(image(status=status))
    response = review(client, {"status": "Pass"}, csrf(client, "rita"))
    assert response.status_code == 409 and words in detail(response)


# DELETE


@pytest.fixture
def uploaded(put: Any, s3: Any) -> Any:
    """Put records and their uploaded objects."""

    def uploaded(*records: dict[str, Any]) -> None:
        for record in records:
            put(record)
            s3.put_object(Bucket=BUCKET, Key=record["source_key"], Body=b"\xff\xd8 jpeg")

    return uploaded


def objects(s3: Any) -> set[str]:
    return {entry["Key"] for entry in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


@pytest.mark.parametrize("status", ["processed", "pending", "failed"])
def test_an_owner_deletes_their_upload_and_the_pipeline_does_the_rest(
    client: FlaskClient, uploaded: Any, s3: Any, records: ImageStore, status: str
) -> None:
    uploaded(image(status=status), image("i2"))
    response = client.delete("/api/images/i1", headers=csrf(client))
    assert response.status_code == 202
    assert (response.get_json()["image_id"], response.get_json()["status"]) == ("i1", status)
    assert objects(s3) == {"uploads/alice/i2.jpg"}  # the upload only: the removal stage does the variants
    stored = records.get("i1")
    assert stored is not None and stored["status"] == status  # until the removal stage marks it deleted


def test_deleting_again_before_the_removal_stage_ran_is_202_again(client: FlaskClient, uploaded: Any) -> None:
    uploaded(image())
    headers = csrf(client)
    assert client.delete("/api/images/i1", headers=headers).status_code == 202
    assert client.delete("/api/images/i1", headers=headers).status_code == 202


@pytest.mark.parametrize(("status", "words"), [("deleted", "deleted already"), ("rejected", "was rejected")])
def test_a_deleted_image_or_a_rejected_upload_is_409(
    client: FlaskClient, uploaded: Any, s3: Any, status: str, words: str
) -> None:
    uploaded(image(status=status))
    response = client.delete("/api/images/i1", headers=csrf(client))
    assert response.status_code == 409 and words in detail(response)
    assert objects(s3) == {"uploads/alice/i1.jpg"}


def test_deleting_another_owners_image_is_404_to_a_photographer_and_403_to_a_reviewer(
    client: FlaskClient, uploaded: Any, s3: Any
) -> None:
    uploaded(image("b1", owner="bob"))
    alice = client.delete("/api/images/b1", headers=csrf(client))
    missing = client.delete("/api/images/zz", headers=csrf(client))
    assert alice.status_code == missing.status_code == 404
    assert alice.get_json() == {**missing.get_json(), "detail": detail(missing).replace("zz", "b1")}
    assert client.delete("/api/images/b1", headers=csrf(client, "rita")).status_code == 403
    assert objects(s3) == {"uploads/bob/b1.jpg"}


def test_a_reviewer_deletes_their_own_upload(client: FlaskClient, uploaded: Any, s3: Any) -> None:
    uploaded(image("r1", owner="rita"))
    assert client.delete("/api/images/r1", headers=csrf(client, "rita")).status_code == 202
    assert objects(s3) == set()


def test_a_delete_makes_the_s3_client_on_first_need_and_keeps_it(
    lazy_app: Flask, uploaded: Any, s3: Any, s3_factory: Factory
) -> None:
    uploaded(image(), image("i2"))
    client = lazy_app.test_client()
    headers = csrf(client)
    assert client.get("/api/images").status_code == 200 and client.get("/api/images/i1").status_code == 200
    assert patch(client, {"caption": "x"}, headers).status_code == 200
    assert s3_factory.calls == 0
    assert client.delete("/api/images/i1", headers=headers).status_code == 202
    assert s3_factory.calls == 1
    asked = {"file_name": "cat.jpg", "content_type": "image/jpeg"}
    assert client.post("/api/uploads", json=asked, headers=headers).status_code == 200
    assert client.delete("/api/images/i2", headers=headers).status_code == 202
    assert s3_factory.calls == 1 and objects(s3) == set()


def test_a_stack_without_an_images_bucket_cannot_delete(services: Services, put: Any) -> None:
    put(image())
    bare = Services(users=services.users, records=services.records, clock=services.clock)
    client = create_app(WebSettings(secret_key=SECRET_KEY, secure_cookies=False), bare).test_client()
    assert client.delete("/api/images/i1", headers=csrf(client)).status_code == 503


# Sessions and CSRF


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/images/i1", {"caption": "x"}),
        ("POST", "/api/images/i1/review", {"status": "Pass"}),
        ("DELETE", "/api/images/i1", None),
    ],
)
def test_every_change_needs_the_csrf_token_and_a_session(
    app: Flask, uploaded: Any, records: ImageStore, s3: Any, method: str, path: str, body: Any
) -> None:
    uploaded(image())
    before = records.get("i1")
    client = app.test_client()
    assert client.open(path, method=method, json=body, headers={"X-CSRF-Token": "x"}).status_code == 401
    sign_in(client, "rita" if "review" in path else "alice")
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code == 403 and response.get_json()["error"] == "csrf"
    assert records.get("i1") == before and objects(s3) == {"uploads/alice/i1.jpg"}


def test_a_body_nested_too_deeply_is_400_not_500(client: FlaskClient, put: Any) -> None:
    put(image())
    deep = '{"caption": ' + "[" * 30_000 + "]" * 30_000 + "}"
    response = client.patch("/api/images/i1", data=deep, content_type="application/json", headers=csrf(client))
    assert bad_field(response) == "body"
