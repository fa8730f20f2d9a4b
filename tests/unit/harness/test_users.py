"""`python -m harness users`, through the command line's entry point with stdin given: the local
stack's users table in a moto server on loopback (the harness reaches it by its endpoint, as it
reaches the emulator), an AWS stack's through an outputs file in in-process moto."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from handlers.contract import UsersTable
from handlers.stores.lockouts import PREFIX, Lockouts
from handlers.stores.user_store import User, UserStore
from harness import cli, users
from harness.aws import AwsTarget
from tests.unit.tables import create_users_table

PASSWORD = "correct horse battery"
OTHER_PASSWORD = "staple and then some"


@dataclass
class Run:
    """What one `python -m harness users …` did: its exit status and what it printed."""

    status: int
    out: str
    err: str


@pytest.fixture
def local_outputs(moto: AwsTarget, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The local stack's outputs, as `python -m harness outputs` prints them, with a users table of
    this test's own in the moto server."""
    table = f"imagepipe-local-users-{uuid.uuid4().hex[:8]}"
    create_users_table(moto.client("dynamodb"), table)
    outputs = {"endpoint_url": moto.endpoint_url, "region": "us-east-1", "users_table": table, "api_url": "-"}
    monkeypatch.setattr(cli, "stack_outputs", lambda stack: outputs if stack == cli.DEFAULT_STACK else {})
    return outputs


@pytest.fixture
def store(local_outputs: dict[str, Any], moto: AwsTarget) -> UserStore:
    """The local stack's users, read directly (not through the command under test)."""
    return UserStore(local_outputs["users_table"], moto.client("dynamodb"))


@pytest.fixture
def users_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `python -m harness users <argv>` with `stdin` as its standard input."""

    def run(*argv: str, stdin: str = "") -> Run:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        try:
            status = cli.main(["users", *argv])
        except SystemExit as exit_:  # argparse refusing the command line
            status = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


def items(store: UserStore) -> list[dict[str, Any]]:
    return store.client.scan(TableName=store.table_name)["Items"]


# --- add ---------------------------------------------------------------------------------------


def test_add_makes_a_photographer_who_signs_in_with_the_password_from_stdin(users_cli, store):
    run = users_cli("add", "alice", "--password-stdin", "--email", "alice@example.com", stdin=PASSWORD + "\n")
    assert (run.status, run.out, run.err) == (0, "added user alice (photographer)\n", "")
    assert store.authenticate("alice", PASSWORD) == User("alice", "photographer", "alice@example.com")
    assert store.authenticate("alice", PASSWORD + "\n") is None  # the newline is not part of it


@pytest.mark.parametrize("ending", ["", "\r\n"])
def test_the_password_may_end_without_a_newline_or_with_crlf(users_cli, store, ending):
    assert users_cli("add", "rita", "--password-stdin", "--role", "reviewer", stdin=PASSWORD + ending).status == 0
    assert store.authenticate("rita", PASSWORD) == User("rita", "reviewer", None)


def test_an_existing_name_is_refused_and_the_user_left_as_they_were(users_cli, store):
    assert users_cli("add", "alice", "--password-stdin", stdin=PASSWORD).status == 0
    run = users_cli("add", "alice", "--password-stdin", "--role", "reviewer", stdin=OTHER_PASSWORD)
    assert run.status == 1
    assert run.err.startswith("error: user 'alice' exists already: change their password with `users set-password")
    assert store.authenticate("alice", PASSWORD) == User("alice", "photographer", None)
    assert store.authenticate("alice", OTHER_PASSWORD) is None


@pytest.mark.parametrize("name", ["Alice", "a", "_alice", "al ice", "lockout#alice", "x" * 64, "alice/../bob", "ålice"])
def test_a_name_sign_in_would_not_accept_is_refused(users_cli, store, name):
    run = users_cli("add", name, "--password-stdin", stdin=PASSWORD)
    assert run.status == 1
    assert run.err.startswith(f"error: user name {name!r}: 2-63 characters of a-z, 0-9")
    assert run.err.count("\n") == 1  # one line, no traceback
    assert items(store) == []


@pytest.mark.parametrize(
    "email", ["alice", "alice@example", "alice@@example.com", "al ice@example.com", "", "a@b.c" + "c" * 250]
)
def test_an_address_that_is_not_one_is_refused(users_cli, store, email):
    run = users_cli("add", "alice", "--password-stdin", "--email", email, stdin=PASSWORD)
    assert run.status == 1
    assert run.err == f"error: e-mail address {email!r} is not one: expected name@domain.tld, no spaces\n"
    assert items(store) == []


@pytest.mark.parametrize(
    ("stdin", "says"),
    [
        ("", "no password on stdin"),
        ("\n", "no password on stdin"),
        ("s3cr3t\n", "the password is too short: it needs at least 10 characters"),
        ("123456789\n", "the password is too short"),
        ("x" * 1025, "the password is too long: at most 1024 characters"),
        (PASSWORD + "\nand another line\n", "stdin holds more than one line"),
        (PASSWORD + "\n\n", "stdin holds more than one line"),
    ],
)
def test_a_missing_short_long_or_multi_line_password_is_refused_without_being_shown(users_cli, store, stdin, says):
    run = users_cli("add", "alice", "--password-stdin", stdin=stdin)
    assert run.status == 1
    assert run.err.startswith(f"error: {says}")
    assert all(line not in run.err + run.out for line in stdin.splitlines() if line)
    assert items(store) == []


def test_a_password_of_the_minimum_length_is_taken(users_cli, store):
    assert users_cli("add", "alice", "--password-stdin", stdin="0123456789\n").status == 0
    assert store.authenticate("alice", "0123456789") is not None


@pytest.mark.parametrize(
    "argv",
    [
        ("add", "alice"),  # no --password-stdin: there is no other way to give one
        ("add", "alice", "--password-stdin", PASSWORD),  # nor on the command line
        ("add", "alice", "--password-stdin", "--role", "admin"),
        ("set-password", "alice"),
        ("list", "--stack", "local", "--outputs", "stack.json"),
    ],
)
def test_command_lines_that_cannot_be_right_are_refused_by_argparse(users_cli, store, argv):
    assert users_cli(*argv, stdin=PASSWORD).status == 2
    assert items(store) == []


# --- list, set-password, sign-out, remove ------------------------------------------------------


def test_list_shows_name_role_and_address_of_users_only_and_never_a_hash(users_cli, store):
    assert users_cli("add", "rita", "--password-stdin", "--role", "reviewer", stdin=PASSWORD).status == 0
    assert users_cli("add", "alice", "--password-stdin", "--email", "alice@example.com", stdin=PASSWORD).status == 0
    Lockouts(store.table_name, store.client).attempt("mallory", time.time())  # not a user: not listed
    run = users_cli("list")
    assert run.status == 0
    assert run.out.splitlines() == [
        "NAME   ROLE          EMAIL",
        "alice  photographer  alice@example.com",
        "rita   reviewer      -",
    ]
    assert "scrypt" not in run.out


def test_list_of_no_users_says_so(users_cli, store):
    run = users_cli("list")
    assert (run.status, run.out) == (
        0,
        "no users yet: add one with python -m harness users add NAME --password-stdin\n",
    )


def test_set_password_replaces_the_old_password(users_cli, store):
    assert users_cli("add", "alice", "--password-stdin", stdin=PASSWORD).status == 0
    run = users_cli("set-password", "alice", "--password-stdin", stdin=OTHER_PASSWORD + "\n")
    assert (run.status, run.out) == (0, "changed the password of alice\n")
    assert store.authenticate("alice", PASSWORD) is None
    assert store.authenticate("alice", OTHER_PASSWORD) == User("alice", "photographer", None)
    assert OTHER_PASSWORD not in run.out + run.err


def test_set_password_of_someone_who_is_not_a_user_is_refused(users_cli, store):
    run = users_cli("set-password", "bob", "--password-stdin", stdin=OTHER_PASSWORD)
    assert (run.status, run.err) == (1, "error: there is no user 'bob'\n")
    assert items(store) == []


def test_set_password_refuses_a_short_password_and_keeps_the_old_one(users_cli, store):
    assert users_cli("add", "alice", "--password-stdin", stdin=PASSWORD).status == 0
    run = users_cli("set-password", "alice", "--password-stdin", stdin="short\n")
    assert (run.status, run.err) == (1, "error: the password is too short: it needs at least 10 characters\n")
    assert store.authenticate("alice", PASSWORD) is not None


def test_remove_removes_the_user_and_their_lockout_item_only(users_cli, store):
    lockouts = Lockouts(store.table_name, store.client)
    for name in ("alice", "bob"):
        assert users_cli("add", name, "--password-stdin", stdin=PASSWORD).status == 0
        lockouts.attempt(name, time.time())
    run = users_cli("remove", "alice")
    assert (run.status, run.out) == (0, "removed user alice\n")
    assert store.get("alice") is None
    assert sorted(item[UsersTable.KEY]["S"] for item in items(store)) == ["bob", PREFIX + "bob"]


def test_sign_out_ends_every_session_of_the_user_only(users_cli, store):
    for name in ("alice", "bob"):
        assert users_cli("add", name, "--password-stdin", stdin=PASSWORD).status == 0
        user = store.get(name)
        for device in ("phone", "laptop"):
            store.start_session(user, f"{int(time.time())}.{device}", expired_before=0)
    run = users_cli("sign-out", "alice")
    assert (run.status, run.out) == (0, "signed alice out everywhere: every session of theirs has ended\n")
    assert store.get("alice").sessions == frozenset()
    assert len(store.get("bob").sessions) == 2
    assert store.authenticate("alice", PASSWORD) is not None  # the password stays


def test_sign_out_of_someone_who_is_not_a_user_fails_and_makes_no_item(users_cli, store):
    run = users_cli("sign-out", "bob")
    assert (run.status, run.err) == (1, "error: there is no user 'bob'\n")
    assert items(store) == []


def test_remove_of_someone_who_is_not_a_user_fails(users_cli, store):
    run = users_cli("remove", "bob")
    assert (run.status, run.err) == (1, "error: there is no user 'bob'\n")


def test_remove_and_set_password_refuse_what_is_not_a_user_name(users_cli, store):
    Lockouts(store.table_name, store.client).attempt("alice", time.time())
    assert users_cli("remove", PREFIX + "alice").status == 1
    assert users_cli("set-password", PREFIX + "alice", "--password-stdin", stdin=PASSWORD).status == 1
    assert users_cli("sign-out", PREFIX + "alice").status == 1
    for call in (
        lambda: users.remove_user(store, PREFIX + "alice"),
        lambda: users.set_password(store, PREFIX + "alice", PASSWORD),
        lambda: users.sign_out_user(store, PREFIX + "alice"),
    ):
        with pytest.raises(users.UsersError, match="user name 'lockout#alice'"):  # called directly too
            call()
    (lockout,) = items(store)  # the lockout item is not a user: left as it was
    assert lockout[UsersTable.KEY]["S"] == PREFIX + "alice"
    assert "password_hash" not in lockout


# --- which stack -------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [("list",), ("add", "alice", "--password-stdin"), ("remove", "alice")])
def test_a_stack_without_a_users_table_says_to_redeploy(users_cli, local_outputs, argv):
    del local_outputs["users_table"]
    run = users_cli(*argv, stdin=PASSWORD)
    assert (run.status, run.err) == (1, "error: the stack has no users table: redeploy with python -m harness up\n")


def test_stack_chooses_which_local_stack(users_cli, store):
    # the fixture's stack_outputs knows only the default stack; another one has no users table
    assert users_cli("list", "--stack", "other").err == f"error: {users.NO_USERS_TABLE}\n"
    assert users_cli("list", "--stack", cli.DEFAULT_STACK).status == 0


@pytest.fixture
def aws(mocked_aws: None) -> Callable[[str], UserStore]:
    """AWS (in-process moto; region us-east-1 from the environment): a users table in a region."""

    def table_in(region: str) -> UserStore:
        client = boto3.client("dynamodb", region_name=region)
        create_users_table(client, "imagepipe-prod-users")
        return UserStore("imagepipe-prod-users", client)

    return table_in


def write_outputs(tmp_path: Path, outputs: Any) -> str:
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(outputs))
    return str(path)


def test_an_outputs_file_names_the_aws_stack_and_its_region(users_cli, aws, tmp_path):
    prod = aws("eu-west-1")  # not the environment's region: only the file says where it is
    outputs = write_outputs(tmp_path, {"users_table": "imagepipe-prod-users", "region": "eu-west-1", "api_url": "x"})
    run = users_cli("add", "rita", "--password-stdin", "--role", "reviewer", "--outputs", outputs, stdin=PASSWORD)
    assert (run.status, run.err) == (0, "")
    assert prod.authenticate("rita", PASSWORD) == User("rita", "reviewer", None)
    assert users_cli("list", "--outputs", outputs).out.splitlines()[1:] == ["rita  reviewer  -"]


def test_an_outputs_file_without_region_uses_the_callers_region(users_cli, aws, tmp_path):
    prod = aws("us-east-1")
    outputs = write_outputs(tmp_path, {"users_table": "imagepipe-prod-users"})
    assert users_cli("add", "alice", "--password-stdin", "--outputs", outputs, stdin=PASSWORD).status == 0
    assert prod.get("alice") == User("alice", "photographer", None)


def test_an_outputs_file_whose_table_is_not_in_the_region_says_so(users_cli, aws, tmp_path):
    aws("us-east-1")
    outputs = write_outputs(tmp_path, {"users_table": "imagepipe-prod-users", "region": "eu-west-1"})
    run = users_cli("list", "--outputs", outputs)
    assert run.status == 1
    assert run.err.startswith("error: there is no table 'imagepipe-prod-users' in eu-west-1 at https://dynamodb.")


@pytest.mark.parametrize(
    ("outputs", "says"),
    [
        ({"images_table": "imagepipe-prod-images"}, "has no users_table output: the stack has no users table"),
        ({"users_table": "t", "endpoint_url": "http://127.0.0.1:4566"}, "describes a stack in an emulator"),
        ({"users_table": "t", "region": ""}, "region '' is not a region name"),
        (["users_table"], "is not a JSON object of stack outputs"),
    ],
)
def test_an_outputs_file_that_does_not_describe_an_aws_stack_with_users_is_refused(
    users_cli, aws, tmp_path, outputs, says
):
    path = write_outputs(tmp_path, outputs)
    run = users_cli("add", "alice", "--password-stdin", "--outputs", path, stdin=PASSWORD)
    assert run.status == 1
    assert run.err.startswith("error: ")
    assert says in run.err
    assert run.err.count("\n") == 1


def test_an_outputs_file_that_is_missing_or_not_json_is_refused(users_cli, tmp_path):
    missing = tmp_path / "missing.json"
    assert users_cli("list", "--outputs", str(missing)).err.startswith(f"error: cannot read the outputs file {missing}")
    garbled = tmp_path / "garbled.json"
    garbled.write_text("users_table: t")
    assert users_cli("list", "--outputs", str(garbled)).err.startswith(f"error: {garbled} is not JSON")


def test_without_any_region_the_outputs_file_path_says_where_to_set_one(users_cli, mocked_aws, tmp_path, monkeypatch):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    outputs = write_outputs(tmp_path, {"users_table": "imagepipe-prod-users"})
    run = users_cli("list", "--outputs", outputs)
    assert (run.status, run.err) == (1, f"error: no AWS region: {outputs} has no `region` and the AWS configuration "
                                        "none (set AWS_REGION, or a region in ~/.aws/config)\n")  # fmt: skip


def test_without_aws_credentials_the_outputs_file_path_says_so(users_cli, aws, tmp_path, monkeypatch):
    aws("eu-west-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # nor an instance role
    outputs = write_outputs(tmp_path, {"users_table": "imagepipe-prod-users", "region": "eu-west-1"})
    run = users_cli("add", "alice", "--password-stdin", "--outputs", outputs, stdin=PASSWORD)
    assert run.status == 1
    assert run.err.startswith("error: no AWS credentials: boto3 found none")


# --- at a terminal -----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_at_a_terminal_the_password_is_typed_twice_without_echo():
    typed = iter([PASSWORD, PASSWORD])
    assert users.read_password(Terminal(), prompt=lambda _: next(typed)) == PASSWORD
    typed = iter([PASSWORD, OTHER_PASSWORD])
    with pytest.raises(users.UsersError, match="the two passwords typed differ"):
        users.read_password(Terminal(), prompt=lambda _: next(typed))
