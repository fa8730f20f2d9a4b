"""Secrets Manager: secrets and their values (secret versions)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from harness.deploy.inputs import DeployError, Inputs, UnsupportedInput
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord

_CURRENT = "AWSCURRENT"


@dataclass(frozen=True)
class SecretSpec:
    """A secret: its name, its description, and the days its deletion waits (0: none)."""

    name: str
    description: str
    recovery_days: int


class Secret(Provisioner[SecretSpec]):
    """A secret without a value of its own (a SecretVersion gives it one). Its id is its ARN, as with
    the AWS provider. Deleting it honours `recoveryWindowInDays`: 0 deletes it at once, 7 to 30 (30
    when not declared) schedule the deletion, and the name stays taken until then, as on AWS."""

    type_token = "aws:secretsmanager/secret:Secret"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> SecretSpec:
        secret = physical_name(inputs, name, previous, max_length=512)
        description = inputs.take("description", "")
        recovery_days = inputs.take("recoveryWindowInDays", 30)
        inputs.ignore("forceOverwriteReplicaSecret", False)
        if recovery_days != 0 and not 7 <= recovery_days <= 30:
            raise DeployError(f"{inputs.where}: recoveryWindowInDays must be 0 or from 7 to 30, not {recovery_days}")
        return SecretSpec(secret, description, recovery_days)

    def apply(self, ctx: Context, spec: SecretSpec, previous: ResourceRecord | None) -> Applied:
        secret, description, recovery_days = spec.name, spec.description, spec.recovery_days
        secrets = ctx.client("secretsmanager")
        if previous is not None and previous.outputs["name"] != secret:
            self.delete(ctx, previous)  # a secret cannot be renamed
            previous = None
        if previous is None:
            arn = secrets.create_secret(Name=secret, Description=description)["ARN"]
        else:
            arn = previous.id
            secrets.update_secret(SecretId=arn, Description=description)
        return Applied(
            arn, {"arn": arn, "name": secret, "description": description, "recoveryWindowInDays": recovery_days}
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        days = record.outputs["recoveryWindowInDays"]
        window: dict[str, Any] = {"ForceDeleteWithoutRecovery": True} if days == 0 else {"RecoveryWindowInDays": days}
        ctx.client("secretsmanager").delete_secret(SecretId=record.id, **window)


@dataclass(frozen=True)
class SecretVersionSpec:
    """A secret's value, and the secret (its name or ARN)."""

    secret_id: str
    value: str = field(repr=False)


class SecretVersion(Provisioner[SecretVersionSpec]):
    """A secret's value (`secretString`). A new value is a new version, which becomes AWSCURRENT (the
    one before it AWSPREVIOUS); the same value applied again makes none. The value is never kept in
    the stack's state: whether it changed is read back from Secrets Manager."""

    type_token = "aws:secretsmanager/secretVersion:SecretVersion"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> SecretVersionSpec:
        for write_only in ("secretStringWo", "secretStringWoVersion"):
            if inputs.take(write_only, None) is not None:
                raise UnsupportedInput(
                    f"{inputs.where}: the replay deployer does not apply write-only input '{write_only}' "
                    "(declare secretString instead)"
                )
        spec = SecretVersionSpec(inputs.take("secretId"), inputs.take("secretString"))
        inputs.ignore("versionStages", [_CURRENT])
        return spec

    def apply(self, ctx: Context, spec: SecretVersionSpec, previous: ResourceRecord | None) -> Applied:
        secret_id, value = spec.secret_id, spec.value
        secrets = ctx.client("secretsmanager")
        secret_arn = secrets.describe_secret(SecretId=secret_id)["ARN"]
        if previous is not None and previous.outputs["secretArn"] == secret_arn and _holds(secrets, previous, value):
            version = previous.outputs["versionId"]
        else:
            if previous is not None and previous.outputs["secretArn"] != secret_arn:
                self.delete(ctx, previous)  # the value moves to another secret
            version = secrets.put_secret_value(SecretId=secret_arn, SecretString=value)["VersionId"]
        return Applied(
            f"{secret_arn}|{version}",
            {"arn": secret_arn, "secretArn": secret_arn, "secretId": secret_id, "versionId": version},
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        """As the AWS provider does: the version loses the stages it holds, except AWSCURRENT (a secret
        always has a current value), which stays until a newer value or the secret's deletion."""
        secrets = ctx.client("secretsmanager")
        version = record.outputs["versionId"]
        try:
            described = secrets.describe_secret(SecretId=record.outputs["secretArn"])
        except secrets.exceptions.ResourceNotFoundException:
            return  # gone with its secret
        if described.get("DeletedDate"):
            return  # its secret is scheduled for deletion
        for stage in described.get("VersionIdsToStages", {}).get(version, []):
            if stage != _CURRENT:
                with contextlib.suppress(secrets.exceptions.InvalidParameterException):
                    secrets.update_secret_version_stage(
                        SecretId=record.outputs["secretArn"], VersionStage=stage, RemoveFromVersionId=version
                    )


def _holds(secrets: Any, previous: ResourceRecord, value: str) -> bool:
    """Whether the version applied last time is still there, current, and holds `value`."""
    try:
        stored = secrets.get_secret_value(
            SecretId=previous.outputs["secretArn"], VersionId=previous.outputs["versionId"]
        )
    except secrets.exceptions.ResourceNotFoundException:
        return False
    return stored.get("SecretString") == value and _CURRENT in stored.get("VersionStages", [])
