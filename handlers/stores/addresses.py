"""Whose mail goes where: an owner's address, as the notify stage looks it up in the users table.

First the address a user of the web tier gave (their own item, by user name), then the one the stack
lists for the owner (`imagepipe:ownerEmails`, which the program writes into the same table as one
item per owner, keyed `owner#<owner>`: no size limit bites, as it would in the function's
environment). Both are read at each notice, so a changed address takes effect at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.contract import UsersTable
from handlers.stores.user_store import UserStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def owner_address_key(owner: str) -> dict[str, dict[str, str]]:
    """The key of the item holding the stack's address for `owner`."""
    return {UsersTable.KEY: {"S": f"{UsersTable.OWNER_ADDRESS}{owner}"}}


class AddressBook:
    """Owners' addresses in one users table, through a boto3 DynamoDB client."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self.client = client
        self.users = UserStore(table_name, client)

    def address_of(self, owner: str) -> str | None:
        """The user's own address, else the stack's for the owner, else None (not mailed)."""
        user = self.users.get(owner)
        if user is not None and user.email:
            return user.email
        item = self.client.get_item(TableName=self.table_name, Key=owner_address_key(owner)).get("Item", {})
        address = item.get(UsersTable.EMAIL, {}).get("S")
        return address or None
