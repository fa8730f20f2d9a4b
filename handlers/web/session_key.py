"""The key that signs sessions and cursors, kept in Secrets Manager.

The stack creates the secret empty (components/users.py); the first web function to need the key
makes it: 64 URL-safe characters (48 random bytes), stored as the secret's first version under a
fixed client request token. Instances starting together race to store theirs; Secrets Manager keeps
the first, refuses the others (the token is taken with another value), and every instance then
reads the one kept. So the key is
never in code, in config, or in the deployment's state, and rotating it is putting a new version.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

FIRST_VERSION = "imagepipe-session-key-first-version-0001"
"""The client request token of the key made on first use (32 to 64 characters, as Secrets Manager asks)."""
KEY_BYTES = 48


def session_key(client: SecretsManagerClient, secret_arn: str) -> bytes:
    """The secret's current value (its UTF-8 bytes are the key), made first if it has none yet."""
    key = _current(client, secret_arn)
    if key is None:
        made = secrets.token_urlsafe(KEY_BYTES)
        # Refused when another instance stored its key first: that one is the key.
        with contextlib.suppress(client.exceptions.ResourceExistsException):
            client.put_secret_value(SecretId=secret_arn, ClientRequestToken=FIRST_VERSION, SecretString=made)
        key = _current(client, secret_arn)
        if key is None:
            raise RuntimeError(f"the session key secret {secret_arn} has no current value after one was stored")
    return key


def _current(client: SecretsManagerClient, secret_arn: str) -> bytes | None:
    try:
        value = client.get_secret_value(SecretId=secret_arn)
    except client.exceptions.ResourceNotFoundException:
        client.describe_secret(SecretId=secret_arn)  # raises again when the secret itself is missing
        return None  # the secret exists, without a value yet
    text = value.get("SecretString")
    return text.encode() if text else None
