"""The CDN's format function (cdn_functions/image_format.js), run by the edge's node runtime as the
edge runs it: the best format of those published that the browser's Accept names, the rest 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.contract import MODERN_FORMATS, NEGOTIATED_PREFIX, PUBLIC_PREFIX, VARIANTS
from harness.edge.functions import FunctionRuntime
from harness.edge.model import EdgeFunction

CODE = Path(__file__).resolve().parents[3] / "cdn_functions" / "image_format.js"
FUNCTION = EdgeFunction(
    "image-format", "arn:aws:cloudfront::0:function/image-format", "cloudfront-js-2.0", CODE.read_text(), "E1"
)
CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
OLD_SAFARI = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"
CURL = "*/*"


@pytest.fixture(scope="module")
def runtime() -> Iterator[FunctionRuntime]:
    runtime = FunctionRuntime()
    yield runtime
    runtime.close()


def _viewer(runtime: FunctionRuntime, uri: str, accept: str | None) -> dict:
    headers = {"host": {"value": "d1.cloudfront.net"}}
    if accept is not None:
        headers["accept"] = {"value": accept}
    request = {"method": "GET", "uri": uri, "querystring": {}, "headers": headers, "cookies": {}}
    return runtime.run(
        FUNCTION,
        {"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "1.2.3.4"}, "request": request},
    )


def test_the_functions_names_are_the_contracts():
    code = CODE.read_text()
    assert f'var AUTO = "/{NEGOTIATED_PREFIX}";' in code and f'var PUBLISHED = "/{PUBLIC_PREFIX}";' in code
    preferred = re.search(r"var PREFERRED = \[(.*)\];", code).group(1)
    assert sorted(part.strip(' "') for part in preferred.split(",")) == sorted(MODERN_FORMATS)
    assert all(re.fullmatch(r"[a-z]+", variant) for variant in VARIANTS)  # what the function takes as a variant


@pytest.mark.parametrize(
    ("accept", "offered", "served"),
    [
        (CHROME, "avif-webp", "avif"),
        (OLD_SAFARI, "avif-webp", "webp"),
        (CURL, "avif-webp", "jpg"),  # */* and image/* do not say AVIF or WebP decodes
        (None, "avif-webp", "jpg"),
        (CHROME, "webp", "webp"),  # only what was published
        ("image/avif;q=0, image/webp;q=0.5", "avif-webp", "webp"),  # q=0: not acceptable
        ("IMAGE/AVIF ;Q=0.9", "avif", "avif"),
        ("image/avif;q=x", "avif", "jpg"),
    ],
)
def test_the_best_published_format_the_browser_names_is_served(runtime, accept, offered, served):
    request = _viewer(runtime, f"/images/auto/{offered}/optimized/abc-1f-w480.jpg", accept)
    assert request["uri"] == f"/images/optimized/abc-1f-w480.{served}"
    assert request["headers"]["host"] == {"value": "d1.cloudfront.net"}  # the rest of the request as it was


def test_a_transparent_images_fallback_is_its_png(runtime):
    assert (
        _viewer(runtime, "/images/auto/avif-webp/thumbnail/abc-1f.png", CURL)["uri"] == "/images/thumbnail/abc-1f.png"
    )


@pytest.mark.parametrize(
    "uri",
    [
        "/images/auto/avif-webp/optimized/abc.gif",  # not a JPEG/PNG base
        "/images/auto/avif-gif/optimized/abc.jpg",  # a format the function does not know
        "/images/auto//optimized/abc.jpg",
        "/images/auto/avif/../uploads/abc.jpg",  # no way out of images/<variant>/
        "/images/auto/avif/optimized/.abc.jpg",
        "/images/auto/avif/optimized/sub/abc.jpg",
        "/images/auto/avif/optimized/abc",
        "/images/other/avif/optimized/abc.jpg",
    ],
)
def test_anything_else_is_404_and_not_kept(runtime, uri):
    answer = _viewer(runtime, uri, CHROME)
    assert (answer["statusCode"], answer["headers"]["cache-control"]) == (404, {"value": "no-store"})


RANGE = st.sampled_from(["image/avif", "image/webp", "image/png", "image/*", "*/*", "text/html", "image/jpeg"])
QUALITY = st.sampled_from(["", ";q=0", ";q=0.0", ";q=0.5", ";q=1", ";q=0.001"])


@given(
    ranges=st.lists(st.tuples(RANGE, QUALITY), max_size=6), offered=st.sets(st.sampled_from(MODERN_FORMATS), min_size=1)
)
def test_the_choice_is_avif_then_webp_among_those_offered_and_acceptable(runtime, ranges, offered):
    accept = ", ".join(media + quality for media, quality in ranges)
    first = {}
    for media, quality in ranges:  # the first mention of a type is the one read
        first.setdefault(media.removeprefix("image/"), quality not in (";q=0", ";q=0.0"))
    acceptable = {name for name, ok in first.items() if ok}
    expected = next((name for name in ("avif", "webp") if name in offered and name in acceptable), "jpg")
    formats = "-".join(sorted(offered))
    assert (
        _viewer(runtime, f"/images/auto/{formats}/optimized/a-1.jpg", accept)["uri"]
        == f"/images/optimized/a-1.{expected}"
    )
