"""Sign-in failures per user name: repeated ones slow down, then lock the name for a while.

API Gateway's throttling is not emulated, so this lives in the app. Each name that fails has an item
in the users table keyed `lockout#<name>` (no user name can contain `#`), written whether or not the
user exists, so the answers do not tell which names are users. It holds the failures of the current
window, when the first and the last happened, and `UsersTable.EXPIRES` (epoch seconds, the
table's TTL attribute): failures whose first is older than the window are no longer counted, unless they locked the
name and the lock is not over. A success
deletes the item.

With the defaults: the third and fourth failures within 15 minutes make the next attempt wait 5
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


@dataclass(frozen=True)
class LockoutPolicy:
    window_seconds: int = 15 * 60  # failures further apart than this are not added up
    slow_after: int = 3  # from this many failures, the next attempt waits
    slow_seconds: int = 5  # ... this long, doubled with each further failure
    lock_after: int = 5  # this many failures lock the name
    lock_seconds: int = 15 * 60  # ... for this long after the last


@dataclass(frozen=True)
class Failures:
    count: int
    first: float
    last: float


class Lockouts:
    """Sign-in failures per name, in the users table, through a boto3 DynamoDB client."""

    def __init__(self, table_name: str, client: DynamoDBClient, policy: LockoutPolicy | None = None) -> None:
        self.table_name = table_name
        self.client = client
        self.policy = policy or LockoutPolicy()

    def wait(self, username: str, now: float) -> int:
        """Seconds before `username` may try again (0: now)."""
        failures = self._failures(username)
        if failures is None or not self._counts(failures, now):
            return 0
        policy = self.policy
        if failures.count >= policy.lock_after:
            ready = failures.last + policy.lock_seconds
        elif failures.count >= policy.slow_after:
            ready = failures.last + policy.slow_seconds * 2 ** (failures.count - policy.slow_after)
        else:
            return 0
        return max(0, math.ceil(ready - now))

    def failed(self, username: str, now: float) -> int:
        """Count a failure of `username` at `now`; answers the failures counted."""
        policy = self.policy
        values = {
            ":now": {"N": _number(now)},
            ":one": {"N": "1"},
            ":window_start": {"N": _number(now - policy.window_seconds)},
            ":lock_start": {"N": _number(now - policy.lock_seconds)},
            ":lock_after": {"N": str(policy.lock_after)},
            ":expires": {"N": str(math.ceil(now + policy.window_seconds + policy.lock_seconds))},
        }
        still_counting = "first_failure > :window_start OR (failures >= :lock_after AND last_failure > :lock_start)"
        for _ in range(3):  # a concurrent failure may start or add to the count between the two tries
            try:  # add to the failures still counted ...
                response = self.client.update_item(
                    TableName=self.table_name,
                    Key=self._key(username),
                    UpdateExpression="ADD failures :one SET last_failure = :now, #expires = :expires",
                    ConditionExpression=f"attribute_exists(#key) AND ({still_counting})",
                    ExpressionAttributeNames={"#key": UsersTable.KEY, "#expires": UsersTable.EXPIRES},
                    ExpressionAttributeValues=values,
                    ReturnValues="UPDATED_NEW",
                )
                return int(response["Attributes"]["failures"]["N"])
            except self.client.exceptions.ConditionalCheckFailedException:
                pass
            try:  # ... or start counting afresh
                self.client.put_item(
                    TableName=self.table_name,
                    Item={
                        **self._key(username),
                        "failures": values[":one"],
                        "first_failure": values[":now"],
                        "last_failure": values[":now"],
                        UsersTable.EXPIRES: values[":expires"],
                    },
                    ConditionExpression=f"attribute_not_exists(#key) OR NOT ({still_counting})",
                    ExpressionAttributeNames={"#key": UsersTable.KEY},
                    ExpressionAttributeValues={k: values[k] for k in (":window_start", ":lock_start", ":lock_after")},
                )
                return 1
            except self.client.exceptions.ConditionalCheckFailedException:
                pass
        raise RuntimeError(f"could not count a sign-in failure of {username!r}")

    def succeeded(self, username: str) -> None:
        """Forget the failures of `username`."""
        self.client.delete_item(TableName=self.table_name, Key=self._key(username))

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
