"""The IAM check: every AWS call made with a role's credentials in the emulator (which enforces no
IAM) judged against that role's policies as deployed, as AWS would judge it.

    check = PermissionCheck(target.client("iam"))
    refusals = check.refusals(CallLog(layout.role_calls(port)).read_new())

A refusal names the caller (the role's session: a Lambda function's name), the action and the
resource; a call the check cannot place or a policy it cannot evaluate is a refusal too, saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.permissions.calls import CallLog, RoleCall
from harness.permissions.evaluation import PolicyOutsideModel
from harness.permissions.needs import Need, Unplaceable, alternatives, needs
from harness.permissions.policies import RolePolicies

__all__ = ["CallLog", "PermissionCheck", "Refusal", "RoleCall"]


@dataclass(frozen=True)
class Refusal:
    """A call AWS would refuse (or one the check cannot judge, with why)."""

    call: RoleCall
    reason: str

    def __str__(self) -> str:
        return f"{self.call.caller} {self.reason}"


class PermissionCheck:
    """Judges calls against their roles' policies, read from `iam` (a boto3 IAM client) once per batch:
    the calls of the roles whose names start with `role_prefix` (a stack's; or one of several), in an account whose SES
    is in its sandbox or not."""

    def __init__(self, iam: Any, role_prefix: str | tuple[str, ...] = "", *, ses_sandbox: bool = False) -> None:
        self.iam = iam
        self.role_prefix = role_prefix
        self.ses_sandbox = ses_sandbox

    def refusals(self, calls: Iterable[RoleCall]) -> list[Refusal]:
        policies: dict[str, RolePolicies | str] = {}
        found: list[Refusal] = []
        seen: set[tuple[str, str, str]] = set()
        for call in calls:
            if not call.role_name.startswith(self.role_prefix):
                continue
            try:
                wanted = needs(call, ses_sandbox=self.ses_sandbox)
            except Unplaceable as error:
                found.append(Refusal(call, f"made a call the IAM check cannot judge: {error}"))
                continue
            for need in wanted:
                if (call.role, need.action, need.resource) in seen:
                    continue
                seen.add((call.role, need.action, need.resource))
                refusal = self._judge(call, need, policies)
                if refusal is not None:
                    found.append(refusal)
        return found

    def _judge(self, call: RoleCall, need: Need, policies: dict[str, RolePolicies | str]) -> Refusal | None:
        if call.role not in policies:
            try:
                policies[call.role] = RolePolicies.read(self.iam, call.role_name)
            except self.iam.exceptions.NoSuchEntityException:
                policies[call.role] = f"its role {call.role} is not in IAM"
        role = policies[call.role]
        if isinstance(role, str):
            return Refusal(call, f"called {need.action} on {need.resource}, but {role}")
        try:
            if any(role.allows(option) for option in alternatives(need)):
                return None
        except PolicyOutsideModel as error:
            return Refusal(call, f"called {need.action} on {need.resource}: {error}")
        return Refusal(
            call,
            f"is not allowed {need.action} on {need.resource} ({call.service}.{call.operation}): AWS refuses it",
        )
