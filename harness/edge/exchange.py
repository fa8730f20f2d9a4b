"""The requests and answers passing through the edge: the viewer's request, the request the edge
makes of an origin, the origin's answer, and an origin that could not answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from harness.edge.caching import Headers, header

# Per-connection headers (RFC 9110 §7.6.1): never passed from one connection to the next.
HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
)


@dataclass(frozen=True)
class ViewerRequest:
    """A request as the viewer sent it: `path` as on the wire (percent-encoding kept), the raw
    query string, every header (repeated ones as sent), the body, and the viewer's address."""

    method: str
    path: str
    query: str = ""
    headers: Headers = ()
    body: bytes = b""
    client: tuple[str, int] = ("127.0.0.1", 0)
    scheme: str = "http"

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclass(frozen=True)
class OriginRequest:
    """What the edge sends an origin: method, path (origin path included) with the query string,
    headers, body."""

    method: str
    target: str
    headers: Headers = ()
    body: bytes = b""


@dataclass(frozen=True)
class OriginResponse:
    """An origin's whole answer; `headers` in order, repeated ones (Set-Cookie) kept apart."""

    status: int
    reason: str
    headers: Headers = ()
    body: bytes = b""
    served_by: str = field(default="origin", compare=False)

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


class OriginFailed(Exception):
    """The origin gave no answer: CloudFront answers `status` (502: no connection, 504: no answer in
    time) with its own error page saying `why`."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


def end_to_end(headers: Headers) -> list[tuple[str, str]]:
    """`headers` without the hop-by-hop ones (and those the Connection header names)."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
        if token.strip()
    }
    return [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP | named]
