"""IAM's policy evaluation logic for one policy's statements, as AWS's policy reference gives it:

- an explicit `Deny` that applies wins; else an `Allow` that applies allows; else it is denied;
- a statement applies when its principal (resource policies; identity policies have none), action,
  resource and every condition match;
- principals: `"*"`, `{"Service": ...}`, `{"AWS": "*"}`; actions and resources with `*` and `?`
  wildcards (actions case-insensitively); `NotAction` and `NotResource`;
- conditions: the String*, Arn* and Bool operators, `Null`, each with `...IfExists`; keys are
  case-insensitive; a negated operator holds for a key the request does not have.

Anything else (`NotPrincipal`, `ForAnyValue:`, numeric or date operators…) is outside this model:
evaluating it raises `PolicyOutsideModel` rather than guessing. Used for the bucket policy the CDN
edge enforces (harness/edge/access.py) and for the roles' policies of the IAM check; its
condition-free decisions are held to moto's evaluator by a property test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final


class PolicyOutsideModel(ValueError):
    """The policy uses something this evaluator does not model."""


@dataclass(frozen=True)
class Request:
    """What IAM decides on: an action on a resource ARN, by a service principal (None: the caller is
    no service, or the policy is an identity policy), with the request's condition keys."""

    action: str
    resource: str
    service: str | None = None
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def statements_of(document: str | Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a policy document (JSON text or parsed)."""
    parsed = json.loads(document) if isinstance(document, str) else document
    statements = parsed.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def decide(statements: Sequence[Mapping[str, Any]], request: Request) -> Decision:
    """IAM's answer to `request` under one policy's `statements`."""
    applying = [s for s in statements if _applies(s, request)]
    denying = [s for s in applying if s.get("Effect") == "Deny"]
    if denying:
        return Decision(False, f"denied by statement {denying[0].get('Sid', '(no Sid)')!r}")
    allowing = [s for s in applying if s.get("Effect") == "Allow"]
    if allowing:
        return Decision(True, f"allowed by statement {allowing[0].get('Sid', '(no Sid)')!r}")
    return Decision(False, "no statement allows it")


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotPrincipal" in statement:
        raise PolicyOutsideModel("NotPrincipal is outside the model")
    return (
        ("Principal" not in statement or _principal_matches(statement["Principal"], request.service))
        and _listed(statement, "Action", request.action, case_sensitive=False)
        and _listed(statement, "Resource", request.resource, case_sensitive=True)
        and all(
            _condition_holds(operator, tests, request.context)
            for operator, tests in (statement.get("Condition") or {}).items()
        )
    )


def _principal_matches(principal: Any, service: str | None) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        raise PolicyOutsideModel(f"principal {principal!r} is outside the model")
    for kind, values in principal.items():
        values = [values] if isinstance(values, str) else list(values)
        if kind == "Service" and service is not None and service in values:
            return True
        if kind == "AWS" and "*" in values:
            return True
        if kind not in ("Service", "AWS", "CanonicalUser", "Federated"):
            raise PolicyOutsideModel(f"principal kind {kind!r} is outside the model")
    return False


def _listed(statement: Mapping[str, Any], key: str, value: str, *, case_sensitive: bool) -> bool:
    if key in statement:
        return any(wildcard_matches(p, value, case_sensitive=case_sensitive) for p in _strings(statement[key]))
    if f"Not{key}" in statement:
        return not any(
            wildcard_matches(p, value, case_sensitive=case_sensitive) for p in _strings(statement[f"Not{key}"])
        )
    return False


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def wildcard_matches(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` one; nothing else is special."""
    flags = 0 if case_sensitive else re.IGNORECASE
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, value, flags | re.DOTALL) is not None


def _equals(case_sensitive: bool) -> Callable[[str, str], bool]:
    return (lambda expected, actual: expected == actual) if case_sensitive else (lambda e, a: e.lower() == a.lower())


_POSITIVE: Final[dict[str, Callable[[str, str], bool]]] = {
    "StringEquals": _equals(True),
    "StringEqualsIgnoreCase": _equals(False),
    "StringLike": lambda pattern, actual: wildcard_matches(pattern, actual),
    "ArnEquals": _equals(True),
    "ArnLike": lambda pattern, actual: wildcard_matches(pattern, actual),
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
}
_NEGATED: Final = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(operator: str, tests: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    if ":" in operator:
        raise PolicyOutsideModel(f"condition operator {operator!r} (a set operator) is outside the model")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    for key, expected in tests.items():
        actual = _context_value(context, key)
        values = _strings(expected)
        if base == "Null":
            if (actual is None) != (values[0].lower() == "true"):
                return False
            continue
        if actual is None:
            if if_exists or base in _NEGATED:
                continue
            return False
        if base in _NEGATED:
            if any(_POSITIVE[_NEGATED[base]](value, actual) for value in values):
                return False
        elif base in _POSITIVE:
            if not any(_POSITIVE[base](value, actual) for value in values):
                return False
        else:
            raise PolicyOutsideModel(f"condition operator {operator!r} is outside the model")
    return True


def _context_value(context: Mapping[str, str], key: str) -> str | None:
    """Condition keys are case-insensitive."""
    wanted = key.lower()
    return next((value for name, value in context.items() if name.lower() == wanted), None)
