"""What the browser tests do on the dashboard's pages, found by the accessible names of its UI
contract: sign in, find the grid, an image's card and opener, an image awaiting review, wait for a
thumbnail to load."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.web_users import WebUser

PIPELINE_MS = 60_000  # from a file chosen to its outcome on the page: the pipeline's 30 s and the page's polling
MAIL_S = 30.0


def sign_in(page: Page, cdn_url: str, user: WebUser) -> None:
    page.goto(cdn_url)
    page.get_by_label("User name").fill(user.name)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text(user.name)


def nav(page: Page, name: str) -> Locator:
    """The navigation link (or tab) `name`."""
    return page.get_by_role("link", name=name, exact=True).or_(page.get_by_role("tab", name=name, exact=True))


def grid(page: Page) -> Locator:
    return page.get_by_role("list", name="My images")


def opener(page: Page, file_name: str) -> Locator:
    """The link or button, named after the file, that opens an image's view."""
    return page.get_by_role("link", name=file_name, exact=True).or_(
        page.get_by_role("button", name=file_name, exact=True)
    )


def card(page: Page, file_name: str) -> Locator:
    """The grid's item for `file_name`."""
    return grid(page).get_by_role("listitem").filter(has=opener(page, file_name))


def awaiting(page: Page, file_name: str) -> Locator:
    """The review queue's item for `file_name`."""
    return page.get_by_role("list", name="Awaiting review").get_by_role("listitem").filter(has_text=file_name)


def expect_thumbnail(page: Page, alt: str) -> None:
    """The grid shows an image named `alt`, and the browser loaded it (from the CDN) and decoded it."""
    image = grid(page).get_by_role("img", name=alt, exact=True)
    expect(image).to_be_visible(timeout=PIPELINE_MS)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0, f"the thumbnail of {alt} did not load"


def broken_images(page: Page) -> list[str]:
    """The images of the page the browser fetched but could not show."""
    return page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)")


def files_in(folder: Path, files: dict[str, bytes]) -> list[Path]:
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths
