"""The dashboard in a real browser, as people use it: Chromium through the CDN edge (`cdn_url`) of the
stack deployed in the emulator. Sign in and out; upload with the file input and watch the pipeline's
outcomes arrive (two thumbnails, a PDF's reason); a PDF refused before it is sent; a caption kept
across a reload; a reviewer's verdicts reaching the photographer's page and mail; a second
photographer seeing nothing of the first one's images. Each test saves what it checked under
build/screenshots/.

Users are made with the `web_user` maker, the photographer named after the `upload` fixture's owner,
so what the page uploads (to uploads/<user>/<file name>) is removed with the test's uploads.
Everything is found by the accessible names of the dashboard's UI contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Request, expect

from handlers.contract import PROCESSED, REJECTED, REVIEWER, Record
from handlers.pipeline.uploads import image_id_for
from harness.polling import wait_until
from harness.samples import alpha_png, pdf_document, photo_jpeg
from tests.browser.pages import (
    MAIL_S,
    PIPELINE_MS,
    broken_images,
    card,
    expect_thumbnail,
    files_in,
    grid,
    nav,
    opener,
    sign_in,
)
from tests.stack_fixtures import WEB_STACKS

# Both web tiers: the REST API and the web function, and the instances behind a load balancer.
pytestmark = pytest.mark.parametrize("stack", WEB_STACKS, indirect=True)


def test_a_wrong_password_is_refused_then_a_photographer_signs_in_and_out(cdn_url, upload, web_user, page, screenshot):
    ann = web_user(upload.owner)
    page.goto(cdn_url)
    page.get_by_label("User name").fill(ann.name)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The user name or password is wrong.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "wrong-password")

    sign_in(page, cdn_url, ann)
    expect(nav(page, "My images")).to_be_visible()
    expect(nav(page, "Review")).to_have_count(0)  # reviewers only
    expect(grid(page)).to_be_attached()  # empty: a new user has no images
    screenshot(page, "signed-in")
    assert broken_images(page) == []  # the header's icon too

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.reload()  # the session is over at the server too, not only on the page
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_role("banner")).not_to_contain_text(ann.name)
    screenshot(page, "signed-out")


def test_uploads_through_the_file_input_show_two_thumbnails_and_the_pdfs_reason(
    cdn_url, upload, web_user, page, screenshot, tmp_path
):
    ann = web_user(upload.owner)
    # The PDF is named .png and goes as image/png: the page sends it, the pipeline rejects it by its content.
    files = {
        "harbour.jpg": photo_jpeg(800, 600, seed=101),
        "logo.png": alpha_png(300, 200, seed=102),
        "report.png": pdf_document(),
    }
    for name in files:
        upload.adopt(upload.key(name))
    sign_in(page, cdn_url, ann)

    page.get_by_label("Choose images").set_input_files(files_in(tmp_path, files))
    uploads = page.get_by_role("list", name="Uploads")
    for name in files:
        expect(uploads.get_by_role("listitem").filter(has_text=name)).to_have_count(1)
        expect(uploads.get_by_role("progressbar", name=name, exact=True)).to_have_count(1)
    screenshot(page, "sending")

    expect_thumbnail(page, "harbour.jpg")
    expect_thumbnail(page, "logo.png")
    rejected = card(page, "report.png")
    expect(rejected).to_contain_text(REJECTED, timeout=PIPELINE_MS)
    record = upload.record(upload.key("report.png"))
    assert record is not None and record[Record.STATUS] == REJECTED, record
    expect(rejected).to_contain_text(record["reason"])
    expect(rejected.get_by_role("img")).to_have_count(0)
    expect(uploads.get_by_role("listitem").filter(has_text="report.png")).to_contain_text(record["reason"])
    for name in ("harbour.jpg", "logo.png"):
        expect(card(page, name)).to_contain_text(PROCESSED)
        assert (upload.record(upload.key(name)) or {}).get(Record.STATUS) == PROCESSED
    screenshot(page, "outcomes")


def test_a_pdf_is_refused_in_the_page_with_its_reason_and_never_sent(
    cdn_url, stack, upload, web_user, page, screenshot, tmp_path
):
    ann = web_user(upload.owner)
    sign_in(page, cdn_url, ann)
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request) if request.method == "POST" else None)

    page.get_by_label("Choose images").set_input_files(files_in(tmp_path, {"invoice.pdf": pdf_document()}))
    item = page.get_by_role("list", name="Uploads").get_by_role("listitem").filter(has_text="invoice.pdf")
    expect(item).to_contain_text(re.compile(r"not a JPEG or PNG", re.IGNORECASE))
    screenshot(page, "refused")

    if sent:
        upload.adopt(upload.key("invoice.pdf"))  # sent after all: removed with the test's uploads
    assert [request.url for request in sent] == []  # no upload form asked for, nothing posted to the bucket
    assert not stack.exists(upload.key("invoice.pdf"))


def test_a_caption_saved_in_the_image_view_is_there_after_a_reload(cdn_url, upload, web_user, page, screenshot):
    ann = web_user(upload.owner)
    key = upload.key("pier.jpg")
    assert upload("pier.jpg", photo_jpeg(640, 480, seed=103), "image/jpeg")[Record.STATUS] == PROCESSED
    sign_in(page, cdn_url, ann)

    opener(page, "pier.jpg").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("pier.jpg")
    # A <picture> of every format and width: Chromium decodes AVIF, so it shows the AVIF file.
    shown = page.locator("figure.picture img")
    expect(shown).to_have_js_property("complete", True)
    assert shown.evaluate("img => img.currentSrc").endswith(".avif")
    assert shown.evaluate("img => img.naturalWidth") > 0
    sources = page.locator("figure.picture source")
    expect(sources).to_have_count(2)
    assert [sources.nth(i).get_attribute("type") for i in range(2)] == ["image/avif", "image/webp"]
    assert "480w" in (sources.first.get_attribute("srcset") or "")
    page.get_by_label("Caption", exact=True).fill("Pier at dusk")
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/api/images/" in r.url) as saved:
        page.get_by_role("button", name="Save caption").click()
    assert saved.value.ok, saved.value.text()
    assert (upload.record(key) or {}).get("caption") == "Pier at dusk"

    page.reload()
    expect(page.get_by_role("heading", level=2)).to_have_text("pier.jpg")
    expect(page.get_by_label("Caption", exact=True)).to_have_value("Pier at dusk")
    screenshot(page, "after-reload")
    page.get_by_role("link", name="Back").click()
    expect_thumbnail(page, "Pier at dusk")  # the caption is the thumbnail's text alternative
    screenshot(page, "grid")


def test_a_reviewers_verdicts_reach_the_photographers_page_and_mail(
    cdn_url, upload, web_user, mailbox, new_page: Callable[..., Page], screenshot
):
    address = f"{upload.owner}@example.com"
    ann = web_user(upload.owner, email=address)
    rita = web_user(f"{upload.owner}-reviewer", role=REVIEWER)
    # A reviewer sees every owner's images awaiting review: names of this test's own tell them apart.
    kept, refused = f"dunes-{upload.owner}.jpg", f"gate-{upload.owner}.png"
    upload(kept, photo_jpeg(640, 480, seed=104), "image/jpeg")
    upload(refused, alpha_png(256, 256, seed=105), "image/png")

    reviewer = new_page()
    sign_in(reviewer, cdn_url, rita)
    nav(reviewer, "Review").click()
    awaiting = reviewer.get_by_role("list", name="Awaiting review").get_by_role("listitem")
    to_pass, to_reject = awaiting.filter(has_text=kept), awaiting.filter(has_text=refused)
    for item in (to_pass, to_reject):
        expect(item.get_by_role("img")).to_be_visible()
        expect(item.get_by_role("img")).to_have_js_property("complete", True)
    screenshot(reviewer, "awaiting")
    to_pass.get_by_role("button", name="Pass").click()
    expect(to_pass).to_have_count(0)
    to_reject.get_by_label("Reason").fill("the horizon is tilted")
    to_reject.get_by_role("button", name="Reject").click()
    expect(to_reject).to_have_count(0)
    screenshot(reviewer, "reviewed")

    photographer = new_page()
    sign_in(photographer, cdn_url, ann)
    expect(card(photographer, kept)).to_contain_text("passed")
    expect(card(photographer, refused)).to_contain_text(REJECTED)
    expect(card(photographer, refused)).to_contain_text("the horizon is tilted")
    screenshot(photographer, "verdicts")
    photographer.get_by_label("Verdict").select_option("passed")
    expect(grid(photographer).get_by_role("listitem")).to_have_count(1)
    expect(card(photographer, kept)).to_be_visible()
    screenshot(photographer, "passed-only")

    for file_name, said in ((kept, "passed review"), (refused, "rejected in review: the horizon is tilted")):
        mails = wait_until(
            lambda file_name=file_name, said=said: [
                m for m in mailbox(address, file_name) if said in m["Body"]["text_part"]
            ],
            timeout=MAIL_S,
            what=f"the mail saying {file_name} {said}",
        )
        assert len(mails) == 1, mails


def test_a_second_photographer_sees_none_of_the_first_ones_images(cdn_url, upload, web_user, page, screenshot):
    ann = web_user(upload.owner)
    bob = web_user(f"{upload.owner}-other")
    hers = upload("private.jpg", photo_jpeg(640, 480, seed=106), "image/jpeg")
    upload("bobs.jpg", photo_jpeg(320, 240, seed=107), "image/jpeg", owner=bob.name)
    assert hers[Record.STATUS] == PROCESSED and hers["owner"] == ann.name

    sign_in(page, cdn_url, bob)
    expect_thumbnail(page, "bobs.jpg")  # his own list has loaded …
    expect(grid(page).get_by_role("listitem")).to_have_count(1)  # … and holds nothing of hers
    expect(page.get_by_text("private.jpg")).to_have_count(0)
    screenshot(page, "his-images")

    image_id = image_id_for(upload.key("private.jpg"))
    with page.expect_response(lambda r: r.url.endswith(f"/api/images/{image_id}")) as answer:
        page.goto(f"{cdn_url}/view/{image_id}")  # her image's own address
    assert answer.value.status == 404
    expect(page.get_by_role("heading", level=2)).not_to_have_text("private.jpg")
    expect(page.get_by_text("private.jpg")).to_have_count(0)
    expect(page.get_by_role("img", name="private.jpg")).to_have_count(0)
    screenshot(page, "her-image-address")
