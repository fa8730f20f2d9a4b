"""Users in their table: scrypt hashes, adding, authenticating, changing passwords, removing, listing."""

from __future__ import annotations

import pytest

from handlers.contract import REVIEWER, UsersTable
from handlers.stores.user_store import User, UserError, UserStore, hash_password, verify_password
from tests.unit.handlers.conftest import PASSWORD


@pytest.fixture(scope="module")
def real_hash() -> str:
    return hash_password(PASSWORD)


def test_a_hash_verifies_its_password_only(real_hash: str) -> None:
    assert real_hash.startswith("scrypt$16384$8$1$")
    assert verify_password(PASSWORD, real_hash)
    assert not verify_password(PASSWORD + "!", real_hash)
    assert PASSWORD not in real_hash


def test_the_same_password_hashes_differently_each_time(real_hash: str) -> None:
    assert hash_password(PASSWORD) != real_hash


def test_a_hash_of_another_cost_verifies_by_its_own(password_hash: str) -> None:
    assert password_hash.startswith("scrypt$1024$")
    assert verify_password(PASSWORD, password_hash) and not verify_password(PASSWORD + "!", password_hash)


@pytest.mark.parametrize("stored", ["", "bcrypt$x", "scrypt$1$2$3$!!$!!", "scrypt$abc$8$1$AAAA$AAAA"])
def test_a_malformed_hash_verifies_nothing(stored: str) -> None:
    assert not verify_password(PASSWORD, stored)


@pytest.mark.parametrize("password", ["short", "x" * 1025])
def test_a_password_too_short_or_too_long_is_refused(password: str) -> None:
    with pytest.raises(UserError, match="password"):
        hash_password(password)


def test_add_then_get(users: UserStore) -> None:
    user = users.add("bob", PASSWORD, role=REVIEWER, email="bob@example.com")
    assert user == User("bob", REVIEWER, "bob@example.com") and user.is_reviewer
    assert users.get("bob") == user
    assert users.add("carol", PASSWORD) == User("carol", "photographer", None)
    assert not users.get("carol").is_reviewer  # type: ignore[union-attr]


def test_add_refuses_a_taken_name(users: UserStore) -> None:
    with pytest.raises(UserError, match="exists already"):
        users.add("alice", PASSWORD)


@pytest.mark.parametrize("name", ["", "a", "Alice", "-bob", "bob smith", "lockout#bob", "x" * 64, None])
def test_add_refuses_a_bad_name(users: UserStore, name: str) -> None:
    with pytest.raises(UserError, match="user name"):
        users.add(name, PASSWORD)


def test_add_refuses_a_bad_role_email_or_password(users: UserStore) -> None:
    with pytest.raises(UserError, match="role"):
        users.add("bob", PASSWORD, role="admin")
    with pytest.raises(UserError, match="e-mail"):
        users.add("bob", PASSWORD, email="not an address")
    with pytest.raises(UserError, match="password"):
        users.add("bob", "short")
    assert users.get("bob") is None


def test_authenticate(users: UserStore) -> None:
    assert users.authenticate("alice", PASSWORD) == User("alice", "photographer", "alice@example.com")
    assert users.authenticate("alice", "wrong password") is None
    assert users.authenticate("nobody", PASSWORD) is None
    assert users.authenticate("Not A Name!", PASSWORD) is None


def test_set_password(users: UserStore) -> None:
    users.set_password("alice", "a new password here")
    assert users.authenticate("alice", "a new password here") is not None
    assert users.authenticate("alice", PASSWORD) is None
    with pytest.raises(UserError, match="no user"):
        users.set_password("nobody", "a new password here")
    with pytest.raises(UserError, match="password"):
        users.set_password("alice", "short")


def test_remove(users: UserStore) -> None:
    assert users.remove("alice") is True
    assert users.get("alice") is None and users.authenticate("alice", PASSWORD) is None
    assert users.remove("alice") is False


def test_list_is_by_name_and_only_users(users: UserStore) -> None:
    users.add("bob", PASSWORD)
    # sign-in failures live in the same table, under keys no user name can have
    users.client.put_item(
        TableName=users.table_name, Item={UsersTable.KEY: {"S": "lockout#zed"}, "failures": {"N": "1"}}
    )
    assert [u.username for u in users.list()] == ["alice", "bob", "rita"]
    assert users.get("lockout#zed") is None
