"""Every JSON route answers 400, never 500, to any JSON body, signed in or not
(`handlers.web.json_body`): nesting as deep as the byte limit allows, numbers too large for a float
or for Python's int-string conversion, NaN and Infinity, duplicate names, wrong types, text that is
not UTF-8 or holds lone surrogates. Sign-in reads its body through the same reader as the others.

The property test walks every operation of the OpenAPI document with hypothesis-made JSON text
(written as text, not by `json.dumps`, so it can hold what `json.dumps` never writes), sent by a
caller who is not signed in and by each role signed in with its CSRF token; every answer is held to
the document by the validating client (conftest), and a 400 to the API's Error schema. The sign-ins
it generates name `mallory` (a user, so the lockout and success are both reached) or names nobody
uses; the signed-in callers are other users, signed in afresh for each example, so the lockout the
generated sign-ins build never keeps a caller from being signed in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS31Validator

from handlers.contract import PHOTOGRAPHER, UsersTable
from tests.unit.handlers.web.conftest import PASSWORD, csrf, put_record
from tests.unit.handlers.web.openapi_client import document
from tests.unit.handlers.web.test_image_edits import image

SESSION_USERS = ("alice", "rita")
"""Who the signed-in callers are; no generated sign-in names them."""
TARGET = "mallory"
"""The user the generated sign-ins name (with the right password sometimes)."""
IMAGES = ("i1", "i2")
"""The images there are: alice's and rita's, both processed and awaiting review."""
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
DEPTH = 20_000
"""Nesting deeper than the JSON decoder's recursion allows, within the 64 KiB a body may have."""


def operations() -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, path template, the names its request body's schema has) of every documented operation."""
    schemas = document()["components"]["schemas"]
    found = []
    for path, item in document()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                body = item[method].get("requestBody", {}).get("content", {}).get("application/json", {})
                reference = body.get("schema", {}).get("$ref", "")
                properties = schemas[reference.rsplit("/", 1)[-1]].get("properties", {}) if reference else {}
                found.append((method.upper(), path, tuple(properties)))
    return found


OPERATIONS = operations()


@pytest.fixture
def mallory(users_table: str, dynamodb: Any, password_hash: str) -> str:
    """A third user, the one generated sign-ins try."""
    dynamodb.put_item(
        TableName=users_table,
        Item={UsersTable.KEY: {"S": TARGET}, "role": {"S": PHOTOGRAPHER}, "password_hash": {"S": password_hash}},
    )
    return TARGET


def error_problems(response: Any) -> list[str]:
    """What keeps an answer from being the API's Error (none: it is one)."""
    if response.mimetype != "application/json":
        return [f"content type {response.mimetype}"]
    schema = document()["components"]["schemas"]["Error"]
    return [error.message for error in OAS31Validator(schema).iter_errors(response.get_json())]


# JSON text, written by hand so it may hold anything a client can send.

SESSION_WORDS = (TARGET, PASSWORD, "nobody")
UPLOAD_WORDS = ("cat.jpg", "${filename}.jpg", "image/jpeg", "image/png")
EDIT_WORDS = ("Pass", "Reject", "blurred", "2025-01-05", "01/05/2025", "1/5/2025", "A caption", "")
LIKELY = st.sampled_from((*SESSION_WORDS, *UPLOAD_WORDS, *EDIT_WORDS))
"""Strings the routes take, so generated bodies get past the type checks to the views' own."""
STRINGS = st.one_of(
    LIKELY.map(json.dumps),
    st.text(max_size=20).filter(lambda text: text not in SESSION_USERS).map(json.dumps),
    st.text(max_size=8).map(lambda text: json.dumps(text, ensure_ascii=False)),  # raw, surrogates too
    st.sampled_from(['"\\ud800"', '"a\\udfff"', '"\\u0000"', '"\\\\"', '"\\"']),  # lone surrogates, NUL
)
NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(4000, 6000).map(lambda digits: "9" * digits),  # past Python's int-string conversion limit
    st.sampled_from(["1e999999", "-1e999999", "1e-999999", "1E400", "NaN", "Infinity", "-Infinity", "-0"]),
)
SCALARS = st.one_of(st.sampled_from(["null", "true", "false"]), NUMBERS, STRINGS)


def obj(pairs: Sequence[tuple[str, str]]) -> str:
    """A JSON object of already written names and values (a name may come twice)."""
    return "{" + ",".join(f"{name}:{value}" for name, value in pairs) + "}"


def deep(value: str, depth: int, opener: str) -> str:
    """`value` inside `depth` arrays or objects."""
    closer = "]" if opener == "[" else "}"
    return opener * depth + value + closer * depth


def json_texts(fields: Sequence[str]) -> st.SearchStrategy[str]:
    """JSON text for a route taking `fields`: any value, objects of its fields (and others) whose
    values are anything, nesting up to `DEPTH`, and the texts JSON's grammar refuses."""
    names = st.one_of(st.sampled_from(fields or ("x",)), st.text(max_size=6)).map(json.dumps)
    values = st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
            st.lists(st.tuples(names, inner), max_size=4).map(obj),
        ),
        max_leaves=10,
    )
    nested = st.builds(
        deep,
        values,
        st.one_of(st.integers(1, 64), st.sampled_from([900, 1000, 3000, DEPTH])),
        st.sampled_from(["[", '{"x":']),
    )
    # The route's fields, a name maybe twice, each value anything, nested or not.
    shaped = st.lists(st.tuples(names, st.one_of(values, nested)), max_size=5).map(obj)
    broken = st.sampled_from(["", " ", "{", '{"a":}', "[1,]", "{'a': 1}", '{"a" 1}', "\ufeff{}", "nul", "1 2"])
    return st.one_of(shaped, values, nested, broken)


def json_bodies(fields: Sequence[str]) -> st.SearchStrategy[bytes]:
    """`json_texts` as bytes: UTF-8 (lone surrogates written as they are), now and then with a byte
    that no UTF-8 has spliced in."""
    encoded = json_texts(fields).map(lambda text: text.encode("utf-8", "surrogatepass"))
    spliced = st.builds(
        lambda body, at, byte: body[: at % (len(body) + 1)] + byte + body[at % (len(body) + 1) :],
        encoded,
        st.integers(0, 1000),
        st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]),
    )
    return st.one_of(encoded, spliced)


# The property


@pytest.mark.parametrize(("method", "template", "fields"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
@settings(  # per operation, each example a few moto calls: the ci profile's 300 would take minutes
    max_examples=min(settings().max_examples, 60),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_json_body_gets_a_5xx_on_any_route_signed_in_or_not(
    app: Flask, dynamodb: Any, mallory: str, method: str, template: str, fields: tuple[str, ...], data: st.DataObject
) -> None:
    for image_id, owner in zip(IMAGES, SESSION_USERS, strict=True):
        put_record(dynamodb, image(image_id, owner))  # again: an example may have edited or deleted it
    caller = data.draw(st.sampled_from([None, *SESSION_USERS]), label="caller")
    image_id = data.draw(st.one_of(st.sampled_from([*IMAGES, "missing"]), st.text(min_size=1, max_size=30)))
    body = data.draw(json_bodies(fields), label="body")
    client = app.test_client()
    headers = {"Content-Type": "application/json", **(csrf(client, caller) if caller else {})}
    path = template.replace("{image_id}", quote(image_id, safe=""))
    response = client.open(path, method=method, data=body, headers=headers)
    assert response.status_code < 500, (response.status, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert error_problems(response) == [], response.get_data(as_text=True)[:300]


# Each hostile kind, by name, on a route signed in and on sign-in


def hostile(field: str) -> list[tuple[str, bytes, str]]:
    """(kind, body, a word its 400 must say) for each kind of hostile JSON, aimed at `field`."""
    name = json.dumps(field).encode()
    return [
        ("deep array", b"[" * DEPTH + b"]" * DEPTH, "nested"),
        ("deep field", b"{" + name + b":" + b"[" * DEPTH + b"]" * DEPTH + b"}", "nested"),
        ("deep objects", b"{" + name + b":" + b'{"x":' * 9000 + b"1" + b"}" * 9000 + b"}", "nested"),
        ("5000 digits", b"{" + name + b":" + b"9" * 5000 + b"}", "number"),
        ("1e999999", b"{" + name + b": 1e999999}", "number"),
        ("-1E400", b"{" + name + b": -1E400}", "number"),
        ("NaN", b"{" + name + b": NaN}", "NaN"),
        ("Infinity", b"{" + name + b": [Infinity]}", "Infinity"),
        ("-Infinity", b"{" + name + b": -Infinity}", "Infinity"),
        ("duplicate", b"{" + name + b': "a", ' + name + b': "b"}', field),
        ("nested duplicate", b'{"x": {"y": 1, "y": 2}}', "y"),
        ("Latin-1", b"{" + name + b': "caf\xe9.jpg"}', "UTF-8"),
        ("encoded surrogate", b"{" + name + b': "\xed\xa0\x80.jpg"}', "UTF-8"),
        ("escaped surrogate", b"{" + name + b': "\\ud800.jpg"}', "surrogate"),
        ("empty", b"", "empty"),
        ("not JSON", b"{" + name + b":}", "JSON"),
    ]


ROUTES = [("POST", "/api/session", None, "username"), ("POST", "/api/uploads", "alice", "file_name")]
"""Sign-in, and a route that needs a session: every JSON route reads its body as these two do (the
property test above walks them all)."""
CASES = [
    pytest.param(method, path, caller, body, word, id=f"{method} {path} {field}: {kind}")
    for method, path, caller, field in ROUTES
    for kind, body, word in hostile(field)
]


@pytest.mark.parametrize(("method", "path", "caller", "body", "word"), CASES)
def test_hostile_json_is_a_400_saying_what_is_wrong(
    client: FlaskClient, method: str, path: str, caller: str | None, body: bytes, word: str
) -> None:
    headers = {"Content-Type": "application/json", **(csrf(client, caller) if caller else {})}
    response = client.open(path, method=method, data=body, headers=headers)
    assert response.status_code == 400, (response.status, response.get_data(as_text=True)[:300])
    assert error_problems(response) == []
    assert word in response.get_json()["detail"], response.get_json()


def test_a_duplicated_name_is_named_and_refused_not_the_last_one_taken(client: FlaskClient) -> None:
    body = json.dumps({"username": "rita", "password": PASSWORD}).encode()
    response = client.post(
        "/api/session", data=b'{"username": "nobody", ' + body[1:], headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "bad-request",
        "detail": "username: given more than once in one JSON object (send each name once)",
    }
