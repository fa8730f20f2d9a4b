"""The web tier end to end, as a client meets it: through the CDN edge (`cdn_url`) with a real HTTP
client. Sign in, get an upload form, POST files straight to S3 with it, follow them through the
pipeline in the API, fetch the thumbnail from the CDN (cached the second time), edit, review, and
see the mail; S3 refusing an oversized POST; another user seeing nothing of it."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from handlers.contract import PROCESSED, REJECTED, REVIEWER, TERMINAL, Record
from harness.polling import wait_until
from harness.samples import pdf_document, photo_jpeg
from tests.e2e.web_users import TIMEOUT, WebUser
from tests.stack_fixtures import WEB_STACKS

# Both web tiers: the REST API and the web function, and the instances behind a load balancer.
pytestmark = pytest.mark.parametrize("stack", WEB_STACKS, indirect=True)

IMMUTABLE = "public, max-age=31536000, immutable"


def upload_form(user: WebUser, file_name: str, content_type: str) -> dict[str, Any]:
    response = user.call("POST", "/api/uploads", json={"file_name": file_name, "content_type": content_type})
    assert response.status_code == 200, response.text
    return response.json()


def post_form(form: dict[str, Any], data: bytes, content_type: str) -> requests.Response:
    """POST the file to S3 with the form's fields, the file last (as S3 requires)."""
    files = {"file": (form["key"].rsplit("/", 1)[-1], data, content_type)}
    return requests.post(form["url"], data=form["fields"], files=files, timeout=TIMEOUT)


def upload_through_form(user: WebUser, upload: Any, file_name: str, data: bytes, content_type: str) -> str:
    """Upload with a form from the API; the image id (the `upload` fixture removes it afterwards)."""
    form = upload_form(user, file_name, content_type)
    upload.adopt(form["key"])
    posted = post_form(form, data, content_type)
    assert posted.status_code == 204, posted.text
    return str(form["image_id"])


def outcome(user: WebUser, image_id: str) -> dict[str, Any]:
    """The image as the API shows it, once the pipeline is done with it."""

    def terminal() -> dict[str, Any] | None:
        response = user.get(f"/api/images/{image_id}")
        record: dict[str, Any] | None = response.json() if response.status_code == 200 else None
        return record if record and record[Record.STATUS] in TERMINAL else None

    return wait_until(terminal, timeout=30, what=f"image {image_id} to be processed or rejected")


def test_a_photographer_uploads_with_forms_and_follows_each_outcome_through_the_cdn(stack, upload, web_user):
    ann = web_user(upload.owner)
    cat = upload_through_form(ann, upload, "cat.jpg", photo_jpeg(800, 600, seed=91), "image/jpeg")
    report = upload_through_form(ann, upload, "report.png", pdf_document(), "image/png")

    processed, rejected = outcome(ann, cat), outcome(ann, report)
    assert processed[Record.STATUS] == PROCESSED and processed["file_name"] == "cat.jpg"
    assert rejected[Record.STATUS] == REJECTED and rejected["reason"]
    assert rejected["thumbnail_url"] is None and rejected["optimized_url"] is None

    listed = ann.get("/api/images").json()
    assert [item["image_id"] for item in listed["items"]] == [report, cat]  # newest first
    assert listed["next"] is None

    thumbnail = processed["thumbnail_url"]
    assert thumbnail.startswith(f"{stack.outputs['cdn_url']}/images/auto/avif-webp/thumbnail/")
    first, second = requests.get(thumbnail, timeout=TIMEOUT), requests.get(thumbnail, timeout=TIMEOUT)
    assert first.status_code == second.status_code == 200
    assert first.headers["Content-Type"] == "image/jpeg" and first.content == second.content  # no Accept
    assert first.headers["Cache-Control"] == IMMUTABLE
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("Miss from edge", "Hit from edge")
    # The CDN picks the format the browser takes best; each variant's own URL is its own format.
    for accept, served in (("image/avif,image/webp,*/*", "image/avif"), ("image/webp,*/*", "image/webp")):
        negotiated = requests.get(processed["optimized_url"], headers={"Accept": accept}, timeout=TIMEOUT)
        assert (negotiated.status_code, negotiated.headers["Content-Type"]) == (200, served)
    for variant in processed["variants"]:
        own = requests.get(variant["url"], headers={"Accept": "image/avif,image/webp"}, timeout=TIMEOUT)
        assert own.headers["Content-Type"] == f"image/{variant['format']}" and len(own.content) == variant["bytes"]


def test_an_edit_and_a_review_reach_the_record_and_the_photographers_mail(stack, upload, web_user, mailbox):
    address = f"{upload.owner}@example.com"
    ann = web_user(upload.owner, email=address)
    rita = web_user(f"{upload.owner}-reviewer", role=REVIEWER)
    image_id = upload_through_form(ann, upload, "harbour.jpg", photo_jpeg(640, 480, seed=92), "image/jpeg")
    assert outcome(ann, image_id)[Record.STATUS] == PROCESSED

    edited = ann.call("PATCH", f"/api/images/{image_id}", json={"caption": "Harbour at dawn"})
    assert edited.status_code == 200 and edited.json()["caption"] == "Harbour at dawn"
    assert ann.get(f"/api/images/{image_id}").json()["caption"] == "Harbour at dawn"

    refused = ann.call("POST", f"/api/images/{image_id}/review", json={"status": "Pass"})
    assert refused.status_code == 403  # photographers do not review
    reviewed = rita.call("POST", f"/api/images/{image_id}/review", json={"status": "Reject", "reason": "tilted"})
    assert reviewed.status_code == 200, reviewed.text
    assert (reviewed.json()[Record.REVIEW_STATUS], reviewed.json()[Record.REVIEW_REASON]) == (REJECTED, "tilted")

    # Its own mail, or a row of the photographer's digest (the window may hold the upload's outcome too).
    mails = wait_until(
        lambda: [m for m in mailbox(address, "harbour.jpg") if "tilted" in m["Body"]["text_part"]],
        timeout=30,
        what="the verdict's mail to the photographer",
    )
    assert len(mails) == 1


def test_s3_refuses_a_post_over_the_stacks_byte_limit(upload, web_user):
    ann = web_user(upload.owner)
    form = upload_form(ann, "huge.jpg", "image/jpeg")
    upload.adopt(form["key"])
    refused = post_form(form, b"\xff" * (form["max_bytes"] + 1), "image/jpeg")
    assert refused.status_code == 400 and "EntityTooLarge" in refused.text


def test_another_photographer_sees_nothing_of_it(upload, web_user):
    ann = web_user(upload.owner)
    bob = web_user(f"{upload.owner}-other")
    image_id = upload_through_form(ann, upload, "mine.jpg", photo_jpeg(320, 240, seed=93), "image/jpeg")
    assert outcome(ann, image_id)[Record.STATUS] == PROCESSED
    for response in (
        bob.get(f"/api/images/{image_id}"),
        bob.call("PATCH", f"/api/images/{image_id}", json={"caption": "mine now"}),
        bob.call("DELETE", f"/api/images/{image_id}"),
    ):
        assert response.status_code == 404, response.text
    assert bob.get("/api/images").json() == {"items": [], "next": None}
    assert ann.get(f"/api/images/{image_id}").json()["caption"] is None  # untouched
