"""The OpenAPI document states every constraint the app puts on what a client sends, no looser and
no stricter (issue 20): a client, or a property-based tester that makes its requests from the
document (schemathesis), has every request the document takes taken, and every one it refuses
answered 400.

- Character by character: every code point, in each place of a caption, a photographer's name, a
  review's reason, a content type and a file name, is taken by the document's pattern exactly when
  the app's validator takes it (for file names, but for the code points unassigned in planes 0 to 3:
  the app drops them, and which they are depends on the Unicode version; the description says so).
- At each limit: the longest value the app takes, and one character more.
- Request by request (hypothesis): bodies of every operation that takes one, drawn from the
  document's own schemas and from near misses of them, and the image list's query parameters, are
  answered 400 exactly when the document refuses them (its schemas, or the JSON rules its
  description states: a lone surrogate escape), and otherwise as the operation succeeds. The one
  rule no schema can hold: a photo date of the pattern's shape may still be refused, for the
  calendar or the clock, and then for that only; a real past date in every form the description
  names is taken.

The document's patterns are ECMA-262 regular expressions, as JSON Schema reads them. Python's `re`
reads them alike but for `$`, which there also matches before a final newline: they are read here
with a final `$` as the end of the text (`ecma`), and none may use what the two read differently.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache, partial
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError, validators
from openapi_schema_validator import OAS31Validator

from handlers.contract import REVIEW_STATUSES
from handlers.pipeline.command_desk import MAX_REASON, CommandRejected, Sent, metadata_edit, verdict
from handlers.pipeline.metadata_text import MAX_LENGTH
from handlers.stores.user_store import MAX_PASSWORD, UserError, check_email, check_username
from handlers.web import images, presigned_posts, sessions
from handlers.web.errors import BadInput
from handlers.web.image_edits import METADATA_TYPES
from tests.unit.handlers.web.conftest import START, csrf, put_record, sign_in
from tests.unit.handlers.web.openapi_client import document
from tests.unit.handlers.web.test_image_edits import image

NOW = datetime.fromtimestamp(START, UTC)
SENT = Sent("m1", "2027-01-15T08:00:00.000Z")

# The document, read as JSON Schema 2020-12 with ECMA-262 patterns


def ecma(pattern: str) -> str:
    """`pattern` for Python's `re`, read as ECMA-262 reads it: a final `$` is the end of the text."""
    return pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not re.search(ecma(pattern), instance):
        yield ValidationError(f"{instance[:60]!r} does not match the pattern")


Validator = validators.extend(OAS31Validator, {"pattern": _pattern})


def inlined(node: Any) -> Any:
    """`node` with every local `$ref` replaced by what it points at (the request schemas have no cycle)."""
    if isinstance(node, list):
        return [inlined(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return inlined(target)
    return {name: inlined(value) for name, value in node.items()}


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = inlined(document()["components"]["schemas"][name])
    return found


def problems(of: dict[str, Any], instance: Any) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in Validator(of).iter_errors(instance)]


def has_lone_surrogates(value: Any) -> bool:
    """Whether JSON `value` holds a lone surrogate: the description's JSON rules refuse it anywhere."""
    if isinstance(value, dict):
        return any(has_lone_surrogates(item) for pair in value.items() for item in pair)
    if isinstance(value, list):
        return any(has_lone_surrogates(item) for item in value)
    return isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value)


def patterns() -> Iterator[str]:
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for name, value in node.items():
                yield from [value] if name == "pattern" and isinstance(value, str) else walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(document())


# What ECMA-262 and Python's `re` read differently (besides `$`): the shorthand classes (`[\s\S]`,
# anything, excepted), word boundaries, `.`, and Python's own syntax.
DIFFERENT = re.compile(r"\\[dDwWsSbBAZz]|\(\?P|\(\?[aiLmsux]")


def test_the_patterns_use_only_what_ecma_262_and_python_read_alike() -> None:
    for pattern in patterns():
        assert re.compile(ecma(pattern))
        outside_classes = re.sub(r"\[(?:\\.|[^\]\\])*\]", "[]", pattern.replace(r"[\s\S]", "[]"))
        assert not DIFFERENT.search(pattern.replace(r"[\s\S]", "[]")), pattern[:80]
        assert not re.search(r"(?<!\\)\.", outside_classes), pattern[:80]


# The app's validators, and the document's patterns for the same fields


def app_takes_text(field: str, value: str) -> bool:
    try:
        metadata_edit({"id": "i1", "value": value}, METADATA_TYPES[field], SENT, NOW)
    except CommandRejected:
        return False
    return True


def app_takes_reason(status: str, reason: Any) -> bool:
    try:
        verdict({"id": "i1", "update": {"status": status, "reason": reason}}, SENT, NOW)
    except CommandRejected:
        return False
    return True


def app_takes_upload(file_name: str, content_type: str) -> bool:
    try:
        presigned_posts.upload_request({"file_name": file_name, "content_type": content_type})
    except BadInput:
        return False
    return True


def compiled(*path: str) -> re.Pattern[str]:
    """The document's pattern at `path` under components/schemas, as ECMA-262 reads it."""
    node: Any = document()["components"]["schemas"]
    for part in path:
        node = node[part]
    return re.compile(ecma(node["pattern"]))


def upload_branch(content_type: str) -> dict[str, Any]:
    """The UploadRequest alternative (oneOf) for `content_type`."""
    branches = document()["components"]["schemas"]["UploadRequest"]["oneOf"]
    return next(b for b in branches if re.search(ecma(b["properties"]["content_type"]["pattern"]), content_type))


def name_pattern(content_type: str) -> re.Pattern[str]:
    return re.compile(ecma(upload_branch(content_type)["properties"]["file_name"]["pattern"]))


def version_dependent(c: str) -> bool:
    """Whether `c` is unassigned in this Python's Unicode but may not be in another's: a code point of
    planes 0 to 3 that is no noncharacter. The document's file-name patterns take those as letters (their
    description says the app drops them); every other unassigned code point they state."""
    code = ord(c)
    noncharacter = 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
    return code < 0x40000 and not noncharacter and unicodedata.category(c) == "Cn"


def without_unassigned(text: str) -> str:
    """`text` with each version-dependent unassigned code point as `x` (where the document's patterns
    take one, they take `x` too)."""
    return "".join("x" if version_dependent(c) else c for c in text)


@cache
def bmp() -> list[str]:
    """Every character of the Basic Multilingual Plane (where every whitespace and control character is)."""
    return [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]


@cache
def named() -> list[str]:
    """Every code point but the surrogates and the version-dependent unassigned ones (of the private-use
    areas and the empty planes 4 to 13, every 97th and the ends: each is one kind)."""
    return [
        chr(c)
        for c in range(0x110000)
        if not 0xD800 <= c <= 0xDFFF
        and not version_dependent(chr(c))
        and (c % 97 == 0 or not (0xE001 <= c <= 0xF8FE or 0x40001 <= c <= 0xDFFFE or 0xF0001 <= c <= 0x10FFFC))
    ]


@cache
def named_bmp() -> list[str]:
    return [c for c in named() if c <= "\uffff"]


CharacterCase = tuple[str, re.Pattern[str], Callable[[str], bool], Callable[[], list[str]], tuple[str, ...]]


def character_cases() -> list[CharacterCase]:
    """(field, its pattern, the app's verdict on a value, the characters tried, the places tried)."""
    caption = compiled("MetadataEdit", "properties", "caption")
    photographer = compiled("MetadataEdit", "properties", "photographer")
    reason = compiled("ReviewVerdict", "properties", "reason")
    content_type = compiled("UploadRequest", "properties", "content_type")
    jpeg, png = name_pattern("image/jpeg"), name_pattern("image/png")
    return [
        ("caption", caption, partial(app_takes_text, "caption"), bmp, (" a{}b ", "{}a", "a{}")),
        ("photographer", photographer, partial(app_takes_text, "photographer"), bmp, (" a{}b ", "{}a", "a{}")),
        ("reason", reason, partial(app_takes_reason, "Pass"), bmp, (" a{}b ", "{}")),
        (
            "content_type",
            content_type,
            partial(app_takes_upload, "a.png"),
            bmp,
            ("{}image/png", "imag{}/png", "image/png{}"),
        ),
        ("JPEG name", jpeg, lambda v: app_takes_upload(v, "image/jpeg"), named, ("{}.jpg", "a.j{}pg")),
        ("PNG name", png, lambda v: app_takes_upload(v, "image/png"), named_bmp, ("a.p{}ng", "a.png{}")),
    ]


@pytest.mark.parametrize("case", character_cases(), ids=lambda case: case[0])
def test_every_character_in_every_place_is_taken_by_the_document_exactly_when_the_app_takes_it(
    case: CharacterCase,
) -> None:
    field, pattern, app_takes, characters, places = case
    differ = [
        f"{place.format(f'U+{ord(c):04X}')} (the app {'takes' if taken else 'refuses'} it)"
        for c in characters()
        for place in places
        if bool(pattern.search(text := place.format(c))) != (taken := app_takes(text))
    ]
    assert differ == [], f"{field}: {len(differ)} differ, e.g. {differ[:10]}"


def test_every_rejection_needs_a_reason_with_a_character_other_than_whitespace() -> None:
    then = compiled("ReviewVerdict", "then", "properties", "reason")
    for c in bmp():
        reason = f" {c} "
        assert bool(then.search(reason)) == app_takes_reason("Reject", reason), f"U+{ord(c):04X}"


# Limits: the longest the app takes, and one more


def limit_cases() -> list[tuple[str, str, Any, bool]]:
    """(schema, field, value, whether the app takes it)."""
    caption, photographer = MAX_LENGTH["caption"], MAX_LENGTH["photographer"]
    name = presigned_posts.MAX_GIVEN_NAME
    cases: list[tuple[str, str, Any, bool]] = []
    for most, edit in ((caption, "caption"), (photographer, "photographer")):
        cases += [
            ("MetadataEdit", edit, " \n" + "a" * most + "\t ", True),
            ("MetadataEdit", edit, "a" * (most + 1), False),
            ("MetadataEdit", edit, "a" + " " * (most - 2) + "b", True),
            ("MetadataEdit", edit, " \t\n ", False),
        ]
    cases += [
        ("ReviewVerdict", "reason", "  " + "r" * MAX_REASON + "\n", True),
        ("ReviewVerdict", "reason", "r" * (MAX_REASON + 1), False),
        ("UploadRequest", "file_name", "a" * (name - 4) + ".jpg", True),
        ("UploadRequest", "file_name", "a" * (name - 3) + ".jpg", False),
        ("Credentials", "username", "u" * sessions.MAX_USERNAME, True),
        ("Credentials", "username", "u" * (sessions.MAX_USERNAME + 1), False),
        ("Credentials", "password", "p" * MAX_PASSWORD, True),
        ("Credentials", "password", "p" * (MAX_PASSWORD + 1), False),
        ("Credentials", "username", "", False),
    ]
    return cases


BODIES: dict[str, Callable[[str, Any], dict[str, Any]]] = {
    "MetadataEdit": lambda field, value: {field: value},
    "ReviewVerdict": lambda field, value: {"status": "Pass", field: value},
    "UploadRequest": lambda field, value: {"content_type": "image/jpeg", field: value},
    "Credentials": lambda field, value: {"username": "someone", "password": "secret", field: value},
}


def app_takes_body(name: str, body: dict[str, Any]) -> bool:
    if name == "MetadataEdit":
        return all(app_takes_text(field, value) for field, value in body.items())
    if name == "ReviewVerdict":
        return app_takes_reason(body["status"], body.get("reason"))
    if name == "UploadRequest":
        return app_takes_upload(body["file_name"], body["content_type"])
    username, password = body["username"], body["password"]
    return 1 <= len(username) <= sessions.MAX_USERNAME and 1 <= len(password) <= MAX_PASSWORD


@pytest.mark.parametrize(("name", "field", "value", "taken"), limit_cases())
def test_at_each_limit_the_document_and_the_app_agree(name: str, field: str, value: Any, taken: bool) -> None:
    body = BODIES[name](field, value)
    assert app_takes_body(name, body) == taken
    assert (problems(schema(name), body) == []) == taken, problems(schema(name), body)


# Requests drawn from the document


@cache
def matching(pattern: str) -> st.SearchStrategy[str]:
    """Text `pattern` takes, or nearly: hypothesis builds a class of characters one by one, so each long
    range of astral ones (the empty planes, private use) is cut to its first 256 here; what is drawn is
    then held to the pattern itself (`values`). Made once per pattern: it takes a while even so."""
    cut = re.sub(
        "([\U00010000-\U0010ffff])-([\U00010000-\U0010ffff])",
        lambda m: f"{m[1]}-{chr(min(ord(m[2]), ord(m[1]) + 255))}",
        ecma(pattern),
    )
    return st.from_regex(cut, fullmatch=True).map(without_unassigned)


def values(data: st.DataObject, constraints: list[dict[str, Any]], label: str) -> Any:
    """A value every schema of `constraints` takes (the field's schemas where the body is), drawn from
    the enum or const of one, else the last anchored pattern, else by type, and then held to them all."""
    anchored = [s for s in constraints if s.get("pattern", "").startswith("^")]
    leading = next((s for s in constraints if {"enum", "const"} & set(s)), anchored[-1] if anchored else {})
    kinds = {"string", "null", "boolean"}
    for typed in (s["type"] for s in constraints if "type" in s):
        kinds &= set(typed if isinstance(typed, list) else [typed])
    kind = data.draw(st.sampled_from(sorted(kinds)), label=f"{label} type")
    strategy: st.SearchStrategy[Any]
    if "const" in leading:
        strategy = st.just(leading["const"])
    elif "enum" in leading:
        strategy = st.sampled_from(leading["enum"])
    elif kind == "null":
        strategy = st.none()
    elif kind == "boolean":
        strategy = st.booleans()
    elif "pattern" in leading and label == "date":  # the pattern's shapes are mostly no date: real ones too
        strategy = st.one_of(matching(leading["pattern"]), past_dates())
    elif "pattern" in leading:
        strategy = matching(leading["pattern"])
    else:
        least = max((s.get("minLength", 0) for s in constraints), default=0)
        strategy = st.text(min_size=least, max_size=30).map(without_unassigned)
    value = data.draw(strategy, label=label)
    assume(all(Validator(s).is_valid(value) for s in constraints))  # not .filter: it would make a new regex strategy
    return value


def document_body(data: st.DataObject, of: dict[str, Any]) -> dict[str, Any]:
    """A body `of` takes: its required fields and some others, each drawn from its schemas (the
    object's, the oneOf alternative's, and the `then` where the `if` holds)."""
    branch = data.draw(st.sampled_from(of["oneOf"]), label="alternative") if "oneOf" in of else {}
    names = list(of["properties"])
    chosen = data.draw(st.sets(st.sampled_from(names), min_size=of.get("minProperties", 0)), label="fields")
    required = set(of.get("required", [])) | set(branch.get("required", []))
    body: dict[str, Any] = {}
    for name in names:
        constraints = [of["properties"][name], branch.get("properties", {}).get(name, {})]
        if "if" in of and Validator(of["if"]).is_valid(body):
            required |= set(of["then"].get("required", []))
            constraints.append(of["then"].get("properties", {}).get(name, {}))
        if name in required or name in chosen:
            body[name] = values(data, constraints, name)
    return body


INTERESTING = (
    " \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000"  # whitespace, some of it control characters
    "\x00\x07\x1b\x7f\x9f\u200b\u200e\u202e\ufeff\U000e0001\ue000\U000f0000"  # control, format, private use
    'aAeEgGjJnNpPrTWZ019./\\-:+_<>"|?*${}\u0301\u212a\xe9\u20ac\U0001f600'  # names, dates and the like
)
TEXT_IN_URLS = st.one_of(
    st.text(st.sampled_from(INTERESTING), max_size=12),
    st.text(st.characters(exclude_categories=("Cs", "Cn")), max_size=12),
    st.sampled_from([" 01/05/2025 ", "2025-02-29", "31/04/2025", "2025-W53-1", "1/13/2025", "2099-01-01"]),
)
TEXT = st.one_of(TEXT_IN_URLS, st.sampled_from(["\ud800", "a\udfffb.jpg"]))  # lone surrogates: JSON refuses them
OTHER_JSON = st.one_of(st.none(), st.booleans(), st.integers(), st.lists(st.text(max_size=3), max_size=2))


def near_miss(data: st.DataObject, of: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """`body` with one thing changed: a field's value (odd text, or another kind of JSON), a field
    left out, or a field the schema does not have."""
    names = list(of["properties"])
    change = data.draw(st.sampled_from(["text", "kind", "drop", "unknown"]), label="change")
    missed = dict(body)
    if change == "drop" and missed:
        del missed[data.draw(st.sampled_from(sorted(missed)), label="dropped")]
    elif change == "unknown":
        missed[data.draw(st.text(max_size=8).filter(lambda n: n not in names), label="unknown")] = 1
    else:
        field = data.draw(st.sampled_from(names), label="changed")
        missed[field] = data.draw(TEXT if change == "text" else OTHER_JSON, label="value")
    return missed


# Each operation that takes a body: who sends it, where, and what a body the document takes gets.
BODY_OPERATIONS = {
    "signIn": (None, "POST", "/api/session", "Credentials", {200, 401, 429}),
    "editImage": ("alice", "PATCH", "/api/images/i1", "MetadataEdit", {200}),
    "reviewImage": ("rita", "POST", "/api/images/i1/review", "ReviewVerdict", {200}),
    "createUpload": ("alice", "POST", "/api/uploads", "UploadRequest", {200}),
}
REFUSED_FOR_THE_CALENDAR_OR_THE_CLOCK = re.compile(r"^date: the date .*(is not a date|lies in the future)")


@pytest.fixture
def callers(app: Flask, dynamodb: Any) -> dict[str | None, tuple[FlaskClient, dict[str, str]]]:
    """A client and its CSRF header for each caller, signed in once for the whole test (alice's
    processed image `i1` is there to edit and review)."""
    put_record(dynamodb, image("i1", "alice"))
    found: dict[str | None, tuple[FlaskClient, dict[str, str]]] = {None: (app.test_client(), {})}
    for username in ("alice", "rita"):
        client = app.test_client()
        found[username] = (client, csrf(client, username))
    return found


def examples(most: int) -> int:
    return min(settings().max_examples, most)


def test_the_operations_with_bodies_are_these() -> None:
    with_bodies = {
        operation["operationId"]
        for item in document()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "requestBody" in operation
    }
    assert with_bodies == set(BODY_OPERATIONS)


@pytest.mark.parametrize("operation", list(BODY_OPERATIONS))
@settings(max_examples=examples(80), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_body_is_refused_with_400_exactly_when_the_document_refuses_it(
    callers: dict[str | None, tuple[FlaskClient, dict[str, str]]], operation: str, data: st.DataObject
) -> None:
    caller, method, path, name, succeeded = BODY_OPERATIONS[operation]
    of = schema(name)
    body = document_body(data, of)
    if data.draw(st.booleans(), label="near miss"):
        body = near_miss(data, of, body)
    client, headers = callers[caller]
    response = client.open(path, method=method, data=json.dumps(body), content_type="application/json", headers=headers)
    refused = problems(of, body) + (["a lone surrogate"] if has_lone_surrogates(body) else [])
    answer = f"{response.status} {response.get_data(as_text=True)[:300]}"
    event(f"{'refused' if refused else 'taken'} by the document, {response.status_code}")
    if refused:
        assert response.status_code == 400, f"the document refuses it ({refused}), the app answered {answer}"
    elif response.status_code == 400 and operation == "editImage" and "date" in body:
        assert REFUSED_FOR_THE_CALENDAR_OR_THE_CLOCK.match(response.get_json()["detail"]), answer
    else:
        assert response.status_code in succeeded, f"the document takes it, the app answered {answer}"


def past_dates() -> st.SearchStrategy[str]:
    """A real date before the test's clock, in each form the document's date description names."""
    moments = st.datetimes(datetime(1900, 1, 1), NOW.replace(tzinfo=None) - timedelta(days=2))
    forms: list[Callable[[datetime], str]] = [
        lambda t: t.date().isoformat(),
        lambda t: t.strftime("%Y%m%d"),
        lambda t: t.strftime("%G-W%V-%u"),
        lambda t: t.strftime("%GW%V%u"),
        lambda t: t.strftime("%G-W%V"),
        lambda t: t.isoformat(timespec="seconds"),
        lambda t: t.isoformat(timespec="milliseconds") + "Z",
        lambda t: t.strftime("%Y-%m-%dT%H:%M+02:00"),
        lambda t: t.strftime("%Y%m%dT%H%M%S"),
        lambda t: f"{t.day:02d}/{t.month:02d}/{t.year}",
        lambda t: f"{t.day}.{t.month}.{t.year}",
        lambda t: f"{t.day}-{t.month:02d}-{t.year}",
    ]
    padded = st.tuples(st.sampled_from(["", " ", "\n\t"]), st.sampled_from(["", " ", "\u3000"]))
    return st.builds(lambda t, form, pad: pad[0] + form(t) + pad[1], moments, st.sampled_from(forms), padded)


@settings(max_examples=examples(60), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(when=past_dates())
def test_a_real_past_date_in_every_form_the_document_names_is_taken(
    callers: dict[str | None, tuple[FlaskClient, dict[str, str]]], when: str
) -> None:
    assert problems(schema("MetadataEdit"), {"date": when}) == []
    client, headers = callers["alice"]
    response = client.patch("/api/images/i1", json={"date": when}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert date.fromisoformat(response.get_json()["date"][:10]) <= NOW.date()


# The image list's query parameters

LIST_PARAMETERS = {p["name"]: inlined(p)["schema"] for p in document()["paths"]["/api/images"]["get"]["parameters"]}


def parameter_value(data: st.DataObject, name: str) -> str:
    """A query value for `name`: one its schema takes (written as a client writes it), or odd text."""
    of = LIST_PARAMETERS[name]
    if data.draw(st.sampled_from([False, False, False, True]), label=f"{name} odd"):
        # Digits alone are a number's text; a number is drawn below, written without leading zeros.
        odd = st.one_of(TEXT_IN_URLS, st.just(""), st.sampled_from(of.get("enum", ["alice"])).map(str.upper))
        return data.draw(odd.filter(lambda t: not t.isascii() or not t.isdigit()), label=f"{name} text")
    if of["type"] == "integer":
        return str(data.draw(st.integers(min_value=-5, max_value=of["maximum"] * 2), label=name))
    value: str = values(data, [of], name)
    return value


def parameter_refused(name: str, text: str) -> bool:
    of = LIST_PARAMETERS[name]
    if of["type"] == "integer":
        return not (text.isascii() and text.isdigit()) or not Validator(of).is_valid(int(text))
    return not Validator(of).is_valid(text)


@settings(max_examples=examples(80), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_list_query_is_refused_with_400_exactly_when_the_document_refuses_a_parameter(
    callers: dict[str | None, tuple[FlaskClient, dict[str, str]]], data: st.DataObject
) -> None:
    names = data.draw(st.sets(st.sampled_from(["limit", "status", "verdict", "owner"])), label="parameters")
    query = {name: parameter_value(data, name) for name in sorted(names)}
    client, _ = callers["rita"]  # a reviewer: any owner's list is hers to read
    response = client.get("/api/images", query_string=query)
    refused = [name for name, text in query.items() if parameter_refused(name, text)]
    event(f"{'refused' if refused else 'taken'} by the document, {response.status_code}")
    assert response.status_code == (400 if refused else 200), (refused, response.get_json())


def test_the_lists_parameters_are_the_codes() -> None:
    assert LIST_PARAMETERS["status"]["enum"] == list(images.STATUSES)
    assert LIST_PARAMETERS["verdict"]["enum"] == list(REVIEW_STATUSES)


def test_a_cursor_is_refused_unless_it_is_the_next_of_the_same_list(
    callers: dict[str | None, tuple[FlaskClient, dict[str, str]]], dynamodb: Any
) -> None:
    put_record(dynamodb, image("i2", "alice"))
    client, _ = callers["alice"]
    cursor = client.get("/api/images?limit=1").get_json()["next"]
    assert Validator(LIST_PARAMETERS["cursor"]).is_valid(cursor)
    assert client.get("/api/images", query_string={"limit": 1, "cursor": cursor}).status_code == 200
    for other in ({"cursor": cursor, "status": "processed"}, {"cursor": cursor[:-1]}, {"cursor": "x"}):
        assert client.get("/api/images", query_string=other).status_code == 400, other


def test_signing_in_with_a_name_or_password_of_any_text_within_the_limits_is_only_ever_401(
    client: FlaskClient,
) -> None:
    for username, password in (("ALICE\n", "x"), ("\u3000", "\x00"), ("a" * 128, "\U0001f600")):
        body = {"username": username, "password": password}
        assert problems(schema("Credentials"), body) == []
        assert client.post("/api/session", json=body).status_code == 401
    assert sign_in(client).status_code == 200


def test_a_final_newline_is_no_part_of_a_user_name_or_a_number(
    callers: dict[str | None, tuple[FlaskClient, dict[str, str]]],
) -> None:
    """ECMA-262's `$` (the document's) is the end of the text; the app's checks read it so too."""
    client, _ = callers["rita"]
    for query in ({"owner": "alice\n"}, {"limit": "5\n"}):
        assert client.get("/api/images", query_string=query).status_code == 400, query
    with pytest.raises(UserError):
        check_username("alice\n")
    with pytest.raises(UserError):
        check_email("alice@example.com\n")
