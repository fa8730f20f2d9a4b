"""An origin's `Set-Cookie` through the edge, under each cookie setting of a behaviour's policies and
each `Cache-Control` the origin may send, as CloudFront's developer guide says it goes (the table in
harness/edge/README.md): removed when no cookie is forwarded; otherwise passed on, and kept with the
answer (and sent on every hit) unless the origin keeps it out of the cache or names it in
`no-cache="Set-Cookie"`."""

from __future__ import annotations

import dataclasses

import pytest
from werkzeug.test import Client

from harness.edge.app import EdgeApp, Site
from harness.edge.cookies import forwards_cookies, passed_on
from harness.edge.exchange import OriginResponse
from harness.edge.model import Behaviour, CachePolicy, OriginRequestPolicy, Selection

NONE = Selection()
ALL = Selection("all")
SESSION = Selection("whitelist", ("session",))
LANG = Selection("whitelist", ("lang",))
ALL_BUT_SESSION = Selection("allExcept", ("session",))
KEPT = "public, max-age=600"
FIRST_VIEWER = {"Cookie": "session=viewer-one; lang=fr"}


def _site(deployed, cache_cookies: Selection, request_cookies: Selection | None, min_ttl: int = 0) -> Site:
    """The deployed distribution with one behaviour to the app origin, under these cookie settings."""
    cache = CachePolicy("c", "cookies", min_ttl, min_ttl, 3600, cookies=cache_cookies, query_strings=ALL)
    requests = None if request_cookies is None else OriginRequestPolicy("r", "cookies", cookies=request_cookies)
    behaviour = Behaviour("*", "app", "allow-all", ("GET", "HEAD"), ("GET", "HEAD"), "c", "r" if requests else None)
    distribution = dataclasses.replace(deployed.site.distribution, behaviours=(behaviour,))
    return Site(distribution, {"c": cache}, {"r": requests} if requests else {}, {})


def _get(edge: Client, cache_control: str | None, headers: dict[str, str] | None = None):
    query = {"cache-control": cache_control} if cache_control else {}
    return edge.get("/sets-cookie", query_string=query, headers=headers or {})


# (cache policy's cookies, origin request policy's cookies, the origin's Cache-Control, min TTL) →
# does the first viewer get the Set-Cookie; what a second viewer, sending no cookie, gets: X-Cache,
# and whose Set-Cookie ("first": the first viewer's, "own": a new one for it, None: no Set-Cookie).
CASES = {
    "no cookie forwarded: removed, the answer kept without it": (NONE, None, KEPT, 0, False, "Hit", None),
    "an origin request policy of none forwards none either": (NONE, NONE, KEPT, 0, False, "Hit", None),
    "all forwarded, not in the key: kept with it, sent to the next viewer": (NONE, ALL, KEPT, 0, True, "Hit", "first"),
    "one other cookie forwarded: the same": (NONE, LANG, KEPT, 0, True, "Hit", "first"),
    "all but the session forwarded: the same": (NONE, ALL_BUT_SESSION, KEPT, 0, True, "Hit", "first"),
    "all cookies in the key: a viewer without them is another key": (ALL, None, KEPT, 0, True, "Miss", "own"),
    "the session in the key: the same": (SESSION, None, KEPT, 0, True, "Miss", "own"),
    "another cookie in the key: kept with it, sent to viewers of that key": (LANG, None, KEPT, 0, True, "Miss", "own"),
    "private: not kept": (NONE, ALL, "private, max-age=600", 0, True, "Miss", "own"),
    "private naming a field: not kept either": (NONE, ALL, 'private="Set-Cookie", max-age=600', 0, True, "Miss", "own"),
    "no-store: not kept": (NONE, ALL, "no-store, max-age=600", 0, True, "Miss", "own"),
    "no-cache: not kept": (NONE, ALL, "no-cache", 0, True, "Miss", "own"),
    "max-age=0: not kept": (NONE, ALL, "max-age=0", 0, True, "Miss", "own"),
    "s-maxage=0 over max-age: not kept": (NONE, ALL, "s-maxage=0, max-age=600", 0, True, "Miss", "own"),
    'no-cache="Set-Cookie": kept without it': (NONE, ALL, 'no-cache="Set-Cookie", max-age=600', 0, True, "Hit", None),
    "nothing said at a min TTL of 0: not kept": (NONE, ALL, None, 0, True, "Miss", "own"),
    "a min TTL above 0 keeps even a private answer, cookie and all": (
        NONE,
        ALL,
        "private, no-store",
        60,
        True,
        "Hit",
        "first",
    ),
    "no cookie forwarded and private: removed, not kept": (NONE, None, "private", 0, False, "Miss", None),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_set_cookie_is_removed_passed_and_kept_as_cloudfront_does(deployed, s3_origins, case):
    cache_cookies, request_cookies, cache_control, min_ttl, first_gets_it, second_x_cache, second_gets = case
    edge = Client(EdgeApp(_site(deployed, cache_cookies, request_cookies, min_ttl), s3_origins), use_cookies=False)
    first = _get(edge, cache_control, FIRST_VIEWER)
    assert first.status_code == 200 and first.headers["X-Cache"] == "Miss from edge"
    first_cookies = first.headers.getlist("Set-Cookie")
    assert first_cookies == ([f"session={first.get_data(as_text=True)}; Path=/; HttpOnly"] if first_gets_it else [])

    second = _get(edge, cache_control)
    assert second.headers["X-Cache"] == f"{second_x_cache} from edge"
    assert (second.get_data() == first.get_data()) == (second_x_cache == "Hit")
    second_cookies = second.headers.getlist("Set-Cookie")
    if second_gets is None:
        assert second_cookies == []
    elif second_gets == "first":
        assert second_cookies == first_cookies
    else:
        assert second_cookies == [f"session={second.get_data(as_text=True)}; Path=/; HttpOnly"] != first_cookies


def test_a_viewer_of_the_same_key_gets_the_kept_set_cookie_on_a_hit(deployed, s3_origins):
    """Keying on the session cookie keeps viewers apart, but a Set-Cookie kept is still sent on every
    hit of its key (CloudFront: "sends those Set-Cookie headers to viewers on all cache hits")."""
    edge = Client(EdgeApp(_site(deployed, SESSION, None), s3_origins), use_cookies=False)
    first = _get(edge, KEPT, FIRST_VIEWER)
    again = _get(edge, KEPT, {"Cookie": "lang=de; session=viewer-one"})  # the other cookie is not in the key
    assert again.headers["X-Cache"] == "Hit from edge"
    assert again.headers.getlist("Set-Cookie") == first.headers.getlist("Set-Cookie") != []


def test_a_head_served_from_the_cache_carries_no_removed_cookie(deployed, s3_origins):
    edge = Client(EdgeApp(_site(deployed, NONE, None), s3_origins), use_cookies=False)
    assert _get(edge, KEPT, FIRST_VIEWER).headers.getlist("Set-Cookie") == []
    head = edge.head("/sets-cookie", query_string={"cache-control": KEPT})
    assert head.headers["X-Cache"] == "Hit from edge" and "Set-Cookie" not in head.headers


@pytest.mark.parametrize(
    ("cache_cookies", "request_cookies", "forwards"),
    [
        (NONE, None, False),
        (NONE, NONE, False),
        (NONE, ALL, True),
        (NONE, LANG, True),
        (NONE, ALL_BUT_SESSION, True),
        (ALL, None, True),
        (SESSION, NONE, True),
        (ALL_BUT_SESSION, None, True),
    ],
)
def test_a_behaviour_forwards_cookies_when_either_policy_takes_any(cache_cookies, request_cookies, forwards):
    cache = CachePolicy("c", "c", 0, 0, 60, cookies=cache_cookies)
    requests = None if request_cookies is None else OriginRequestPolicy("r", "r", cookies=request_cookies)
    assert forwards_cookies(cache, requests) is forwards


def test_every_set_cookie_is_removed_and_nothing_else_where_none_is_forwarded():
    answer = OriginResponse(
        200,
        "OK",
        [("Set-Cookie", "a=1"), ("Content-Type", "text/plain"), ("set-cookie", "b=2"), ("X-Other", "x")],
        b"body",
    )
    quiet = CachePolicy("c", "c", 0, 0, 60)
    assert passed_on(answer, quiet, None).headers == [("Content-Type", "text/plain"), ("X-Other", "x")]
    assert passed_on(answer, quiet, None).body == b"body"
    assert passed_on(answer, quiet, OriginRequestPolicy("r", "r", cookies=ALL)) is answer
