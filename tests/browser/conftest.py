"""Browser fixtures: Playwright driving Debian's Chromium (/usr/bin/chromium, which `make test`
installs when it is missing), headless, for the whole session; a new browser context per page, so
no two tests (and no two users of one test) share cookies or storage.

- `browser`: the session's Chromium. Missing, it FAILS the test, naming the install step: these
  tests are never skipped (`-m "not browser"` leaves them out on purpose).
- `new_page()`: a page in a context of its own (`new_page(base_url)` for relative `goto`s); `page`
  is one such page. Each context is traced; when the test fails, every page it opened is saved as
  `build/screenshots/<test>-failed-<n>.png` and its trace as `build/traces/<test>-<n>.zip`
  (`playwright show-trace` opens it).
- `screenshot(page, name)`: saves `build/screenshots/<test>-<name>.png`, the whole page, for a
  person to look at what a test checked without running it. The directory holds the latest run's
  pictures only: it is emptied when the session's first browser test starts.

Timeouts are sized for a 2-core machine running the emulator beside the browser: 15 s for an
action or an assertion to come true, 30 s for a navigation. What waits on the pipeline says so.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.stack_fixtures import ROOT

CHROMIUM = Path(os.environ.get("IMAGEPIPE_CHROMIUM", "/usr/bin/chromium"))
# What Chromium needs on these machines: no sandbox as root, no GPU, and nothing it would fetch on
# its own (the network is closed; its attempts fail slowly). A fresh, empty profile is Playwright's
# own: launch() makes a new temporary user-data-dir for every browser and removes it afterwards.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ACTION_MS = 15_000
NAVIGATION_MS = 30_000
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOTS = ROOT / "build" / "screenshots"
TRACES = ROOT / "build" / "traces"

expect.set_options(timeout=ACTION_MS)

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, for the page fixtures to see whether the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(_REPORTS, {}).values())


def file_stem(item: pytest.Item) -> str:
    """The test's name as a file name: `test_x`, `test_x-param` for a parametrized one."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name).strip("-")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """build/screenshots/ (and build/traces/), emptied once per session: this run's files only."""
    for folder in (SCREENSHOTS, TRACES):
        shutil.rmtree(folder, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, artifacts: Path) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}, and it is not there: `make test` installs "
            "Debian's chromium package first (`make chromium` alone; apt-get, as root). "
            'To leave the browser tests out on purpose: pytest -m "not browser".',
            pytrace=False,
        )
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """A maker: `new_page(base_url=None)` opens a page in a new browser context of its own."""
    opened: list[tuple[BrowserContext, Page]] = []

    def make(base_url: str | None = None) -> Page:
        context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
        context.set_default_timeout(ACTION_MS)
        context.set_default_navigation_timeout(NAVIGATION_MS)
        context.tracing.start(snapshots=True)
        page = context.new_page()
        opened.append((context, page))
        return page

    yield make
    failed = _failed(request.node)
    stem = file_stem(request.node)
    for number, (context, page) in enumerate(opened, start=1):
        if failed:
            if not page.is_closed():
                page.screenshot(path=SCREENSHOTS / f"{stem}-failed-{number}.png", full_page=True)
            context.tracing.stop(path=TRACES / f"{stem}-{number}.zip")
        else:
            context.tracing.stop()
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, artifacts: Path) -> Callable[[Page, str], Path]:
    """`screenshot(page, name)`: the whole page as build/screenshots/<test>-<name>.png; its path."""
    stem = file_stem(request.node)

    def take(page: Page, name: str) -> Path:
        path = artifacts / f"{stem}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def cdn_url(stack) -> str:
    """Where the deployed stack's CDN serves the dashboard (the local edge)."""
    return str(stack.outputs["cdn_url"])
