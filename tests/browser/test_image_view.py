"""The dashboard's other ways in, in a real browser through the CDN: files dropped on the drop zone,
an image's share link and its deletion after a confirmation, and a session that ends while the user
is on a page (back to sign-in, then back to that page). Screenshots under build/screenshots/."""

from __future__ import annotations

import base64

import pytest
import requests
from playwright.sync_api import Page, expect

from handlers.contract import DELETED, PROCESSED, Record
from harness.samples import photo_jpeg
from tests.browser.pages import PIPELINE_MS, card, expect_thumbnail, grid, opener, sign_in
from tests.stack_fixtures import WEB_STACKS

# Both web tiers: the REST API and the web function, and the instances behind a load balancer.
pytestmark = pytest.mark.parametrize("stack", WEB_STACKS, indirect=True)

# Builds a DataTransfer holding one file, as a browser makes one for a drop from the desktop.
DROPPED_FILE = """([name, type, base64]) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type }));
    return transfer;
}"""


def test_a_file_dropped_on_the_drop_zone_is_uploaded_and_processed(cdn_url, upload, web_user, page, screenshot):
    ann = web_user(upload.owner)
    upload.adopt(upload.key("dropped.jpg"))
    sign_in(page, cdn_url, ann)

    data = base64.b64encode(photo_jpeg(640, 480, seed=111)).decode()
    transfer = page.evaluate_handle(DROPPED_FILE, ["dropped.jpg", "image/jpeg", data])
    zone = page.locator(".drop-zone")
    for kind in ("dragenter", "dragover", "drop"):
        zone.dispatch_event(kind, {"dataTransfer": transfer})
    uploads = page.get_by_role("list", name="Uploads")
    expect(uploads.get_by_role("progressbar", name="dropped.jpg", exact=True)).to_have_count(1)
    expect_thumbnail(page, "dropped.jpg")
    expect(card(page, "dropped.jpg")).to_contain_text(PROCESSED)
    screenshot(page, "dropped")


def _shared(cdn_url: str, record: dict) -> str:
    """The link the image view gives: the optimized image in the format the browser takes best."""
    return f"{cdn_url}/images/auto/avif-webp/{record['optimized_key'].removeprefix('images/')}"


def test_an_image_is_shared_by_its_link_and_deleted_only_once_confirmed(cdn_url, upload, web_user, page, screenshot):
    ann = web_user(upload.owner)
    record = upload("lighthouse.jpg", photo_jpeg(640, 480, seed=112), "image/jpeg")
    assert record[Record.STATUS] == PROCESSED
    sign_in(page, cdn_url, ann)
    opener(page, "lighthouse.jpg").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("lighthouse.jpg")

    link = page.get_by_label("Share link")
    expect(link).to_have_value(_shared(cdn_url, record))
    # Anyone with the link sees the image, in the format their browser takes best.
    for accept, served in (("image/avif,image/webp,*/*", "image/avif"), ("*/*", "image/jpeg")):
        shared = requests.get(link.input_value(), headers={"Accept": accept}, timeout=30)
        assert shared.status_code == 200 and shared.headers["Content-Type"] == served
    screenshot(page, "shared")

    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    screenshot(page, "confirm")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert (upload.record(upload.key("lighthouse.jpg")) or {}).get(Record.STATUS) == PROCESSED  # nothing done

    page.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete").click()
    upload.wait_for(upload.key("lighthouse.jpg"), DELETED)
    expect(page.get_by_role("heading", level=2)).not_to_have_text("lighthouse.jpg", timeout=PIPELINE_MS)
    screenshot(page, "deleted")


def test_a_session_that_ends_returns_to_sign_in_and_then_to_the_same_page(
    cdn_url, upload, web_user, page: Page, screenshot
):
    ann = web_user(upload.owner)
    record = upload("harbour-wall.jpg", photo_jpeg(640, 480, seed=113), "image/jpeg")
    sign_in(page, cdn_url, ann)
    opener(page, "harbour-wall.jpg").click()
    expect(page).to_have_url(f"{cdn_url}/view/{record['image_id']}")
    # Loaded (an answer still on its way would set the session cookie again after it is cleared).
    expect(page.get_by_label("Share link")).to_have_value(_shared(cdn_url, record))
    page.wait_for_load_state("networkidle")

    page.context.clear_cookies()  # the session is gone (expired, or signed out in another tab)
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert "/sign-in?next=" in page.url
    screenshot(page, "asked-to-sign-in")
    page.get_by_label("User name").fill(ann.name)
    page.get_by_label("Password", exact=True).fill(ann.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{cdn_url}/view/{record['image_id']}")
    expect(page.get_by_role("heading", level=2)).to_have_text("harbour-wall.jpg")
    expect(grid(page)).to_have_count(0)
    screenshot(page, "back")
