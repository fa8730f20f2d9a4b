"""Test-wide settings: hypothesis profiles, chosen by HYPOTHESIS_PROFILE; the deployed stack's
fixtures (tests/stack_fixtures.py) for every suite that needs it; a marker per suite by directory.

`dev` (the default) is quick for the edit-test loop; `ci` is thorough and is what `.ci/run` uses.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.stack_fixtures"]

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

TESTS = Path(__file__).resolve().parent
# tests/<directory>/… carries the marker of that name (pyproject.toml describes each).
MARKED_DIRECTORIES = ("e2e", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            suite = item.path.resolve().relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if suite in MARKED_DIRECTORIES:
            item.add_marker(suite)
