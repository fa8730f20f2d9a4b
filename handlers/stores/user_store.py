"""Users of the web tier, in their DynamoDB table: name, role, e-mail, a password hash, and the
sessions they have open.

Passwords are hashed with scrypt (the standard library's `hashlib.scrypt`, RFC 7914) with a random
salt per password, and compared in constant time; the hash records its parameters, so they can be
raised later without invalidating stored passwords. A password is never logged or returned.

Sessions: the user's item holds the ids of their open sessions (a string set, `sessions`), so the
read of the user that every signed-in request makes anyway also says whether its session is still
open; a session is ended by taking its id out (sign-out), all of them by removing the set (sign out
everywhere, a new password, an operator's sign-out). Each change is one atomic update of the set.
A session id starts with the second it was issued (`<issued_at>.<random>`), so signing in also
drops the ids of sessions that have expired, and the oldest beyond `MAX_SESSIONS`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.contract import PHOTOGRAPHER, REVIEWER, ROLES, UsersTable
from handlers.stores.lockouts import PREFIX as LOCKOUT_PREFIX

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# scrypt cost: N=2^14, r=8, p=1 (OWASP's minimum is N=2^17 for interactive logins with 128 MiB per
# hash; 2^14 keeps a Lambda of 256 MB and the 2-core test machines quick, and is recorded per hash).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254
MAX_SESSIONS = 50
"""Sessions a user may have open at once; signing in beyond that ends the oldest."""
SESSIONS = "sessions"  # the user item's attribute: the ids of the open sessions


class UserError(ValueError):
    """A user name, role, address or password that cannot be; the message says which and why."""


@dataclass(frozen=True)
class User:
    """Who signs in: their name (also the owner of their uploads), role and address; `credential`
    changes whenever their password does (a session records it, so a new password ends the
    sessions signed in with the old one); `sessions` are the ids of their open sessions."""

    username: str
    role: str
    email: str | None = None
    credential: str = field(default="", repr=False, compare=False)
    sessions: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @property
    def is_reviewer(self) -> bool:
        return self.role == REVIEWER


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash` (salt and hash base64) for `password`."""
    check_password(password)
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (False for a malformed hash)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def check_password(password: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def check_email(email: str) -> None:
    if not isinstance(email, str) or len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
        raise UserError(f"e-mail address {email!r} is not one: expected name@domain.tld, no spaces")


def check_username(username: str) -> None:
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise UserError(
            f"user name {username!r}: 2-63 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
        )


class UserStore:
    """Reads and writes users in one table through a boto3 DynamoDB client."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self.client = client

    def add(self, username: str, password: str, role: str = PHOTOGRAPHER, email: str | None = None) -> User:
        """Make a user; UserError when the name is taken or anything is not as it must be."""
        check_username(username)
        if role not in ROLES:
            raise UserError(f"role {role!r}: one of {', '.join(ROLES)}")
        if email is not None:
            check_email(email)
        item: dict[str, Any] = {
            UsersTable.KEY: {"S": username},
            "role": {"S": role},
            "password_hash": {"S": hash_password(password)},
        }
        if email:
            item["email"] = {"S": email}
        try:
            self.client.put_item(
                TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(#key)",
                ExpressionAttributeNames={"#key": UsersTable.KEY},
            )  # fmt: skip
        except self.client.exceptions.ConditionalCheckFailedException:
            raise UserError(f"user {username!r} exists already") from None
        return User(username, role, email)

    def get(self, username: str) -> User | None:
        if not isinstance(username, str) or not USERNAME.fullmatch(username):
            return None  # not a user's name (e.g. another kind of item in the table)
        item = self._item(username)
        return _user(item) if item else None

    def authenticate(self, username: str, password: str) -> User | None:
        """The user, when `password` is theirs; None for an unknown user or a wrong password alike
        (an unknown user costs a hash too, so timing does not tell which)."""
        item = self._item(username) if isinstance(username, str) and USERNAME.fullmatch(username) else None
        stored = item["password_hash"]["S"] if item else _DECOY
        if verify_password(password, stored) and item:
            return _user(item)
        return None

    def set_password(self, username: str, password: str) -> None:
        """Give the user a new password (their sessions, signed in with the old one, end)."""
        check_username(username)
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={UsersTable.KEY: {"S": username}},
                UpdateExpression=f"SET password_hash = :hash REMOVE {SESSIONS}",
                ConditionExpression="attribute_exists(#key)",
                ExpressionAttributeNames={"#key": UsersTable.KEY},
                ExpressionAttributeValues={":hash": {"S": hash_password(password)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise UserError(f"there is no user {username!r}") from None

    def start_session(self, user: User, session_id: str, expired_before: int) -> None:
        """Record `session_id` as open for `user`, and end their sessions issued before
        `expired_before` (epoch seconds: expired already) and the oldest beyond `MAX_SESSIONS`;
        UserError when the user was removed meanwhile."""
        key = {UsersTable.KEY: {"S": user.username}}
        try:
            self.client.update_item(
                TableName=self.table_name, Key=key, UpdateExpression=f"ADD {SESSIONS} :id",
                ConditionExpression="attribute_exists(#key)", ExpressionAttributeNames={"#key": UsersTable.KEY},
                ExpressionAttributeValues={":id": {"SS": [session_id]}},
            )  # fmt: skip
        except self.client.exceptions.ConditionalCheckFailedException:
            raise UserError(f"there is no user {user.username!r}") from None
        newest_first = sorted(user.sessions, key=issued_at, reverse=True)
        ended = [sid for sid in newest_first if issued_at(sid) < expired_before] + [
            sid for sid in newest_first[MAX_SESSIONS - 1 :] if issued_at(sid) >= expired_before
        ]
        if ended:
            self.client.update_item(
                TableName=self.table_name, Key=key, UpdateExpression=f"DELETE {SESSIONS} :ended",
                ExpressionAttributeValues={":ended": {"SS": ended}},
            )  # fmt: skip

    def end_session(self, username: str, session_id: str) -> None:
        """End one session of `username` (signing out); nothing when it, or the user, is gone already
        (the condition keeps the update from making an item of a removed user's name)."""
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table_name, Key={UsersTable.KEY: {"S": username}},
                UpdateExpression=f"DELETE {SESSIONS} :id", ConditionExpression="attribute_exists(#key)",
                ExpressionAttributeNames={"#key": UsersTable.KEY},
                ExpressionAttributeValues={":id": {"SS": [session_id]}},
            )  # fmt: skip

    def end_sessions(self, username: str) -> None:
        """End every session of `username` (signing out everywhere); UserError when there is no such user."""
        check_username(username)
        try:
            self.client.update_item(
                TableName=self.table_name, Key={UsersTable.KEY: {"S": username}}, UpdateExpression=f"REMOVE {SESSIONS}",
                ConditionExpression="attribute_exists(#key)", ExpressionAttributeNames={"#key": UsersTable.KEY},
            )  # fmt: skip
        except self.client.exceptions.ConditionalCheckFailedException:
            raise UserError(f"there is no user {username!r}") from None

    def remove(self, username: str) -> bool:
        """Remove the user, and the count of sign-in failures for their name (a later user of the
        name starts clean); False when there was no such user."""
        check_username(username)
        response = self.client.delete_item(
            TableName=self.table_name, Key={UsersTable.KEY: {"S": username}}, ReturnValues="ALL_OLD"
        )
        self.client.delete_item(TableName=self.table_name, Key={UsersTable.KEY: {"S": f"{LOCKOUT_PREFIX}{username}"}})
        return "Attributes" in response

    def list(self) -> list[User]:
        """Every user, by name (a Scan: the table holds a team, not a crowd; the items that are not
        users, such as sign-in failures, have no role)."""
        pages = self.client.get_paginator("scan").paginate(
            TableName=self.table_name, FilterExpression="attribute_exists(#role)",
            ExpressionAttributeNames={"#role": "role"},
        )  # fmt: skip
        users = [_user(item) for page in pages for item in page.get("Items", [])]
        return sorted(users, key=lambda user: user.username)

    def _item(self, username: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table_name, Key={UsersTable.KEY: {"S": username}}, ConsistentRead=True
        )
        item: dict[str, Any] | None = response.get("Item")
        return item


def issued_at(session_id: str) -> int:
    """The second a session was issued, from its id (`<issued_at>.<random>`; 0 for an id not so made)."""
    head = session_id.partition(".")[0]
    return int(head) if head.isdigit() else 0


def _user(item: dict[str, Any]) -> User:
    email = item.get("email", {}).get("S")
    credential = hashlib.sha256(item["password_hash"]["S"].encode()).hexdigest()[:32]
    sessions = frozenset(item.get(SESSIONS, {}).get("SS", ()))
    return User(item[UsersTable.KEY]["S"], item["role"]["S"], email, credential, sessions)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# A hash of no one's password, checked against when the user does not exist.
_DECOY = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(b'0' * 16)}${_b64(b'0' * 32)}"
