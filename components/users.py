"""Users: who may sign in to the web tier, and the key that signs their sessions."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from handlers.contract import UsersTable


@dataclass(frozen=True)
class UsersArgs:
    """The users table's name, the session key secret's name, and how long a deleted secret can
    be restored (0: deleted at once, for stacks torn down and made again; otherwise 7 to 30 days)."""

    table_name: str
    session_secret_name: str


class Users(pulumi.ComponentResource):
    """The users table (keyed by user name; its sign-in failure counts expire by TTL) and the
    Secrets Manager secret holding the session key.

    The stack creates the secret without a value: the web function makes the key in it on its first
    use (`handlers.web.session_key`), so the key is never in code, in config, or in the stack's state.
    """

    table: aws.dynamodb.Table
    session_secret: aws.secretsmanager.Secret

    def __init__(self, name: str, args: UsersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:web:Users", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=args.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=UsersTable.KEY,
            attributes=[aws.dynamodb.TableAttributeArgs(name=UsersTable.KEY, type="S")],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=UsersTable.EXPIRES, enabled=True),
            opts=child,
        )
        self.session_secret = aws.secretsmanager.Secret(
            f"{name}-session-key",
            name=args.session_secret_name,
            description="The key that signs the web tier's session cookies and list cursors",
            # Deleted at once, never kept for recovery: Secrets Manager holds a deleted secret's name
            # for its whole recovery window (7 to 30 days), so `pulumi destroy` then `up` with the
            # same prefix would fail here until it ran out; and a deleted key is worth nothing to
            # recover (the web function makes a new one on first use; sessions begin anew).
            recovery_window_in_days=0,
            opts=child,
        )

        self.table_name = self.table.name
        self.table_arn = self.table.arn
        self.session_secret_arn = self.session_secret.arn
        self.register_outputs({"table_name": self.table_name, "session_secret_arn": self.session_secret_arn})
