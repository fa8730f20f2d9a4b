"""Issue 16, finding 1, end to end in-process: the real web app (handlers.web.create_app, its users
and records in the session's moto server) behind the edge serving the stack's distribution. A
signed-in viewer loads the dashboard (the page, its content-hashed script, `/api/me`); then a viewer
with no cookie asks the same URLs, and must get no `Set-Cookie` and no session from them."""

from __future__ import annotations

import dataclasses
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client, TestResponse

from handlers.stores.image_store import ImageStore
from handlers.stores.user_store import UserStore
from handlers.web import WebSettings, create_app
from handlers.web.services import Services
from harness.aws import AwsTarget
from harness.edge.app import EdgeApp, Site
from tests.unit.conftest import free_port
from tests.unit.harness.edge.conftest import DeployedCdn
from tests.unit.tables import create_images_table, create_users_table

PASSWORD = "correct horse battery staple"
SCRIPT = re.compile(r"/assets/main\.[0-9a-f]+\.js")


@dataclass(frozen=True)
class WebOrigin:
    """The web app served on a loopback port, and the user who signs in."""

    port: int
    username: str


@pytest.fixture(scope="module")
def web_origin(moto: AwsTarget) -> Iterator[WebOrigin]:
    dynamodb = moto.client("dynamodb")
    suffix = uuid.uuid4().hex[:8]
    users_table, images_table = f"users-{suffix}", f"images-{suffix}"
    create_users_table(dynamodb, users_table)
    create_images_table(dynamodb, images_table)
    users = UserStore(users_table, dynamodb)
    users.add("alice", PASSWORD)
    services = Services(users=users, records=ImageStore(images_table, dynamodb))
    settings = WebSettings(secret_key=b"edge-test-session-key-of-32-bytes-or-more", secure_cookies=False)
    port = free_port()
    server = make_server("127.0.0.1", port, create_app(settings, services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield WebOrigin(port, "alice")
    finally:
        server.shutdown()
        server.server_close()


def _declared(deployed: DeployedCdn, web: WebOrigin) -> Site:
    """The stack's distribution, its app origin the web app on `web.port` (in plain HTTP, no path)."""
    distribution = deployed.site.distribution
    app = dataclasses.replace(
        distribution.origin("app"),
        domain_name="127.0.0.1",
        http_port=web.port,
        origin_path="",
        protocol_policy="http-only",
    )
    origins = tuple(app if origin.id == "app" else origin for origin in distribution.origins)
    return dataclasses.replace(deployed.site, distribution=dataclasses.replace(distribution, origins=origins))


def _pages_forwarding_cookies(deployed: DeployedCdn, web: WebOrigin) -> Site:
    """The same, but the pages (default) behaviour forwarding every cookie through the API's origin
    request policy, not keyed on them: the distribution as it was when finding 1 was made."""
    site = _declared(deployed, web)
    (api,) = [b for b in site.distribution.behaviours if b.path_pattern == "/api/*"]
    *ordered, pages = site.distribution.behaviours
    assert pages.path_pattern == "*" and pages.origin_request_policy_id is None
    forwarding = dataclasses.replace(pages, origin_request_policy_id=api.origin_request_policy_id)
    distribution = dataclasses.replace(site.distribution, behaviours=(*ordered, forwarding))
    return dataclasses.replace(site, distribution=distribution)


def _session_cookie(response: TestResponse) -> str:
    (cookie,) = [c.split(";", 1)[0] for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def _signed_in_viewer_loads_the_dashboard(edge: Client, username: str) -> str:
    """Sign in and load what the dashboard loads, as a browser would; the script's path."""
    signed_in = edge.post("/api/session", json={"username": username, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.get_data(as_text=True)
    cookie = {"Cookie": _session_cookie(signed_in)}
    page = edge.get("/", headers=cookie)
    assert page.status_code == 200
    match = SCRIPT.search(page.get_data(as_text=True))
    assert match is not None, "the page names no /assets/main.<hash>.js"
    script = edge.get(match.group(), headers=cookie)
    assert script.status_code == 200 and script.headers["X-Cache"] == "Miss from edge"
    me = edge.get("/api/me", headers=cookie)
    assert me.status_code == 200 and me.get_json()["user"]["username"] == username
    return match.group()


def _assert_a_stranger_gets_no_session(edge: Client, script: str) -> None:
    answers = {path: edge.get(path) for path in ("/", script, "/api/me")}
    for path, answer in answers.items():
        assert answer.headers.getlist("Set-Cookie") == [], f"{path} handed out {answer.headers.getlist('Set-Cookie')}"
    assert answers[script].status_code == 200 and answers[script].headers["X-Cache"] == "Hit from edge"
    assert answers["/api/me"].status_code == 401


def test_the_declared_cdn_keeps_a_session_out_of_every_cache_and_answer_for_others(deployed, s3_origins, web_origin):
    """The stack's distribution protects on its own, whatever the app sends: the page and its assets
    forward no cookie, so CloudFront (and the edge) removes any Set-Cookie of theirs, and `/api/*`,
    which takes the session, caches nothing."""
    edge = Client(EdgeApp(_declared(deployed, web_origin), s3_origins), use_cookies=False)
    script = _signed_in_viewer_loads_the_dashboard(edge, web_origin.username)
    _assert_a_stranger_gets_no_session(edge, script)


def test_with_pages_forwarding_cookies_only_the_app_keeps_a_session_out_of_the_cache(deployed, s3_origins, web_origin):
    """Where the pages behaviour forwards cookies without keying on them (as it did), CloudFront
    keeps a cacheable answer's Set-Cookie and sends it on every hit: it would not protect, and the
    edge does not either. What passes this test is the app's fix (handlers/web/auth.py: the cookie
    is set only by signing in and out, on `private, no-store` answers); an app that re-sends the
    session on every answer hands it to the stranger with the year-cached script."""
    edge = Client(EdgeApp(_pages_forwarding_cookies(deployed, web_origin), s3_origins), use_cookies=False)
    script = _signed_in_viewer_loads_the_dashboard(edge, web_origin.username)
    _assert_a_stranger_gets_no_session(edge, script)


def test_the_signed_in_viewer_keeps_its_session_through_the_declared_cdn(deployed, s3_origins, web_origin):
    """The other side: the session still works where it is needed (`/api/*`), and a sign-out's
    clearing cookie reaches the viewer."""
    edge = Client(EdgeApp(_declared(deployed, web_origin), s3_origins), use_cookies=False)
    signed_in = edge.post("/api/session", json={"username": web_origin.username, "password": PASSWORD})
    cookie = {"Cookie": _session_cookie(signed_in)}
    token = signed_in.get_json()["csrf_token"]
    assert edge.get("/api/me", headers=cookie).status_code == 200
    signed_out = edge.delete("/api/session", headers={**cookie, "X-CSRF-Token": token})
    assert signed_out.status_code in (200, 204), signed_out.get_data(as_text=True)
    assert _session_cookie(signed_out) in ("session=", 'session=""')
