"""Cache keys and lifetimes as CloudFront's cache policies define them, and the store."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.edge.caching import (
    DEFAULT_ERROR_CACHING_TTL,
    Cache,
    accepted_encoding,
    cache_key,
    cookie_pairs,
    directives,
    refuses_caching,
    stored_headers,
    time_to_live,
)
from harness.edge.model import CachePolicy, Selection

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC).timestamp()
POLICY = CachePolicy("p", "pages", min_ttl=0, default_ttl=60, max_ttl=3600)


def _ttl(policy: CachePolicy, status: int = 200, error_ttl: int | None = None, **headers: str) -> int:
    pairs = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return time_to_live(policy, status, pairs, error_caching_min_ttl=error_ttl, now=NOW)


@pytest.mark.parametrize(
    ("headers", "ttl"),
    [
        ({}, 60),  # nothing said: the default TTL
        ({"Cache_Control": "max-age=120"}, 120),
        ({"Cache_Control": "public, max-age=31536000, immutable"}, 3600),  # clamped to the max
        ({"Cache_Control": "max-age=100, s-maxage=7"}, 7),  # s-maxage first
        ({"Cache_Control": "no-cache"}, 0),
        ({"Cache_Control": "private, max-age=600"}, 0),
        ({"Cache_Control": "no-store"}, 0),
        ({"Expires": format_datetime(datetime.fromtimestamp(NOW + 300, UTC), usegmt=True)}, 300),
        (
            {
                "Expires": format_datetime(datetime.fromtimestamp(NOW + 300, UTC), usegmt=True),
                "Cache_Control": "max-age=30",
            },
            30,
        ),
        ({"Expires": "not a date"}, 0),
        ({"Cache_Control": "max-age=0"}, 0),
        ({"Cache_Control": "s-maxage=0, max-age=600"}, 0),
        ({"Cache_Control": 'private="Set-Cookie", max-age=600'}, 0),  # private in any form
        ({"Cache_Control": 'no-cache="Set-Cookie", max-age=600'}, 600),  # kept, without Set-Cookie
        ({"Cache_Control": 'max-age=600, no-cache="Set-Cookie, X-Token"'}, 600),
        ({"Cache_Control": "max-age=600", "Vary": "Accept-Language, *"}, 0),  # asked again every time
        ({"Cache_Control": "max-age=600", "Vary": "Cookie"}, 600),  # not keyed on: see the README
    ],
)
def test_an_answer_lives_as_its_origin_says_within_the_policys_bounds(headers, ttl):
    assert _ttl(POLICY, **headers) == ttl


def test_a_minimum_ttl_overrides_what_the_origin_refuses_and_raises_short_lives():
    floor = CachePolicy("p", "floor", min_ttl=30, default_ttl=60, max_ttl=3600)
    assert _ttl(floor, Cache_Control="no-store") == 30
    assert _ttl(floor, Cache_Control="private, no-store") == 30
    assert _ttl(floor, Cache_Control="max-age=5") == 30
    assert _ttl(floor, Cache_Control="max-age=600", Vary="*") == 600  # Vary: * matters at min TTL 0 only


def test_every_cache_control_header_of_an_answer_counts():
    pairs = [("Cache-Control", "public, max-age=600"), ("Set-Cookie", "s=1"), ("cache-control", "no-store")]
    assert time_to_live(POLICY, 200, pairs, error_caching_min_ttl=None, now=NOW) == 0


@pytest.mark.parametrize(
    ("cache_control", "refused"),
    [
        ("no-store", True),
        ("private", True),
        ('private="Set-Cookie"', True),
        ("no-cache", True),
        ('no-cache="Set-Cookie"', False),
        ("public, max-age=0", False),  # kept for 0 s: a matter of the TTL, not a refusal
        ("must-revalidate, proxy-revalidate", False),
    ],
)
def test_what_refuses_a_shared_cache(cache_control, refused):
    assert refuses_caching(directives(cache_control)) is refused


def test_a_kept_copy_leaves_out_the_fields_no_cache_names_and_nothing_else():
    answer = [
        ("Content-Type", "text/plain"),
        ("Set-Cookie", "a=1"),
        ("Cache-Control", 'max-age=60, no-cache="set-cookie, X-Token"'),
        ("set-cookie", "b=2"),
        ("X-Token", "t"),
        ("X-Other", "o"),
    ]
    assert stored_headers(answer) == (
        ("Content-Type", "text/plain"),
        ("Cache-Control", 'max-age=60, no-cache="set-cookie, X-Token"'),
        ("X-Other", "o"),
    )
    plain = [("Set-Cookie", "a=1"), ("Cache-Control", "max-age=60")]
    assert stored_headers(plain) == tuple(plain)
    assert stored_headers([("Set-Cookie", "a=1"), ("Cache-Control", "no-cache")]) == (
        ("Set-Cookie", "a=1"),
        ("Cache-Control", "no-cache"),
    )  # not kept at all (the TTL's business), nothing named


def test_a_policy_that_disables_caching_keeps_nothing_not_even_errors():
    disabled = CachePolicy("p", "api", 0, 0, 0)
    assert _ttl(disabled, Cache_Control="max-age=600") == 0
    assert _ttl(disabled, 503) == 0


def test_errors_are_kept_ten_seconds_unless_declared_or_the_origin_says_longer():
    assert _ttl(POLICY, 404) == DEFAULT_ERROR_CACHING_TTL == 10
    assert _ttl(POLICY, 503, error_ttl=0) == 0
    assert _ttl(POLICY, 403, error_ttl=0, Cache_Control="max-age=20") == 20
    assert _ttl(POLICY, 403, error_ttl=0, Cache_Control="max-age=99999") == 3600  # capped by the max TTL
    assert _ttl(POLICY, 404, Cache_Control="no-store") == 0  # honoured for 404, 414, 501
    assert _ttl(POLICY, 403, Cache_Control="no-store") == 10  # not for the others


@pytest.mark.parametrize("status", [201, 204, 302, 304, 307, 401, 409, 416, 429])
def test_other_statuses_are_not_kept(status):
    assert _ttl(POLICY, status, Cache_Control="max-age=600") == 0


def test_the_key_holds_what_the_policy_includes_only():
    policy = CachePolicy(
        "p",
        "k",
        0,
        60,
        600,
        headers=Selection("whitelist", ("Accept-Language",), case_sensitive=False),
        cookies=Selection("whitelist", ("lang",)),
        query_strings=Selection("allExcept", ("utm",)),
    )

    def key(**extra):
        request = {
            "behaviour": "*",
            "method": "GET",
            "path": "/p",
            "query": [("a", "a=1"), ("utm", "utm=x")],
            "headers": [("accept-language", "fr"), ("X-Other", "1")],
            "cookies": [("lang", "fr"), ("session", "s1")],
            "encoding": None,
        }
        return cache_key(policy, **{**request, **extra})

    base = key()
    assert key(query=[("a", "a=1"), ("utm", "utm=y")]) == base  # an excepted query string
    assert key(cookies=[("lang", "fr"), ("session", "s2")]) == base  # a cookie not listed
    assert key(headers=[("Accept-Language", "fr"), ("X-Other", "2")]) == base  # names case-insensitive
    assert key(method="HEAD") == base  # GET and HEAD share answers
    assert key(query=[("a", "a=2")]) != base
    assert key(cookies=[("lang", "de")]) != base
    assert key(headers=[("Accept-Language", "de")]) != base
    assert key(method="OPTIONS") != base
    assert key(encoding="gzip") != base


@given(st.lists(st.sampled_from(["gzip", "br", "deflate", "identity", "gzip;q=0", "br;q=0.5", "*"]), max_size=4))
def test_the_accepted_encoding_is_normalised_as_the_policy_allows(offered):
    both = CachePolicy("p", "b", 0, 0, 1, gzip=True, brotli=True)
    header = ", ".join(offered)
    accepts_gzip = "gzip" in offered
    assert accepted_encoding(both, header, brotli_available=False) == ("gzip" if accepts_gzip else None)
    accepts_br = "br" in offered or "br;q=0.5" in offered
    expected = "br" if accepts_br else ("gzip" if accepts_gzip else None)
    assert accepted_encoding(both, header, brotli_available=True) == expected
    assert accepted_encoding(CachePolicy("p", "none", 0, 0, 1), header, brotli_available=True) is None


def test_the_store_keeps_fresh_answers_and_drops_the_least_recently_used():
    now = [0.0]
    cache = Cache(max_bytes=10, clock=lambda: now[0])

    def key(name):
        return cache_key(
            POLICY, behaviour="*", method="GET", path=name, query=[], headers=[], cookies=[], encoding=None
        )

    cache.put(key("/a"), 200, "OK", [], b"aaaa", ttl=5)
    cache.put(key("/b"), 200, "OK", [], b"bbbb", ttl=100)
    assert cache.get(key("/a")).body == b"aaaa"  # /a used last
    cache.put(key("/c"), 200, "OK", [], b"cccc", ttl=100)  # over 10 bytes: /b goes
    assert cache.get(key("/b")) is None and cache.get(key("/c")) is not None
    now[0] = 5.0
    assert cache.get(key("/a")) is None  # its 5 s are over
    cache.put(key("/d"), 200, "OK", [], b"d", ttl=0)
    assert cache.get(key("/d")) is None and len(cache) == 1


def test_cache_control_and_cookies_are_parsed_as_sent():
    assert directives('public, Max-Age=60, no-cache="Set-Cookie"') == {
        "public": None,
        "max-age": "60",
        "no-cache": "Set-Cookie",
    }
    assert directives('no-cache="Set-Cookie, X-Token", max-age=5, private=x') == {
        "no-cache": "Set-Cookie, X-Token",
        "max-age": "5",
        "private": "x",
    }
    assert directives('private="a\\"b", ,, junk==x, s-maxage = 7') == {"private": 'a"b', "junk": "=x", "s-maxage": "7"}
    assert directives(None) == directives("") == {}
    assert cookie_pairs("a=1; b=x=y;c; d=") == [("a", "1"), ("b", "x=y"), ("d", "")]
