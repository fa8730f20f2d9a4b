"""The JSON object a request sends (signing in, and every state-changing request): its content type,
its text, its shape, its field names, checked once, so each view reads only the fields it takes.

Whatever the body holds, reading it answers the object or a 400 (`BadInput`) saying what is wrong,
never another error: the text must be UTF-8 and JSON as RFC 8259 has it (no `NaN` or `Infinity`),
without a name given twice in one object (which value would count is not defined; the answer names
the name), without a number longer than `MAX_NUMBER` characters or too large for a float (`1e999999`
would be infinity; Python refuses to convert integers of thousands of digits), without text holding
a lone UTF-16 surrogate escape (no character: it cannot be stored or shown), and nested no deeper
than the decoder can go. A body over the app's `MAX_CONTENT_LENGTH` is 413, as Flask answers it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from typing import Any, Final

from flask import request

from handlers.web.errors import BadInput, UnsupportedMediaType

MAX_NAMED: Final = 64
"""How much of an unknown field's name an answer repeats, and of how many."""
MAX_NUMBER: Final = 100
"""The longest number a body may hold, in characters (no field takes a number near that long)."""


class _Refused(Exception):
    """Raised inside the decoder by its hooks: `field` and `problem` of the `BadInput` to answer."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


def json_object(fields: Collection[str]) -> dict[str, Any]:
    """The request's body, a JSON object whose names are all among `fields` (each optional here).

    `UnsupportedMediaType` (415) unless the content type is `application/json` (a cross-site form
    cannot send it); `BadInput` naming `body` when it is not JSON (see the module) or not a JSON
    object, naming a name given twice, the unknown fields when there are any, a field whose text is
    not Unicode."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send a JSON body, Content-Type: application/json")
    body = parse_json(request.get_data(cache=True))
    if not isinstance(body, dict):
        raise BadInput("body", f"a JSON object with any of {', '.join(fields)}")
    unknown = [name[:MAX_NAMED] for name in body if name not in fields]
    if unknown:
        raise BadInput(", ".join(sorted(unknown)[:MAX_NAMED]), f"not a field here (only {', '.join(fields)})")
    for name, value in body.items():
        if _has_lone_surrogates(value):
            raise BadInput(name, "not valid Unicode text (a lone surrogate escape)")
    return body


def parse_json(data: bytes) -> Any:
    """The JSON value `data` holds; `BadInput` naming `body`, or a name given twice, with what is
    wrong when it is not UTF-8 JSON as the module describes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput("body", f"not UTF-8 text (byte {error.start} is not UTF-8)") from None
    if not text.strip():
        raise BadInput("body", "empty: send a JSON object")
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_names,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_short_int,
        )
    except _Refused as refused:
        raise BadInput(refused.field, refused.problem) from None
    except RecursionError:  # the decoder's own limit, raised as no ValueError
        raise BadInput("body", "nested too deeply") from None
    except json.JSONDecodeError as error:
        raise BadInput("body", f"not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's names and values as a dict; `_Refused` naming a name given twice."""
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise _Refused(name[:MAX_NAMED], "given more than once in one JSON object (send each name once)")
        found[name] = value
    return found


def _no_constant(name: str) -> Any:
    """`NaN`, `Infinity`, `-Infinity`: Python's decoder takes them, JSON has none of them."""
    raise _Refused("body", f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    """A number with a fraction or an exponent; `_Refused` when too long or too large for a float."""
    _short(text)
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("body", f"the number {text[:MAX_NAMED]} is too large")
    return value


def _short_int(text: str) -> int:
    """A whole number; `_Refused` when longer than `MAX_NUMBER` characters."""
    _short(text)
    return int(text)


def _short(text: str) -> None:
    if len(text) > MAX_NUMBER:
        raise _Refused("body", f"a number of {len(text)} characters (at most {MAX_NUMBER})")


def _has_lone_surrogates(value: Any) -> bool:
    """Whether `value` holds text with a lone UTF-16 surrogate (JSON can escape one, `"\\ud800"`;
    it is no character, cannot be encoded as UTF-8, and so cannot be stored or shown). Walked with
    a list, not recursion: the body may be nested as deep as the decoder allows."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and any("\ud800" <= c <= "\udfff" for c in item):
            return True
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
