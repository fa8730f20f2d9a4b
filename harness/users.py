"""`python -m harness users`: who may sign in to the web tier, in a stack's users table.

Users are written through the web tier's own `UserStore` (handlers/stores/user_store.py), so names, roles,
addresses and password hashes are exactly what sign-in expects. The table is the local stack's (its
outputs, as `python -m harness outputs` prints them), or the AWS stack's that an outputs file
describes (`pulumi stack output --json > FILE`), reached with the caller's own AWS credentials.

A password comes from stdin only: one line, its newline stripped (at a terminal it is typed twice,
without echo). It is never taken from the command line, printed or logged.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from handlers.contract import PHOTOGRAPHER, ROLES
from handlers.stores.user_store import MAX_PASSWORD, MIN_PASSWORD, User, UserError, UserStore, check_username
from handlers.stores.user_store import check_email as check_user_email
from harness.aws import AwsTarget
from harness.stack_outputs_file import OutputsFileError, aws_stack

USERS_TABLE = "users_table"  # the stack output naming the table
NO_USERS_TABLE = "the stack has no users table: redeploy with python -m harness up"
# The form of address users.py accepts (name@domain.tld, no spaces), within SMTP's 254 characters.
EXAMPLE = "printf '%s\\n' \"$PASSWORD\" | python -m harness users add NAME --password-stdin"
AWS_CLIENT = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=30)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class UsersError(RuntimeError):
    """A user, password or stack that cannot be used; the message says which and why, in one line."""


# --- which table -------------------------------------------------------------------------------


def local_store(outputs: Mapping[str, Any]) -> UserStore:
    """The users table of a stack deployed in the emulator, from its outputs (`endpoint_url`,
    `region` and the stack output `users_table`)."""
    table = outputs.get(USERS_TABLE)
    if not isinstance(table, str) or not table:
        raise UsersError(NO_USERS_TABLE)
    return UserStore(table, AwsTarget(outputs["endpoint_url"], outputs["region"]).client("dynamodb"))


def aws_store(outputs_file: Path) -> UserStore:
    """The users table of the AWS stack whose outputs `outputs_file` holds (the JSON object of
    `pulumi stack output --json`), with boto3's default credentials; the region is the file's
    `region` when it has one, else the caller's AWS configuration's."""
    try:
        outputs, session = aws_stack(outputs_file)
    except OutputsFileError as error:
        raise UsersError(str(error)) from None
    table = outputs.get(USERS_TABLE)
    if not isinstance(table, str) or not table:
        raise UsersError(f"{outputs_file} has no {USERS_TABLE} output: the stack has no users table (redeploy it)")
    return UserStore(table, session.client("dynamodb", config=AWS_CLIENT))


# --- what a user is given ----------------------------------------------------------------------


def check_name(username: str) -> None:
    """Refuse a name sign-in would never accept (users.py's rule)."""
    try:
        check_username(username)
    except UserError as error:
        raise UsersError(str(error)) from None


def check_email(address: str) -> None:
    """Refuse what is not an address users.py accepts."""
    try:
        check_user_email(address)
    except UserError as error:
        raise UsersError(str(error)) from None


def check_new_user(username: str, role: str, email: str | None) -> None:
    """Refuse a name, role or address `add_user` would refuse, before anything is read or written."""
    check_name(username)
    if role not in ROLES:
        raise UsersError(f"role {role!r}: one of {', '.join(ROLES)}")
    if email is not None:
        check_email(email)


def check_password(password: str) -> None:
    """Refuse an empty, too short or too long password (users.py's limits), without showing it."""
    if not password:
        raise UsersError(f"no password on stdin: give it on one line, e.g. {EXAMPLE}")
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"the password is too short: it needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UsersError(f"the password is too long: at most {MAX_PASSWORD} characters")


def read_password(stdin: TextIO, prompt: Callable[[str], str] = getpass.getpass) -> str:
    """The password on `stdin`: all of it, one line, without its line ending; at a terminal, typed
    twice through `prompt` (no echo) and refused when the two differ."""
    if stdin.isatty():
        password = prompt("password: ")
        if prompt("the same again: ") != password:
            raise UsersError("the two passwords typed differ")
    else:
        password = stdin.read()
        for ending in ("\r\n", "\n"):
            if password.endswith(ending):
                password = password.removesuffix(ending)
                break
        if "\n" in password or "\r" in password:
            raise UsersError("stdin holds more than one line: give the password alone, on one line")
    check_password(password)
    return password


# --- what is done with users -------------------------------------------------------------------


def add_user(
    store: UserStore, username: str, password: str, role: str = PHOTOGRAPHER, email: str | None = None
) -> User:
    """Make a user; refuses a name that is taken (the existing user is left as it is)."""
    check_new_user(username, role, email)
    check_password(password)
    with _talking_to(store):
        try:
            return store.add(username, password, role, email)
        except UserError as error:
            if store.get(username) is not None:
                raise UsersError(
                    f"user {username!r} exists already: change their password with "
                    f"`users set-password {username} --password-stdin`, or `users remove {username}` first"
                ) from None
            raise UsersError(str(error)) from None


def list_users(store: UserStore) -> list[User]:
    """Every user, by name."""
    with _talking_to(store):
        return store.list()


def set_password(store: UserStore, username: str, password: str) -> None:
    """Give an existing user a new password; the old one no longer signs in."""
    check_name(username)
    check_password(password)
    with _talking_to(store):
        try:
            store.set_password(username, password)
        except UserError as error:
            raise UsersError(str(error)) from None


def sign_out_user(store: UserStore, username: str) -> None:
    """End every session of an existing user, on every device; their password stays as it is."""
    check_name(username)
    with _talking_to(store):
        try:
            store.end_sessions(username)
        except UserError as error:
            raise UsersError(str(error)) from None


def remove_user(store: UserStore, username: str) -> None:
    """Remove a user and forget the name's sign-in failures (the store removes its lockout item),
    so a user made later under that name starts afresh."""
    check_name(username)
    with _talking_to(store):
        existed = store.remove(username)  # the name's lockout item goes too
    if not existed:
        raise UsersError(f"there is no user {username!r}")


def format_users(users: Sequence[User]) -> str:
    """Name, role and address of each user, in aligned columns (a `User` carries no hash)."""
    if not users:
        return "no users yet: add one with python -m harness users add NAME --password-stdin"
    rows = [("NAME", "ROLE", "EMAIL"), *((user.username, user.role, user.email or "-") for user in users)]
    name_width = max(len(row[0]) for row in rows)
    role_width = max(len(row[1]) for row in rows)
    return "\n".join(f"{name:<{name_width}}  {role:<{role_width}}  {email}" for name, role, email in rows)


@contextlib.contextmanager
def _talking_to(store: UserStore) -> Iterator[None]:
    """Turn what boto3 raises while talking to the table into one line that says what to do."""
    url = store.client.meta.endpoint_url
    local = urlparse(url).hostname in LOOPBACK
    try:
        yield
    except NoCredentialsError:
        raise UsersError(
            "no AWS credentials: boto3 found none (environment, ~/.aws, SSO, instance role); "
            "configure some, e.g. with `aws configure` or AWS_PROFILE"
        ) from None
    except EndpointConnectionError:
        hint = ": is the emulator running? (python -m harness status)" if local else ""
        raise UsersError(f"cannot reach DynamoDB at {url}{hint}") from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            hint = ": redeploy with python -m harness up" if local else ""
            region = store.client.meta.region_name
            raise UsersError(f"there is no table {store.table_name!r} in {region} at {url}{hint}") from None
        message = error.response.get("Error", {}).get("Message", "")
        raise UsersError(f"{url} refused {error.operation_name} on {store.table_name!r}: {code}: {message}") from None
    except BotoCoreError as error:
        raise UsersError(f"talking to {url}: {error}") from None
