"""IAM: roles, their inline policies and managed policies attached, and instance profiles."""

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
        for attached in iam.list_attached_role_policies(RoleName=record.id)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=record.id, PolicyArn=attached["PolicyArn"])
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


@dataclass(frozen=True)
class RolePolicyAttachmentSpec:
    """A managed policy (by ARN; AWS's own, such as Session Manager's) attached to a role."""

    role: str
    policy_arn: str


class RolePolicyAttachment(Provisioner[RolePolicyAttachmentSpec]):
    type_token = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> RolePolicyAttachmentSpec:
        return RolePolicyAttachmentSpec(inputs.take("role"), inputs.take("policyArn"))

    def apply(self, ctx: Context, spec: RolePolicyAttachmentSpec, previous: ResourceRecord | None) -> Applied:
        if previous is not None:
            self.delete(ctx, previous)
        ctx.client("iam").attach_role_policy(RoleName=spec.role, PolicyArn=spec.policy_arn)
        return Applied(f"{spec.role}-{spec.policy_arn}", {"role": spec.role, "policyArn": spec.policy_arn})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        iam = ctx.client("iam")
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):  # gone with its role
            iam.detach_role_policy(RoleName=record.outputs["role"], PolicyArn=record.outputs["policyArn"])


@dataclass(frozen=True)
class InstanceProfileSpec:
    """An instance profile (at path /) and the one role it passes to an instance."""

    name: str
    role: str


class InstanceProfile(Provisioner[InstanceProfileSpec]):
    type_token = "aws:iam/instanceProfile:InstanceProfile"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> InstanceProfileSpec:
        inputs.ignore("path", "/")
        return InstanceProfileSpec(physical_name(inputs, name, previous, max_length=128), inputs.take("role"))

    def apply(self, ctx: Context, spec: InstanceProfileSpec, previous: ResourceRecord | None) -> Applied:
        iam = ctx.client("iam")
        if previous is not None and previous.id != spec.name:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            iam.create_instance_profile(InstanceProfileName=spec.name)
        elif previous.outputs["role"] != spec.role:
            iam.remove_role_from_instance_profile(InstanceProfileName=spec.name, RoleName=previous.outputs["role"])
        if previous is None or previous.outputs["role"] != spec.role:
            iam.add_role_to_instance_profile(InstanceProfileName=spec.name, RoleName=spec.role)
        profile = iam.get_instance_profile(InstanceProfileName=spec.name)["InstanceProfile"]
        return Applied(
            spec.name,
            {"name": spec.name, "role": spec.role, "arn": profile["Arn"], "uniqueId": profile["InstanceProfileId"]},
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        iam = ctx.client("iam")
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):  # its role was removed with the role
            iam.remove_role_from_instance_profile(InstanceProfileName=record.id, RoleName=record.outputs["role"])
        iam.delete_instance_profile(InstanceProfileName=record.id)
