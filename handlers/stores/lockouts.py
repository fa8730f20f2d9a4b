"""Sign-in attempts per user name: repeated failures slow down, then lock the name for a while.

API Gateway's throttling is not emulated, so this lives in the app. Each name that is tried has an
item in the users table keyed `lockout#<name>` (no user name can contain `#`), written whether or not
the user exists, so the answers do not tell which names are users. It holds the attempts of the
current window, when the first and the last were made, and `UsersTable.EXPIRES` (epoch seconds, the
table's TTL attribute).

An attempt is **reserved before the password is checked**: `attempt()` reads the item, decides
whether the name may be tried now, and counts the attempt with one conditional write that holds only
if nobody counted another since the read. So attempts made at the same instant are counted one
after another, each seeing the ones before it, and no more of them reach the password check than the
policy allows; the rest are refused (`AttemptRefused`, with the seconds to wait). A counted attempt
is a failure until it succeeds: `succeeded()` deletes the item. Attempts whose first is older than
the window are no longer counted, unless they locked the name and the lock is not over.

With the defaults: after the third and fourth failed attempts within 15 minutes the next waits 5
and 10 seconds; the fifth locks the name for 15 minutes. A refused attempt is not checked against
the password and not counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handlers.contract import UsersTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PREFIX = "lockout#"
# How often an attempt re-reads the count when other attempts for the name counted theirs first; past
# that the name is too busy to be tried now, and the attempt is refused for a second.
CONTENDED_TRIES = 8


@dataclass(frozen=True)
class LockoutPolicy:
    window_seconds: int = 15 * 60  # failures further apart than this are not added up
    slow_after: int = 3  # from this many failures, the next attempt waits
    slow_seconds: int = 5  # ... this long, doubled with each further failure
    lock_after: int = 5  # this many failures lock the name
    lock_seconds: int = 15 * 60  # ... for this long after the last

    def delay(self, failures: int) -> int:
        """Seconds the attempt after `failures` failures waits after the last of them."""
        if failures >= self.lock_after:
            return self.lock_seconds
        if failures >= self.slow_after:
            return int(self.slow_seconds * 2 ** (failures - self.slow_after))
        return 0


@dataclass(frozen=True)
class Failures:
    count: int
    first: float
    last: float


class AttemptRefused(Exception):
    """The name may not be tried now: `wait` seconds from now it may."""

    def __init__(self, username: str, wait: int) -> None:
        super().__init__(f"user name {username!r} may be tried again in {wait} s")
        self.wait = wait


class Lockouts:
    """Sign-in attempts per name, in the users table, through a boto3 DynamoDB client."""

    def __init__(self, table_name: str, client: DynamoDBClient, policy: LockoutPolicy | None = None) -> None:
        self.table_name = table_name
        self.client = client
        self.policy = policy or LockoutPolicy()

    def wait(self, username: str, now: float) -> int:
        """Seconds before `username` may be tried again (0: now)."""
        failures = self._failures(username)
        if failures is None or not self._counts(failures, now):
            return 0
        return max(0, math.ceil(failures.last + self.policy.delay(failures.count) - now))

    def attempt(self, username: str, now: float) -> int:
        """Count an attempt of `username` at `now` before its password is checked; answers its place
        among the failures counted (1: the first). `AttemptRefused` when the name must wait, or when
        other attempts keep counting theirs first."""
        for _ in range(CONTENDED_TRIES):
            seen = self._failures(username)
            if seen is not None and self._counts(seen, now):
                wait = math.ceil(seen.last + self.policy.delay(seen.count) - now)
                if wait > 0:
                    raise AttemptRefused(username, wait)
                counted = Failures(seen.count + 1, seen.first, now)
            else:
                counted = Failures(1, now, now)
            if self._replace(username, seen, counted):
                return counted.count
        raise AttemptRefused(username, 1)

    def succeeded(self, username: str) -> None:
        """Forget the failures of `username` (its attempt was the right password)."""
        self.client.delete_item(TableName=self.table_name, Key=self._key(username))

    def _replace(self, username: str, seen: Failures | None, counted: Failures) -> bool:
        """Write `counted` if the item is still what was `seen`; False if another attempt wrote first."""
        policy = self.policy
        condition: dict[str, Any]
        if seen is None:
            condition = {
                "ConditionExpression": "attribute_not_exists(#key)",
                "ExpressionAttributeNames": {"#key": UsersTable.KEY},
            }
        else:
            condition = {
                "ConditionExpression": "failures = :count AND last_failure = :last",
                "ExpressionAttributeValues": {":count": {"N": str(seen.count)}, ":last": {"N": _number(seen.last)}},
            }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    **self._key(username),
                    "failures": {"N": str(counted.count)},
                    "first_failure": {"N": _number(counted.first)},
                    "last_failure": {"N": _number(counted.last)},
                    UsersTable.EXPIRES: {
                        "N": str(math.ceil(counted.last + policy.window_seconds + policy.lock_seconds))
                    },
                },
                **condition,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _counts(self, failures: Failures, now: float) -> bool:
        policy = self.policy
        locked = failures.count >= policy.lock_after and failures.last > now - policy.lock_seconds
        return failures.first > now - policy.window_seconds or locked

    def _failures(self, username: str) -> Failures | None:
        item: dict[str, Any] | None = self.client.get_item(
            TableName=self.table_name, Key=self._key(username), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return Failures(int(item["failures"]["N"]), float(item["first_failure"]["N"]), float(item["last_failure"]["N"]))

    @staticmethod
    def _key(username: str) -> dict[str, Any]:
        return {UsersTable.KEY: {"S": PREFIX + username}}


def _number(value: float) -> str:
    return repr(round(value, 3))
