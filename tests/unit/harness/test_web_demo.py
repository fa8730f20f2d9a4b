"""The demo's web users: made once, given a fresh password on every run; and what the demo prints
for a person to sign in and list the images by hand."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from handlers.contract import PHOTOGRAPHER, REVIEWER
from handlers.stores.user_store import UserStore
from harness import web_demo
from tests.unit.tables import create_users_table


@pytest.fixture
def store(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> UserStore:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    create_users_table(dynamodb, "users")
    users = UserStore("users", dynamodb)
    monkeypatch.setattr(web_demo, "local_store", lambda outputs: users)
    return users


OUTPUTS: dict[str, Any] = {"users_table": "users", "cdn_url": "http://127.0.0.1:4580"}


def test_the_demo_makes_a_photographer_and_a_reviewer_who_can_sign_in(store: UserStore) -> None:
    made = web_demo.demo_users(OUTPUTS)
    assert [(user.name, user.role) for user in made] == [("demo", PHOTOGRAPHER), ("demo-reviewer", REVIEWER)]
    for user in made:
        signed_in = store.authenticate(user.name, user.password)
        assert signed_in is not None and signed_in.role == user.role


def test_each_run_gives_new_passwords_and_the_old_ones_stop_working(store: UserStore) -> None:
    first, second = web_demo.demo_users(OUTPUTS), web_demo.demo_users(OUTPUTS)
    for before, now in zip(first, second, strict=True):
        assert before.password != now.password
        assert store.authenticate(before.name, before.password) is None
        assert store.authenticate(now.name, now.password) is not None


def test_the_demo_prints_the_cdn_the_users_and_curl_lines_that_work_together(store: UserStore) -> None:
    users = web_demo.demo_users(OUTPUTS)
    shown = web_demo._how_to(OUTPUTS["cdn_url"], users)
    assert "cdn_url: http://127.0.0.1:4580" in shown
    assert "The dashboard: http://127.0.0.1:4580/ " in shown
    for user in users:
        assert user.name in shown and user.password in shown
    assert f'"username": "demo", "password": "{users[0].password}"' in shown
    assert "curl -c demo.cookies" in shown and "curl -b demo.cookies 'http://127.0.0.1:4580/api/images" in shown
