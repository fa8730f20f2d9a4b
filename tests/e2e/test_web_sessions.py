"""Sessions against hostile clients, through the CDN edge with real HTTP clients: a signed-in browser
and a stranger fetching the same cached URLs, a copy of a cookie used after sign-out, and a burst of
wrong passwords for one name sent at the same instant."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from handlers.stores.lockouts import LockoutPolicy
from tests.e2e.web_users import TIMEOUT, WebUser
from tests.stack_fixtures import WEB_STACKS

# Both web tiers: the REST API and the web function, and the instances behind a load balancer.
pytestmark = pytest.mark.parametrize("stack", WEB_STACKS, indirect=True)

BURST = 12


def asset_urls(page: str) -> list[str]:
    """The content-hashed assets the dashboard page links (`/assets/<name>.<sha256>.<ext>`)."""
    return sorted(set(re.findall(r'(?:src|href)="(/assets/[^"]+)"', page)))


def test_a_cached_page_or_asset_never_hands_a_session_to_a_stranger(stack, upload, web_user):
    ann = web_user(upload.owner)
    page = ann.get("/")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assets = asset_urls(page.text)
    assert any(url.startswith("/assets/main.") for url in assets), assets
    for url in ["/", *assets]:
        for _ in range(2):  # the second from the edge's cache, where it keeps the answer
            signed_in = ann.get(url)
            assert signed_in.status_code == 200 and "Set-Cookie" not in signed_in.headers, url
    stranger = requests.Session()
    for url in ["/", *assets]:
        answer = stranger.get(f"{ann.base_url}{url}", timeout=TIMEOUT)
        assert answer.status_code == 200 and "Set-Cookie" not in answer.headers, (url, answer.headers)
    assert answer.headers["X-Cache"] == "Hit from edge"  # (so the cache was there to leak from)
    assert not stranger.cookies
    assert stranger.get(f"{ann.base_url}/api/me", timeout=TIMEOUT).status_code == 401
    assert ann.get("/api/me").json()["user"]["username"] == ann.name


def copy_of(user: WebUser) -> requests.Session:
    """A client holding a copy of `user`'s cookies, taken now."""
    thief = requests.Session()
    thief.cookies.update(user.http.cookies)
    return thief


def test_a_cookie_copied_before_sign_out_is_refused_after_it(stack, upload, web_user):
    ann = web_user(upload.owner)
    thief = copy_of(ann)
    headers = {"X-CSRF-Token": ann.csrf_token}
    assert thief.get(f"{ann.base_url}/api/me", timeout=TIMEOUT).status_code == 200
    signed_out = ann.call("DELETE", "/api/session")
    assert signed_out.status_code == 204
    assert signed_out.headers["Cache-Control"] == "private, no-store"
    me = thief.get(f"{ann.base_url}/api/me", timeout=TIMEOUT)
    assert me.status_code == 401 and "ended" in me.json()["detail"]
    edit = thief.patch(f"{ann.base_url}/api/images/any", json={"caption": "mine"}, headers=headers, timeout=TIMEOUT)
    assert edit.status_code == 401


def test_signing_out_everywhere_ends_the_sessions_of_every_device(stack, upload, web_user):
    ann = web_user(upload.owner)
    phone = WebUser(ann.name, ann.password, ann.role, ann.base_url)
    assert phone.sign_in().status_code == 200
    assert ann.call("DELETE", "/api/sessions").status_code == 204
    assert phone.get("/api/me").status_code == 401
    assert phone.sign_in().status_code == 200 and phone.get("/api/me").status_code == 200


def test_a_burst_of_wrong_passwords_checks_no_more_than_the_policy_allows(stack, upload, web_user):
    ann = web_user(upload.owner)
    start = threading.Barrier(BURST)

    def guess(i: int) -> requests.Response:
        start.wait()
        return requests.post(
            f"{ann.base_url}/api/session", json={"username": ann.name, "password": f"wrong {i}"}, timeout=TIMEOUT
        )

    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(guess, range(BURST)))
    statuses = sorted(answer.status_code for answer in answers)
    checked = statuses.count(401)  # only a password that was checked is answered 401
    assert checked <= LockoutPolicy().slow_after
    assert statuses == [401] * checked + [429] * (BURST - checked), statuses
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in answers if answer.status_code == 429)
    refused = ann.sign_in()  # even the right password waits now
    assert refused.status_code == 429
