"""IAM: roles and their inline policies."""

from __future__ import annotations

import contextlib

from harness.deploy.inputs import Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord


class Role(Provisioner):
    type_token = "aws:iam/role:Role"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        role = physical_name(inputs, name, previous)
        trust = inputs.take("assumeRolePolicy")
        description = inputs.take("description", "")
        inputs.ignore("path", "/")
        inputs.check_all_taken()
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


class RolePolicy(Provisioner):
    type_token = "aws:iam/rolePolicy:RolePolicy"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        role = inputs.take("role")
        policy_name = physical_name(inputs, name, previous)
        document = inputs.take("policy")
        inputs.check_all_taken()
        if previous is not None and previous.id != f"{role}:{policy_name}":
            self.delete(ctx, previous)
        ctx.client("iam").put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=document)
        return Applied(f"{role}:{policy_name}", {"name": policy_name, "role": role, "policy": document})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        iam = ctx.client("iam")
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):  # gone with its role (a replaced one)
            iam.delete_role_policy(RoleName=record.outputs["role"], PolicyName=record.outputs["name"])
