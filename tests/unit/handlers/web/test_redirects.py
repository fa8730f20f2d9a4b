"""No answer sends a client off the CDN: the app makes no redirect by itself, so no answer carries a
`Location` to the request's host (behind CloudFront the origin's, API Gateway's without its stage).

Every rule of the app's URL map is asked for with each of its slashes doubled, with all of them
doubled, with a trailing slash added or taken away, by every method it has, with the Host header
as CloudFront sends it to an API Gateway origin and as a browser sends it; none is answered with a
redirect, and no answer has a `Location` with a scheme or a host. The paths the issue found
answer 404 as any unknown path does, and so do a route ending in `/` asked for without it and a
route with defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

ORIGIN = "abc123defg.execute-api.eu-west-1.amazonaws.com"
"""The Host a request has behind CloudFront: the origin's, API Gateway's here."""
HOSTS = (ORIGIN, "localhost")
ISSUE_PATHS = ("/view//x", "/api//health", "/assets//x")


def request(client: FlaskClient, method: str, path: str, host: str) -> Any:
    """`method path` with `host` as its Host header, the path sent as it is (a path starting with
    `//` would otherwise be read as a host)."""
    return client.open(path, method=method, headers={"Host": host}, environ_overrides={"PATH_INFO": path})


def example_path(rule: str) -> str:
    """A path the rule matches: each of its variables `x`."""
    return re.sub(r"<[^<>]+>", "x", rule)


def variants(path: str) -> Iterator[str]:
    """`path` with each slash doubled, with all doubled, and with a trailing slash added or removed."""
    for at, character in enumerate(path):
        if character == "/":
            yield path[:at] + "/" + path[at:]
    yield path.replace("/", "//")
    yield path.rstrip("/") if path.endswith("/") and path != "/" else path + "/"


def off_site(response: Any) -> str | None:
    """The `Location` of `response` when it names a scheme or a host (None otherwise)."""
    location = response.headers.get("Location")
    if location is None:
        return None
    parts = urlsplit(location)
    return location if parts.scheme or parts.netloc or location.startswith("//") else None


def test_no_rule_answers_a_redirect_to_any_spelling_of_its_path(app: Flask) -> None:
    client = app.test_client()
    asked = 0
    for rule in app.url_map.iter_rules():
        path = example_path(rule.rule)
        for method in sorted(rule.methods or ()):
            for variant in [path, *variants(path)]:
                for host in HOSTS:
                    response = request(client, method, variant, host)
                    where = f"{method} {variant} (Host {host}, rule {rule.rule})"
                    assert off_site(response) is None, f"{where}: Location {response.headers['Location']}"
                    assert not 300 <= response.status_code < 400, f"{where}: {response.status}"
                    asked += 1
    assert asked > 100  # every rule was asked for, in every spelling


@pytest.mark.parametrize("path", ISSUE_PATHS)
@pytest.mark.parametrize("host", HOSTS)
def test_the_paths_the_issue_found_are_unknown_not_redirected(client: FlaskClient, path: str, host: str) -> None:
    response = request(client, "GET", path, host)
    assert response.status_code == 404, (response.status, response.headers.get("Location"))
    assert "Location" not in response.headers
    assert response.get_json()["error"] == "not-found"


def test_a_route_ending_in_a_slash_asked_for_without_it_is_unknown(app: Flask) -> None:
    app.add_url_rule("/folder/", "folder", lambda: "a folder")
    client = app.test_client()
    assert client.get("/folder/").status_code == 200
    response = request(client, "GET", "/folder", ORIGIN)
    assert response.status_code == 404, (response.status, response.headers.get("Location"))


def test_a_route_with_defaults_answers_its_path_without_a_redirect(app: Flask) -> None:
    def page(number: int) -> str:
        return f"page {number}"

    app.add_url_rule("/pages/", "pages", page, defaults={"number": 1})
    app.add_url_rule("/pages/<int:number>", "pages", page)
    response = request(app.test_client(), "GET", "/pages/1", ORIGIN)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "page 1")


def test_the_app_has_no_static_route_of_flasks(app: Flask, client: FlaskClient) -> None:
    # the dashboard serves its own files at /assets/; Flask's /static/ would only ever answer 404
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint == "static"]
    assert client.get("/static/app.css").status_code == 404
