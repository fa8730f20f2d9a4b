"""`GET /api/openapi.json`: the API's OpenAPI 3.1 document, for clients and the tests' validating client.

The document is `openapi.json` beside this module (the Lambda package carries every file of
`handlers/`), served as it is written, to anyone: it describes the API, it grants nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

DOCUMENT = Path(__file__).with_name("openapi.json")

openapi = Blueprint("openapi", __name__)


@cache
def document_bytes() -> bytes:
    """The document's bytes (read once per process: the file changes only with a new package)."""
    return DOCUMENT.read_bytes()


@openapi.get("/openapi.json")
def get_document() -> ResponseReturnValue:
    return Response(document_bytes(), mimetype="application/json")
