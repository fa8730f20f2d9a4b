"""IAM: roles and their inline policies."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from harness.deploy.inputs import Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord


@dataclass(frozen=True)
class RoleSpec:
    """A role (at path /): its name, trust policy (a JSON document) and description."""

    name: str
    trust: str
    description: str


class Role(Provisioner[RoleSpec]):
    type_token = "aws:iam/role:Role"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> RoleSpec:
        role = physical_name(inputs, name, previous)
        spec = RoleSpec(role, inputs.take("assumeRolePolicy"), inputs.take("description", ""))
        inputs.ignore("path", "/")
        return spec

    def apply(self, ctx: Context, spec: RoleSpec, previous: ResourceRecord | None) -> Applied:
        role, trust, description = spec.name, spec.trust, spec.description
        iam = ctx.client("iam")
        if previous is not None and previous.id != role:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            created = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust, Description=description)["Role"]
        else:
            iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust)
            iam.update_role(RoleName=role, Description=description)
            created = iam.get_role(RoleName=role)["Role"]
        return Applied(role, {"name": role, "arn": created["Arn"], "uniqueId": created["RoleId"]})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        iam = ctx.client("iam")
        for policy in iam.list_role_policies(RoleName=record.id)["PolicyNames"]:
            iam.delete_role_policy(RoleName=record.id, PolicyName=policy)
        iam.delete_role(RoleName=record.id)


@dataclass(frozen=True)
class RolePolicySpec:
    """A role's inline policy: the role's name, the policy's, and its document (JSON)."""

    role: str
    name: str
    document: str


class RolePolicy(Provisioner[RolePolicySpec]):
    type_token = "aws:iam/rolePolicy:RolePolicy"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> RolePolicySpec:
        role = inputs.take("role")
        return RolePolicySpec(role, physical_name(inputs, name, previous), inputs.take("policy"))

    def apply(self, ctx: Context, spec: RolePolicySpec, previous: ResourceRecord | None) -> Applied:
        role, policy_name, document = spec.role, spec.name, spec.document
        if previous is not None and previous.id != f"{role}:{policy_name}":
            self.delete(ctx, previous)
        ctx.client("iam").put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=document)
        return Applied(f"{role}:{policy_name}", {"name": policy_name, "role": role, "policy": document})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        iam = ctx.client("iam")
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):  # gone with its role (a replaced one)
            iam.delete_role_policy(RoleName=record.outputs["role"], PolicyName=record.outputs["name"])
