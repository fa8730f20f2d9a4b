"""Which behaviour serves a request: CloudFront's path patterns, tried in the order declared.

CloudFront's documented rules: a pattern is matched against the request's path (not its query
string), case-sensitively; `*` matches any run of characters (none included, `/` included), `?`
exactly one; every other character only itself. A leading `/` on the pattern changes nothing. The
first ordered behaviour whose pattern matches wins; the default behaviour (`*`) takes the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.edge.model import Behaviour


def path_matches(pattern: str, path: str) -> bool:
    """Whether `path` (as the viewer sent it, before any query string) matches `pattern`."""
    pattern, path = pattern.removeprefix("/"), path.removeprefix("/")
    # Greedy matching with one backtrack point: the last `*` seen and where in `path` it took over.
    p = s = 0
    star, star_at = -1, 0
    while s < len(path):
        if p < len(pattern) and (pattern[p] == "?" or (pattern[p] != "*" and pattern[p] == path[s])):
            p, s = p + 1, s + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, star_at = p, s
            p += 1
        elif star >= 0:
            star_at += 1
            p, s = star + 1, star_at
        else:
            return False
    return all(rest == "*" for rest in pattern[p:])


def select(behaviours: Sequence[Behaviour], path: str) -> Behaviour:
    """The behaviour serving `path`: the first ordered one matching, else the default (the last)."""
    for behaviour in behaviours[:-1]:
        if path_matches(behaviour.path_pattern, path):
            return behaviour
    return behaviours[-1]
