"""Every route of the `events` topic, as data, in one place, and a small model of how SNS matches them.

The topic carries three kinds of message: S3's upload events (no message attributes, so their routes
filter the body), metadata commands (message attribute `metadata_type`) and review commands (body
`{"update": {"status": ...}}`). Each route is one subscription of one stage's queue:

- `UPLOADS_CREATED` → ingest, `UPLOADS_REMOVED` → removal: S3 events by event name, delivered raw;
- `METADATA_COMMANDS` → metadata: every message carrying the attribute, whatever its value, so an
  unknown type still reaches the function and is rejected with a reason instead of being dropped;
- `REVIEW_COMMANDS` → review: every body with an `update.status`, whatever its value, validated by
  the function.

The command routes are delivered in the SNS envelope (not raw): the functions order commands by its
`Timestamp` and recognise redeliveries by its `MessageId`.

`matches` is the model of SNS filter matching for exactly the operators these policies and the alert
mail filter (components/alarms.py) use (exact strings, `prefix`, `exists`, `$or`), as AWS documents
them; the unit tests hold it to the routes' intent and to moto. Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from handlers.contract import METADATA_TYPE

Scope = Literal["MessageBody", "MessageAttributes"]


@dataclass(frozen=True)
class Route:
    """One subscription of the events topic: the stage it feeds (its queue is `<prefix>-<name>`), the
    filter policy and its scope, and whether delivery is raw (the message alone, no SNS envelope)."""

    name: str
    filter_policy: Mapping[str, Any]
    scope: Scope
    raw_message_delivery: bool

    def policy_json(self) -> str:
        """The filter policy as the subscription is given it."""
        return json.dumps(self.filter_policy, sort_keys=True)


UPLOADS_CREATED: Final = Route(
    name="ingest",
    filter_policy={"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}},
    scope="MessageBody",
    raw_message_delivery=True,
)
UPLOADS_REMOVED: Final = Route(
    name="removal",
    filter_policy={"Records": {"eventName": [{"prefix": "ObjectRemoved:"}]}},
    scope="MessageBody",
    raw_message_delivery=True,
)
METADATA_COMMANDS: Final = Route(
    name="metadata",
    filter_policy={METADATA_TYPE: [{"exists": True}]},
    scope="MessageAttributes",
    raw_message_delivery=False,
)
REVIEW_COMMANDS: Final = Route(
    name="review",
    filter_policy={"update": {"status": [{"exists": True}]}},
    scope="MessageBody",
    raw_message_delivery=False,
)
ROUTES: Final = (UPLOADS_CREATED, UPLOADS_REMOVED, METADATA_COMMANDS, REVIEW_COMMANDS)


# The model. Semantics, from AWS's SNS documentation (message filtering, key matching, policy
# constraints), for the operators above only:
# - a policy matches when every one of its keys does; a key matches when any of its rules matches
#   any of the message's values for that key;
# - rules: a string matches an equal string; {"prefix": p} a string starting with p; {"exists": true}
#   a key with at least one non-null leaf value; {"exists": false} one without (in attribute scope
#   only when the message has some attribute: an empty set of attributes matches nothing);
# - attribute scope reads message attributes (DataType String; other types are outside the model);
# - body scope needs a body that is a JSON object (anything else matches no body policy); a nested
#   policy key walks into nested objects; arrays are transparent (a key inside an array of objects
#   has the values of every element, e.g. Records[*].eventName); `exists` sees leaves only, so a key
#   whose value is an object, an empty array or null does not exist for it;
# - `"$or": [policy, policy, ...]` (two or more objects, none with a reserved word for a key) matches
#   when any of its policies does, read at the level it stands; anything else named `$or` is outside
#   the model (SNS would take it for a key).

_MISSING: Final = object()


def matches(route: Route, body: str, attributes: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether SNS delivers a message with this body and these attributes (as `Publish` takes them:
    name → {"DataType", "StringValue"}) to the route's subscription."""
    return policy_matches(route.filter_policy, route.scope, body, attributes)


def policy_matches(
    policy: Mapping[str, Any], scope: Scope, body: str, attributes: Mapping[str, Mapping[str, Any]]
) -> bool:
    """Whether SNS delivers a message with this body and these attributes to a subscription with this
    filter policy and scope."""
    if scope == "MessageAttributes":
        return _attributes_match(policy, attributes)
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return isinstance(document, dict) and _body_matches(policy, document, ())


def routes_for(body: str, attributes: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """The names of the routes a message reaches."""
    return frozenset(route.name for route in ROUTES if matches(route, body, attributes))


def _attributes_match(policy: Mapping[str, Any], attributes: Mapping[str, Mapping[str, Any]]) -> bool:
    for key, rules in policy.items():
        if key == "$or":
            if not any(_attributes_match(branch, attributes) for branch in _branches(rules)):
                return False
            continue
        attribute = attributes.get(key)
        if attribute is not None and attribute.get("DataType") != "String":
            raise ValueError(f"attribute {key!r} of type {attribute.get('DataType')!r} is outside the model")
        values = [] if attribute is None else [attribute["StringValue"]]
        if not any(_rule_matches(rule, values, has_any=bool(attributes)) for rule in _rules(key, rules)):
            return False
    return True


def _body_matches(policy: Mapping[str, Any], document: dict[str, Any], path: tuple[str, ...]) -> bool:
    for key, rules in policy.items():
        if key == "$or":
            if not any(_body_matches(branch, document, path) for branch in _branches(rules)):
                return False
        elif isinstance(rules, Mapping):
            if not _body_matches(rules, document, (*path, key)):
                return False
        elif not any(_rule_matches(rule, _leaves(document, (*path, key)), has_any=True) for rule in _rules(key, rules)):
            return False
    return True


def _branches(rules: Any) -> list[Mapping[str, Any]]:
    """The policies of an `$or`, as SNS recognises the operator."""
    if not (isinstance(rules, list) and len(rules) >= 2 and all(isinstance(branch, Mapping) for branch in rules)):
        raise ValueError(f"an $or of {rules!r} is outside the model (SNS reads it as a key named $or)")
    return rules


def _rules(key: str, rules: Any) -> list[Any]:
    if not isinstance(rules, list):
        raise ValueError(f"the rules of {key!r} are not a list: {rules!r}")
    return rules


def _leaves(node: Any, path: tuple[str, ...]) -> list[Any]:
    """The leaf values at `path`, arrays flattened on the way and at the end; objects are no leaves."""
    if isinstance(node, list):
        return [leaf for element in node for leaf in _leaves(element, path)]
    if not path:
        return [] if isinstance(node, dict) else [node]
    if isinstance(node, dict):
        child = node.get(path[0], _MISSING)
        return [] if child is _MISSING else _leaves(child, path[1:])
    return []


def _rule_matches(rule: Any, values: list[Any], *, has_any: bool) -> bool:
    if isinstance(rule, str):
        return rule in [value for value in values if isinstance(value, str)]
    if isinstance(rule, Mapping) and len(rule) == 1:
        ((operator, operand),) = rule.items()
        if operator == "prefix" and isinstance(operand, str):
            return any(isinstance(value, str) and value.startswith(operand) for value in values)
        if operator == "exists" and isinstance(operand, bool):
            present = any(value is not None for value in values)
            return present if operand else (not present and has_any)
    raise ValueError(f"filter rule {rule!r} is outside the model")
