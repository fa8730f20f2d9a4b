"""The browser fixtures themselves, with no stack: Chromium opens a page served from a temporary
folder on a loopback port, takes files through a file input as the dashboard's is driven, and the
screenshot lands where the suite's pictures go."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness.samples import alpha_png, photo_jpeg

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>files</title></head>
<body>
<h1>Files</h1>
<label for="choose">Choose images</label>
<input id="choose" type="file" multiple>
<ul role="list" aria-label="Chosen"></ul>
<script>
  const input = document.getElementById("choose");
  input.addEventListener("change", () => {
    const list = document.querySelector("ul");
    for (const file of input.files) {
      const item = document.createElement("li");
      item.textContent = `${file.name}: ${file.type}, ${file.size} bytes`;
      list.append(item);
    }
  });
</script>
</body></html>
"""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class names it)
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The page above, served from tmp_path on a loopback port: its URL."""
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_chromium_takes_files_through_a_file_input_and_the_page_is_saved(site, page, screenshot, tmp_path):
    photo, drawing = tmp_path / "harbour.jpg", tmp_path / "logo.png"
    photo.write_bytes(photo_jpeg(320, 240, seed=1))
    drawing.write_bytes(alpha_png(64, 64))

    page.goto(site)
    page.get_by_label("Choose images").set_input_files([photo, drawing])

    chosen = page.get_by_role("list", name="Chosen").get_by_role("listitem")
    expect(chosen).to_have_text(
        [
            f"harbour.jpg: image/jpeg, {photo.stat().st_size} bytes",
            f"logo.png: image/png, {drawing.stat().st_size} bytes",
        ]
    )
    saved = screenshot(page, "chosen")
    assert saved.name == "test_chromium_takes_files_through_a_file_input_and_the_page_is_saved-chosen.png"
    assert saved.read_bytes().startswith(PNG_SIGNATURE)


def test_each_page_has_a_context_of_its_own(site, new_page):
    first, second = new_page(), new_page()
    first.goto(site)
    first.evaluate("localStorage.setItem('who', 'first')")
    second.goto(site)
    assert second.evaluate("localStorage.getItem('who')") is None
    assert first.context is not second.context
