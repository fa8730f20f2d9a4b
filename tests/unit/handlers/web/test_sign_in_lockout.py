"""Repeated sign-in failures for one name slow down, then lock it; unknown names alike; counts expire;
attempts made at the same instant are counted one after another, before any password is checked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from handlers.contract import UsersTable
from handlers.stores.lockouts import CONTENDED_TRIES, PREFIX, AttemptRefused, LockoutPolicy, Lockouts
from handlers.stores.user_store import UserStore
from handlers.web.services import Services
from tests.unit.handlers.web.conftest import PASSWORD, Clock, sign_in

WRONG = "not the password"
POLICY = LockoutPolicy()  # 3 failures: wait 5 s, 4: 10 s, 5: locked 15 min; a 15-minute window


def fail(client: FlaskClient, clock: Clock, name: str, times: int) -> list[int]:
    """Fail `times` times, waiting as long as asked between; the statuses of the failures."""
    statuses = []
    for _ in range(times):
        response = sign_in(client, name, WRONG)
        if response.status_code == 429:
            clock.advance(int(response.headers["Retry-After"]))
            response = sign_in(client, name, WRONG)
        statuses.append(response.status_code)
    return statuses


def answers(client: FlaskClient, clock: Clock, name: str) -> list[tuple[int, str | None, str]]:
    """What one name gets: five failures, retried at once after each, then the right password."""
    seen = []
    for password in [WRONG, WRONG] * 5 + [PASSWORD]:
        response = sign_in(client, name, password)
        seen.append((response.status_code, response.headers.get("Retry-After"), response.get_json()["error"]))
        clock.advance(1)
    return seen


def test_failures_slow_down_then_lock(client: FlaskClient, clock: Clock) -> None:
    assert fail(client, clock, "alice", 2) == [401, 401]
    assert sign_in(client, "alice", WRONG).status_code == 401  # the third
    response = sign_in(client, "alice", PASSWORD)  # even the right password must wait
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == "too-many-attempts"
    clock.advance(5)
    assert sign_in(client, "alice", WRONG).status_code == 401  # the fourth
    assert sign_in(client, "alice", WRONG).headers["Retry-After"] == "10"
    clock.advance(10)
    assert sign_in(client, "alice", WRONG).status_code == 401  # the fifth: locked
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429 and response.headers["Retry-After"] == str(15 * 60)
    clock.advance(15 * 60 - 1)
    assert sign_in(client, "alice", PASSWORD).headers["Retry-After"] == "1"
    clock.advance(1)
    assert sign_in(client, "alice", PASSWORD).status_code == 200


def test_an_unknown_name_is_answered_as_a_user_is(client: FlaskClient, clock: Clock) -> None:
    known = answers(client, clock, "alice")
    unknown = answers(client, clock, "nobody")
    assert {status for status, _, _ in known} == {401, 429}
    assert known == unknown  # the right password too: locked by then, whether the user exists or not
    assert known[-1][0] == 429


def test_failures_and_refusals_are_logged_without_the_password(
    client: FlaskClient, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.web.sessions")
    fail(client, clock, "alice", 4)
    sign_in(client, "alice", PASSWORD)
    messages = [record.getMessage() for record in caplog.records]
    assert "sign-in failed: user name 'alice', failure 4 in a row" in messages
    assert "sign-in refused: user name 'alice' must wait 10 s after repeated failures" in messages
    assert not any(WRONG in m or PASSWORD in m for m in messages)


def test_a_success_forgets_the_failures(client: FlaskClient, clock: Clock) -> None:
    assert fail(client, clock, "alice", 4) == [401] * 4
    clock.advance(60)
    assert sign_in(client, "alice", PASSWORD).status_code == 200
    assert fail(client, clock, "alice", 2) == [401, 401]
    assert sign_in(client, "alice", WRONG).status_code == 401  # two more would have locked it


def test_failures_further_apart_than_the_window_do_not_add_up(client: FlaskClient, clock: Clock) -> None:
    for _ in range(10):
        assert fail(client, clock, "alice", 2) == [401, 401]
        clock.advance(POLICY.window_seconds)
    assert sign_in(client, "alice", PASSWORD).status_code == 200


def test_names_are_counted_apart(client: FlaskClient, clock: Clock) -> None:
    fail(client, clock, "alice", 5)
    assert sign_in(client, "alice", PASSWORD).status_code == 429
    assert sign_in(client, "rita", PASSWORD).status_code == 200


def test_a_bad_request_is_not_counted(client: FlaskClient, clock: Clock) -> None:
    for _ in range(10):
        assert client.post("/api/session", json={"username": "alice"}).status_code == 400
    assert sign_in(client, "alice", PASSWORD).status_code == 200


# The store itself


@pytest.fixture
def lockouts(users: UserStore) -> Lockouts:
    return Lockouts(users.table_name, users.client)


def test_the_count_is_an_item_that_expires(lockouts: Lockouts, users: UserStore) -> None:
    now = 1_800_000_000.5
    assert [lockouts.attempt("somebody", now + i) for i in range(3)] == [1, 2, 3]
    item = users.client.get_item(TableName=users.table_name, Key={UsersTable.KEY: {"S": PREFIX + "somebody"}})["Item"]
    assert item["failures"] == {"N": "3"}
    assert item["first_failure"] == {"N": "1800000000.5"} and item["last_failure"] == {"N": "1800000002.5"}
    assert int(item["expires_at"]["N"]) == 1_800_000_002 + POLICY.window_seconds + POLICY.lock_seconds + 1
    assert [u.username for u in users.list()] == ["alice", "rita"]
    lockouts.succeeded("somebody")
    assert "Item" not in users.client.get_item(
        TableName=users.table_name, Key={UsersTable.KEY: {"S": PREFIX + "somebody"}}
    )


def refused(lockouts: Lockouts, name: str, now: float) -> int:
    """The wait `attempt` refuses `name` with at `now`."""
    with pytest.raises(AttemptRefused) as refusal:
        lockouts.attempt(name, now)
    return refusal.value.wait


def test_an_attempt_is_refused_until_the_wait_is_over(lockouts: Lockouts) -> None:
    assert [lockouts.attempt("bob", 100.0) for _ in range(3)] == [1, 2, 3]
    assert refused(lockouts, "bob", 100.0) == 5
    assert refused(lockouts, "bob", 104.5) == 1
    assert lockouts.attempt("bob", 105.0) == 4
    assert refused(lockouts, "bob", 105.0) == 10
    assert lockouts.wait("bob", 105.0) == 10  # the refusal was not counted


def test_a_lock_outlasts_the_window(lockouts: Lockouts) -> None:
    policy = LockoutPolicy(window_seconds=60, lock_seconds=600)
    lockouts = Lockouts(lockouts.table_name, lockouts.client, policy)
    for i, at in enumerate([100.0, 101.0, 102.0, 107.0, 117.0]):
        assert lockouts.attempt("bob", at) == i + 1
    assert lockouts.wait("bob", 117.0) == 600
    assert refused(lockouts, "bob", 500.0) == 217  # past the window, still locked
    assert lockouts.wait("bob", 717.0) == 0
    assert lockouts.attempt("bob", 717.0) == 1  # a fresh count once the lock is over


def test_a_count_starts_afresh_after_the_window(lockouts: Lockouts) -> None:
    assert lockouts.attempt("bob", 0.0) == 1
    assert lockouts.attempt("bob", 10.0) == 2
    assert lockouts.attempt("bob", 10.0 + POLICY.window_seconds) == 1
    assert lockouts.wait("bob", 11.0 + POLICY.window_seconds) == 0


class Racing:
    """A DynamoDB client through which other attempts for the name land between our read and our
    write, `times` times."""

    def __init__(self, client: Any, other: Callable[[], object], times: int = 1) -> None:
        self.client, self.other, self.times = client, other, times
        self.exceptions = client.exceptions

    def put_item(self, **kwargs: Any) -> Any:
        if self.times:
            self.times -= 1
            self.other()
        return self.client.put_item(**kwargs)

    def get_item(self, **kwargs: Any) -> Any:
        return self.client.get_item(**kwargs)


def test_a_concurrent_attempt_is_counted_before_not_overwritten(lockouts: Lockouts) -> None:
    racing = Racing(lockouts.client, lambda: lockouts.attempt("bob", 100.0))
    assert Lockouts(lockouts.table_name, racing).attempt("bob", 100.5) == 2  # type: ignore[arg-type]
    assert lockouts.attempt("bob", 101.0) == 3


def test_concurrent_attempts_reaching_the_limit_are_refused(lockouts: Lockouts) -> None:
    # Three others count theirs, one between each of our reads and writes: the third is the last
    # that may be checked without a wait, so ours, first read when there were none, is refused, not
    # counted fourth.
    racing = Racing(lockouts.client, lambda: lockouts.attempt("bob", 100.0), times=3)
    assert refused(Lockouts(lockouts.table_name, racing), "bob", 100.0) == 5  # type: ignore[arg-type]
    assert lockouts.wait("bob", 100.0) == 5


def test_an_attempt_that_keeps_losing_the_race_is_refused_for_a_second(lockouts: Lockouts) -> None:
    policy = LockoutPolicy(slow_after=1000, lock_after=1000)  # nobody ever waits: only the race refuses
    counting = Lockouts(lockouts.table_name, lockouts.client, policy)
    racing = Racing(lockouts.client, lambda: counting.attempt("bob", 100.0), times=CONTENDED_TRIES)
    assert refused(Lockouts(lockouts.table_name, racing, policy), "bob", 100.0) == 1  # type: ignore[arg-type]
    assert counting.wait("bob", 100.0) == 0 and counting.attempt("bob", 100.0) == CONTENDED_TRIES + 1


# Many attempts at the same instant, through the app


class Atomic:
    """A boto3 client whose calls run one at a time, as DynamoDB applies each request to an item
    atomically (moto's check of a condition and its write are not, across threads)."""

    def __init__(self, client: Any) -> None:
        self.client, self.exceptions, self.lock = client, client.exceptions, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            with self.lock:
                return method(**kwargs)

        return call


def test_a_burst_of_wrong_passwords_checks_no_more_than_the_policy(app: Flask, services: Services) -> None:
    services.users.client = Atomic(services.users.client)
    checked: list[str] = []
    authenticate = services.users.authenticate

    def counting(username: str, password: str) -> Any:
        checked.append(password)
        return authenticate(username, password)

    services.users.authenticate = counting  # type: ignore[method-assign]
    barrier = threading.Barrier(12)

    def guess(i: int) -> tuple[int, str | None]:
        client = app.test_client()
        barrier.wait()
        response = sign_in(client, "alice", f"{WRONG} {i}")
        return response.status_code, response.headers.get("Retry-After")

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(guess, range(12)))
    statuses = sorted(status for status, _ in answers)
    assert len(checked) <= POLICY.slow_after
    assert statuses == [401] * len(checked) + [429] * (12 - len(checked))
    assert all(int(wait) >= 1 for status, wait in answers if status == 429 and wait is not None)
    assert all(wait is not None for status, wait in answers if status == 429)
