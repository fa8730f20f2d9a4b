"""A role's identity policies, read from IAM as deployed, and whether they allow a `Need` (IAM's
logic: harness/permissions/evaluation.py; a role's policies are one set of statements, since an
explicit deny in any of them wins and an allow in any of them allows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.permissions.evaluation import Request, decide, statements_of
from harness.permissions.needs import Need


@dataclass(frozen=True)
class RolePolicies:
    """Every statement of a role's identity policies (inline and attached)."""

    role: str
    statements: tuple[Mapping[str, Any], ...]

    @classmethod
    def read(cls, iam: Any, role_name: str) -> RolePolicies:
        """The policies IAM holds for `role_name` (`iam`: a boto3 IAM client)."""
        documents = []
        for name in _all(iam.get_paginator("list_role_policies"), "PolicyNames", RoleName=role_name):
            documents.append(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
        for attached in _all(iam.get_paginator("list_attached_role_policies"), "AttachedPolicies", RoleName=role_name):
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            documents.append(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])
        return cls(role_name, tuple(statement for document in documents for statement in statements_of(document)))

    def allows(self, need: Need) -> bool:
        """True if a statement allows `need` and none denies it (PolicyOutsideModel if one cannot be read)."""
        return decide(self.statements, Request(need.action, need.resource, context=need.conditions)).allowed


def _all(paginator: Any, key: str, **kwargs: Any) -> Iterable[Any]:
    for page in paginator.paginate(**kwargs):
        yield from page[key]
