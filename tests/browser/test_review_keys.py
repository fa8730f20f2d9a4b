"""The review queue with the keyboard alone, in a real browser through the CDN: J/K and the arrows
move the focus between the images awaiting review, P passes the current one, R goes to its reason
field, Enter there rejects with the reason and Escape leaves it; after a verdict the focus is on the
next image. A rejection without a reason is refused with the API's words and loses nothing. The
verdicts are read back from the API. Screenshots under build/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from handlers.contract import AWAITING, PASSED, REJECTED, REVIEWER, Record
from harness.samples import photo_jpeg
from tests.browser.pages import awaiting, nav, sign_in
from tests.stack_fixtures import WEB_STACKS

# Both web tiers: the REST API and the web function, and the instances behind a load balancer.
pytestmark = pytest.mark.parametrize("stack", WEB_STACKS, indirect=True)


REASON = "the pier and jetty look skewed"  # letters of the keys (p, j, k, r), typed as text


def test_a_reviewer_passes_and_rejects_with_the_keys_alone(cdn_url, upload, web_user, page: Page, screenshot):
    rita = web_user(f"{upload.owner}-reviewer", role=REVIEWER)
    # Uploaded one after another, so the queue (newest first) holds them as kept, refused, spare.
    spare, refused, kept = (f"{stem}-{upload.owner}.jpg" for stem in ("spare", "gate", "dunes"))
    ids = {
        name: upload(name, photo_jpeg(320, 240, seed=seed), "image/jpeg")["image_id"]
        for seed, name in enumerate((spare, refused, kept), start=121)
    }

    def verdict(name: str) -> tuple[str, str | None]:
        record = rita.get(f"/api/images/{ids[name]}").json()
        return record[Record.REVIEW_STATUS], record[Record.REVIEW_REASON]

    sign_in(page, cdn_url, rita)
    nav(page, "Review").click()
    expect(awaiting(page, spare)).to_be_visible()
    expect_the_keys_told(page, first=kept)

    page.keyboard.press("j")
    expect(awaiting(page, kept)).to_be_focused()
    screenshot(page, "current")
    page.keyboard.press("p")
    expect(awaiting(page, kept)).to_have_count(0)
    expect(awaiting(page, refused)).to_be_focused()  # the next image
    assert verdict(kept) == (PASSED, None)

    reason = awaiting(page, refused).get_by_label("Reason")
    reject_without_a_reason(page, refused, ids[refused])
    assert verdict(refused) == (AWAITING, None)
    screenshot(page, "reason-needed")

    page.keyboard.type(REASON)
    page.keyboard.press("Escape")
    expect(awaiting(page, refused)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(awaiting(page, spare)).to_be_focused()
    page.keyboard.press("k")
    expect(awaiting(page, refused)).to_be_focused()
    expect(reason).to_have_value(REASON)
    page.keyboard.press("r")
    expect(reason).to_be_focused()
    page.keyboard.press("Enter")
    expect(awaiting(page, refused)).to_have_count(0)
    expect(awaiting(page, spare)).to_be_focused()
    assert verdict(refused) == (REJECTED, REASON)
    assert verdict(spare) == (AWAITING, None)
    screenshot(page, "rejected")


def expect_the_keys_told(page: Page, first: str) -> None:
    """The queue's first image is `first`; the page lists the keys, and the controls name theirs."""
    queue = page.get_by_role("list", name="Awaiting review")
    expect(queue.get_by_role("listitem").first).to_contain_text(first)  # this test's are the newest
    expect(awaiting(page, first).get_by_role("img")).to_have_js_property("complete", True)
    expect(page.get_by_text("Keys:")).to_be_visible()
    item = awaiting(page, first)
    expect(item.get_by_role("button", name="Pass")).to_have_attribute("aria-keyshortcuts", "P")
    expect(item.get_by_label("Reason")).to_have_attribute("aria-keyshortcuts", "R")
    expect(item.get_by_role("button", name="Reject")).to_have_attribute("aria-keyshortcuts", "Enter")


def reject_without_a_reason(page: Page, name: str, image_id: str) -> None:
    """R, then Enter on the current image `name` with no reason: the API refuses it, the page says
    why, the image stays in the queue and the focus in its reason field."""
    reason = awaiting(page, name).get_by_label("Reason")
    page.keyboard.press("r")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("")  # the R is a key, not text
    with page.expect_response(lambda r: r.url.endswith(f"/api/images/{image_id}/review")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 400
    expect(awaiting(page, name).get_by_role("alert")).to_have_text(answer.value.json()["detail"])
    expect(reason).to_be_focused()
    expect(awaiting(page, name)).to_have_count(1)
