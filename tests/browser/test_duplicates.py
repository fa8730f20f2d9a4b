"""Near-copies on the dashboard, in a real browser through the CDN: an image the pipeline flagged as a
near-copy (`duplicate_of`) says "Looks like <file name>" in the grid, in its own view and in the
review queue, a link to the image it looks like; the page reads that image's name once however many
copies name it; an image the reader cannot see is said so, with no link and no id. Screenshots under
build/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from handlers.contract import PROCESSED, REVIEWER, ImagesTable, Record
from harness.samples import photo_jpeg, smaller_copy
from tests.browser.pages import awaiting, card, grid, nav, opener, sign_in
from tests.stack_fixtures import WEB_STACKS

# Both web tiers: the REST API and the web function, and the instances behind a load balancer.
pytestmark = pytest.mark.parametrize("stack", WEB_STACKS, indirect=True)

LOOKS_LIKE = re.compile(r"^Looks like")


def test_a_near_copy_says_which_image_it_looks_like_and_links_to_it(
    cdn_url, stack, upload, web_user, new_page: Callable[..., Page], screenshot
):
    ann = web_user(upload.owner)
    rita = web_user(f"{upload.owner}-reviewer", role=REVIEWER)
    # Names of this test's own: the reviewer sees every owner's images awaiting review.
    name = {stem: f"{stem}-{upload.owner}.jpg" for stem in ("dunes", "dunes-small", "dunes-tiny", "forest", "theirs")}
    photo = photo_jpeg(1600, 1000, seed=41)
    original = upload(name["dunes"], photo, "image/jpeg")
    for stem, scale, quality in (("dunes-small", 0.5, 55), ("dunes-tiny", 0.4, 50)):
        copy = upload(name[stem], smaller_copy(photo, scale, quality), "image/jpeg")
        assert copy[Record.STATUS] == PROCESSED and copy[Record.DUPLICATE_OF] == original["image_id"], copy
    forest = upload(name["forest"], photo_jpeg(640, 480, seed=42), "image/jpeg")
    theirs = upload(name["theirs"], photo_jpeg(640, 480, seed=43), "image/jpeg", owner=f"{upload.owner}-other")
    assert forest[Record.DUPLICATE_OF] is None
    # As a stack comparing every owner's images (imagepipe:duplicatesAcross=all) would have it: ann's
    # forest looks like another owner's image, which she may not see.
    stack.target.client("dynamodb").update_item(
        TableName=stack.table,
        Key={ImagesTable.KEY: {"S": forest["image_id"]}},
        UpdateExpression="SET #duplicate = :theirs",
        ExpressionAttributeNames={"#duplicate": Record.DUPLICATE_OF},
        ExpressionAttributeValues={":theirs": {"S": theirs["image_id"]}},
    )

    page = new_page()
    looked_up: list[str] = []
    page.on(
        "request", lambda r: looked_up.append(r.url) if r.url.endswith(f"/api/images/{original['image_id']}") else None
    )
    sign_in(page, cdn_url, ann)
    original_view = f"/view/{original['image_id']}"
    for stem in ("dunes-small", "dunes-tiny"):
        link = card(page, name[stem]).get_by_role("link", name=f"Looks like {name['dunes']}", exact=True)
        expect(link).to_have_attribute("href", original_view)
    hidden = card(page, name["forest"])
    expect(hidden).to_contain_text("Looks like an image you cannot see")
    expect(hidden.get_by_role("link", name=LOOKS_LIKE)).to_have_count(0)
    expect(card(page, name["dunes"])).not_to_contain_text("Looks like")
    expect(grid(page)).not_to_contain_text(theirs["image_id"])
    assert len(looked_up) == 1, looked_up  # one read of the original for both of its copies
    screenshot(page, "grid")

    card(page, name["dunes-small"]).get_by_role("link", name=f"Looks like {name['dunes']}").click()
    expect(page).to_have_url(f"{cdn_url}{original_view}")
    expect(page.get_by_role("heading", level=2)).to_have_text(name["dunes"])
    page.go_back()
    opener(page, name["dunes-tiny"]).click()
    expect(page.get_by_role("heading", level=2)).to_have_text(name["dunes-tiny"])
    details = page.get_by_role("region", name="Details")
    expect(details.get_by_role("link", name=f"Looks like {name['dunes']}", exact=True)).to_have_attribute(
        "href", original_view
    )
    screenshot(page, "copy-view")
    details.get_by_role("link", name=f"Looks like {name['dunes']}").click()
    expect(page.get_by_role("heading", level=2)).to_have_text(name["dunes"])
    expect(page.get_by_role("region", name="Details")).not_to_contain_text("Looks like")

    reviewer = new_page()
    sign_in(reviewer, cdn_url, rita)
    nav(reviewer, "Review").click()
    copy = awaiting(reviewer, name["dunes-small"])
    expect(copy.get_by_role("link", name=f"Looks like {name['dunes']}", exact=True)).to_have_attribute(
        "href", original_view
    )
    # A reviewer sees every owner's images: the one ann may not see is named, and linked, here.
    expect(
        awaiting(reviewer, name["forest"]).get_by_role("link", name=f"Looks like {name['theirs']}")
    ).to_have_attribute("href", f"/view/{theirs['image_id']}")
    screenshot(reviewer, "review")
