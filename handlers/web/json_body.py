"""The JSON object a state-changing request sends: its content type, its shape, its field names and
that its text is text, checked once, so each view reads only the fields it takes."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from flask import request

from handlers.web.errors import BadInput, UnsupportedMediaType

MAX_NAMED: Final = 64
"""How much of an unknown field's name an answer repeats, and of how many."""


def json_object(fields: Collection[str]) -> dict[str, Any]:
    """The request's body, a JSON object whose names are all among `fields` (each optional here).

    `UnsupportedMediaType` (415) unless the content type is `application/json` (a cross-site form
    cannot send it); `BadInput` naming `body` when it is not a JSON object, naming the unknown fields
    when there are any, naming a field whose text is not Unicode."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send a JSON body, Content-Type: application/json")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # the JSON decoder's own limit, and no ValueError
        raise BadInput("body", "nested too deeply") from None
    if not isinstance(body, dict):
        raise BadInput("body", f"a JSON object with any of {', '.join(fields)}")
    unknown = [name[:MAX_NAMED] for name in body if name not in fields]
    if unknown:
        raise BadInput(", ".join(sorted(unknown)[:MAX_NAMED]), f"not a field here (only {', '.join(fields)})")
    for name, value in body.items():
        if _has_lone_surrogates(value):
            raise BadInput(name, "not valid Unicode text (a lone surrogate escape)")
    return body


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
