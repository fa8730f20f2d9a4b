"""The edge's cache: keys as a cache policy builds them, how long an answer is kept, and the store.

CloudFront's rules, as its developer guide states them (README.md cites the pages):

- The key is the path plus what the cache policy includes: the query strings, headers and cookies it
  names (or all of them), and, when it enables gzip or brotli, the encoding the viewer accepts,
  normalised (`br` before `gzip`, anything else is no encoding).
- How long (TTL): `Cache-Control: s-maxage`, else `max-age`, else `Expires`, clamped to the policy's
  min and max TTL; the policy's default TTL when the origin says none of these. With a min TTL of 0,
  `no-store`, `no-cache` and `private` are honoured (not cached), and so is `Vary: *`; above 0 they
  are not, and the min TTL applies. A policy whose max TTL is 0 caches nothing.
- `no-cache` naming header fields (`no-cache="Set-Cookie"`) does not refuse the answer: it is kept
  as long as the rest says, without those fields (`stored_headers`).
- Only GET and HEAD answers (and OPTIONS when the behaviour caches it) are kept. Successful answers
  with 200, 203, 300, 301 or 410 are kept per the TTL; errors 400, 403, 404, 405, 414, 500, 501, 502,
  503 and 504 are kept for the distribution's error caching minimum TTL (10 s unless declared), or
  longer when the origin's `max-age`/`s-maxage`/`Expires` says so (capped by the max TTL); a 404,
  414 or 501 the origin marks `no-store`, `no-cache` or `private` is not kept. Nothing else is.

Which `Set-Cookie` an answer keeps at all (none when the behaviour forwards no cookies) is
cookies.py's; what is kept here is what the viewer was answered, less what `no-cache="…"` names.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Final

from harness.edge.model import CachePolicy, Selection

CACHED_STATUSES: Final = frozenset({200, 203, 300, 301, 410})
CACHED_ERRORS: Final = frozenset({400, 403, 404, 405, 414, 500, 501, 502, 503, 504})
ERRORS_HONOURING_NO_STORE: Final = frozenset({404, 414, 501})
DEFAULT_ERROR_CACHING_TTL: Final = 10
Headers = Sequence[tuple[str, str]]
# One Cache-Control directive: a name, and an argument that is a token or a quoted string (which may
# hold commas: `no-cache="Set-Cookie, Set-Cookie2"`).
_DIRECTIVE: Final = re.compile(
    r'\s*(?P<name>[^=,\s]+)\s*(?:=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<token>[^,]*)))?\s*(?:,|$)'
)


def header(headers: Headers, name: str) -> str | None:
    """The first value of header `name` (case-insensitive), None when absent."""
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def header_values(headers: Headers, name: str) -> list[str]:
    """Every value of header `name` (case-insensitive), in order."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


def accepted_encoding(policy: CachePolicy, accept_encoding: str | None, *, brotli_available: bool) -> str | None:
    """The viewer's accepted encoding as the policy normalises it: `br`, `gzip` or None."""
    offered = _codings(accept_encoding or "")
    if policy.brotli and brotli_available and "br" in offered:
        return "br"
    if policy.gzip and "gzip" in offered:
        return "gzip"
    return None


def _codings(accept_encoding: str) -> set[str]:
    codings = set()
    for part in accept_encoding.split(","):
        name, _, parameters = part.strip().partition(";")
        quality = parameters.strip().removeprefix("q=").strip() if parameters.strip().startswith("q=") else "1"
        try:
            if float(quality) > 0:
                codings.add(name.strip().lower())
        except ValueError:
            continue
    return codings


@dataclass(frozen=True)
class CacheKey:
    """What tells two requests' answers apart in a behaviour's cache."""

    behaviour: str
    method: str
    path: str
    query_strings: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    cookies: tuple[tuple[str, str], ...]
    encoding: str | None


def cache_key(
    policy: CachePolicy,
    *,
    behaviour: str,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Headers,
    cookies: Iterable[tuple[str, str]],
    encoding: str | None,
) -> CacheKey:
    """The key of a request under `policy`: GET and HEAD share one (OPTIONS has its own)."""
    return CacheKey(
        behaviour=behaviour,
        method="OPTIONS" if method == "OPTIONS" else "GET",
        path=path,
        query_strings=_selected(policy.query_strings, query),
        headers=tuple(
            sorted((name.lower(), value) for name, value in headers if policy.headers.selects(name))  # unordered
        ),
        cookies=tuple(sorted(_selected(policy.cookies, cookies))),
        encoding=encoding,
    )


def _selected(selection: Selection, pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, value) for name, value in pairs if selection.selects(name)))


def directives(cache_control: str | None) -> dict[str, str | None]:
    """`Cache-Control` as directive → argument (None when it has none; a quoted one unquoted), names
    lower case."""
    parsed: dict[str, str | None] = {}
    text = cache_control or ""
    position = 0
    while position < len(text):
        match = _DIRECTIVE.match(text, position)
        if match is None or match.end() == position:  # not a directive: skip to the next comma
            comma = text.find(",", position)
            position = len(text) if comma < 0 else comma + 1
            continue
        position = match.end()
        quoted, token = match["quoted"], match["token"]
        argument = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else token
        parsed[match["name"].lower()] = argument.strip() if argument is not None else None
    return parsed


def origin_directives(headers: Headers) -> dict[str, str | None]:
    """The directives of every `Cache-Control` header of an answer (several are one list, RFC 9110
    §5.3)."""
    return directives(", ".join(header_values(headers, "Cache-Control")))


def refuses_caching(said: dict[str, str | None]) -> bool:
    """Whether directives `said` ask shared caches to keep nothing: `no-store`, `private` (with or
    without field names) or `no-cache` without field names."""
    return "no-store" in said or "private" in said or ("no-cache" in said and said["no-cache"] is None)


def stored_headers(headers: Headers) -> tuple[tuple[str, str], ...]:
    """The headers a kept copy of an answer holds: all but the fields its `no-cache="…"` names (RFC
    9111 §5.2.2.4; CloudFront documents it for `Set-Cookie`)."""
    named = origin_directives(headers).get("no-cache")
    if not named:
        return tuple(headers)
    dropped = {field.strip().lower() for field in named.split(",") if field.strip()}
    return tuple((name, value) for name, value in headers if name.lower() not in dropped)


def _seconds(argument: str | None) -> int | None:
    if argument is None:
        return None
    try:
        return max(0, int(argument))
    except ValueError:
        return None


def _origin_lifetime(headers: Headers, now: float) -> int | None:
    """What the origin says an answer lives: s-maxage, else max-age, else Expires (vs Date or now)."""
    said = origin_directives(headers)
    for name in ("s-maxage", "max-age"):
        if name in said and (seconds := _seconds(said[name])) is not None:
            return seconds
    expires = header(headers, "Expires")
    if expires is None:
        return None
    try:
        at = parsedate_to_datetime(expires).timestamp()
    except (TypeError, ValueError):
        return 0  # an invalid Expires is in the past (RFC 9111)
    date = header(headers, "Date")
    try:
        base = parsedate_to_datetime(date).timestamp() if date else now
    except (TypeError, ValueError):
        base = now
    return max(0, int(at - base))


def time_to_live(
    policy: CachePolicy, status: int, headers: Headers, *, error_caching_min_ttl: int | None, now: float
) -> int:
    """How many seconds the edge keeps an answer with `status` and `headers` (0: not at all).
    `error_caching_min_ttl`: the distribution's declared one for `status`, None for CloudFront's 10 s."""
    if policy.caching_disabled:
        return 0
    lifetime = _origin_lifetime(headers, now)
    refuses = refuses_caching(origin_directives(headers))
    if status in CACHED_ERRORS:
        if refuses and status in ERRORS_HONOURING_NO_STORE:
            return 0
        floor = DEFAULT_ERROR_CACHING_TTL if error_caching_min_ttl is None else error_caching_min_ttl
        return max(floor, min(lifetime, policy.max_ttl)) if lifetime is not None else floor
    if status not in CACHED_STATUSES:
        return 0
    if refuses:
        return policy.min_ttl
    if policy.min_ttl == 0 and _varies_on_everything(headers):
        return 0
    if lifetime is None:
        return policy.default_ttl
    return max(policy.min_ttl, min(lifetime, policy.max_ttl))


def _varies_on_everything(headers: Headers) -> bool:
    """`Vary: *`: with a min TTL of 0, CloudFront asks the origin again for every request (above 0 it
    keeps the answer as usual)."""
    return any(token.strip() == "*" for value in header_values(headers, "Vary") for token in value.split(","))


@dataclass(frozen=True)
class Entry:
    """An answer kept: what the origin (or the edge, compressing) answered, when, for how long."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stored_at: float
    ttl: int

    def age(self, now: float) -> int:
        return int(now - self.stored_at)

    def fresh(self, now: float) -> bool:
        return now - self.stored_at < self.ttl


class Cache:
    """One distribution's kept answers, fresh ones only, least recently used dropped first beyond
    `max_bytes`. Safe to share between the server's threads."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self.clock = clock
        self._entries: OrderedDict[CacheKey, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if not entry.fresh(self.clock()):
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: CacheKey, status: int, reason: str, headers: Headers, body: bytes, ttl: int) -> Entry:
        entry = Entry(status, reason, tuple(headers), body, self.clock(), ttl)
        if ttl <= 0 or len(body) > self.max_bytes:
            return entry
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
        return entry

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _drop(self, key: CacheKey) -> None:
        self._bytes -= len(self._entries.pop(key).body)


def cookie_pairs(cookie_header: str | None) -> list[tuple[str, str]]:
    """The cookies of a `Cookie` header, in order."""
    pairs = []
    for part in (cookie_header or "").split(";"):
        name, equals, value = part.strip().partition("=")
        if name and equals:
            pairs.append((name.strip(), value.strip()))
    return pairs
