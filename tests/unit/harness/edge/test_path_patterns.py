"""Behaviours are chosen as CloudFront documents it: patterns in declared order, `*` and `?`
wildcards, case-sensitive, a leading `/` optional, the default behaviour last. The matcher is held
to a reference built straight from those rules (a regular expression), on generated patterns and
paths over a small alphabet, where matches and near misses are frequent."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.edge.model import Behaviour
from harness.edge.path_patterns import path_matches, select

ALPHABET = "ab/.Aß%"
paths = st.text(alphabet=ALPHABET, max_size=12).map(lambda p: "/" + p)
patterns = st.text(alphabet=ALPHABET + "*?", min_size=1, max_size=10).map(lambda p: p if p != "/" else "*")


def reference(pattern: str, path: str) -> bool:
    """CloudFront's rules, literally: strip one leading `/` from both, `*` = any run, `?` = one
    character, everything else itself, the whole path, case-sensitive."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.removeprefix("/"))
    return re.fullmatch(body, path.removeprefix("/"), re.DOTALL) is not None


@given(pattern=patterns, path=paths)
def test_the_matcher_follows_cloudfronts_rules(pattern, path):
    assert path_matches(pattern, path) == reference(pattern, path)


@given(pattern=patterns, path=paths)
def test_a_leading_slash_on_the_pattern_changes_nothing(pattern, path):
    bare = pattern.lstrip("/")
    assert path_matches("/" + bare, path) == path_matches(bare, path)


def _behaviour(pattern: str) -> Behaviour:
    return Behaviour(pattern, f"origin-of-{pattern}", "redirect-to-https", ("GET", "HEAD"), ("GET", "HEAD"), "policy")


@given(
    ordered=st.lists(patterns, max_size=5, unique_by=lambda p: p.removeprefix("/")),
    path=paths,
)
def test_the_first_matching_behaviour_wins_and_the_default_takes_the_rest(ordered, path):
    behaviours = [*map(_behaviour, ordered), _behaviour("*")]
    chosen = select(behaviours, path)
    matching = [b for b in behaviours[:-1] if reference(b.path_pattern, path)]
    assert chosen is (matching[0] if matching else behaviours[-1])


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/images/*", "/images/thumbnail/a-1.jpg", True),
        ("/images/*", "/images/", True),
        ("/images/*", "/images", False),
        ("/images/*", "/Images/x.jpg", False),  # case-sensitive
        ("images/*.jpg", "/images/a/b.jpg", True),  # * crosses /
        ("/api/*", "/api/session", True),
        ("/api/*", "/apix/session", False),
        ("/a?c", "/abc", True),
        ("/a?c", "/ac", False),
        ("*", "/", True),
        ("/*.js", "/assets/app.js", True),
    ],
)
def test_documented_examples(pattern, path, matches):
    assert path_matches(pattern, path) is matches


def test_the_images_behaviour_comes_before_the_default_and_the_api_has_its_own():
    behaviours = [_behaviour("/images/*"), _behaviour("/api/*"), _behaviour("*")]
    assert select(behaviours, "/images/optimized/x-1.webp").path_pattern == "/images/*"
    assert select(behaviours, "/api/images").path_pattern == "/api/*"
    assert select(behaviours, "/").path_pattern == "*"
    assert select(behaviours, "/images").path_pattern == "*"
