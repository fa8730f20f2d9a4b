"""`make demo`'s look at the CDN choosing formats: a processed photo's negotiated URL (the record's
`optimized_url`, as the API gives it) fetched through the CDN as three browsers ask for images, and
what each is served."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import requests

from handlers.stores.image_record import ImageRecord
from handlers.web.records_api import api_record

# What browsers send for an <img> (Chrome 124, Safari 16, Firefox 65), and a client that says nothing.
BROWSERS: Final = (
    ("Chrome", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "image/avif"),
    ("Safari 16", "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5", "image/webp"),
    ("curl", "*/*", "image/jpeg"),
)
TIMEOUT_S: Final = 10


def show_formats(cdn_url: str, record: ImageRecord, say: Callable[[str], None]) -> list[str]:
    """Fetch `record`'s negotiated optimized URL through the CDN as each of BROWSERS, saying what
    each is served; what went wrong (a browser not served the format it takes best), if anything."""
    url = api_record(record, cdn_url)["optimized_url"]
    say(f"\nthe CDN picks the format per browser: {url}")
    wrong = []
    for browser, accept, expected in BROWSERS:
        answer = requests.get(url, headers={"Accept": accept}, timeout=TIMEOUT_S)
        served = answer.headers.get("Content-Type", "nothing")
        good = answer.status_code == 200 and served == expected
        size = f"{len(answer.content) / 1024:7.1f} KB"
        say(f"  {'✓' if good else '✗'} {browser:10} gets {served:10} {size} ({answer.headers.get('X-Cache')})")
        if not good:
            wrong.append(f"{browser} was served {answer.status_code} {served} from {url}, not {expected}")
    return wrong
