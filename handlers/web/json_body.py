"""The JSON object a state-changing request sends: its content type, its shape and its field names
checked once, so each view reads only the fields it takes."""

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
    when there are any."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send a JSON body, Content-Type: application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput("body", f"a JSON object with any of {', '.join(fields)}")
    unknown = [name[:MAX_NAMED] for name in body if name not in fields]
    if unknown:
        raise BadInput(", ".join(sorted(unknown)[:MAX_NAMED]), f"not a field here (only {', '.join(fields)})")
    return body
