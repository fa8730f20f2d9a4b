"""The alert mail filter (components/alarms.py): of the state changes the alarms tell the alerts topic,
a person is mailed the changes into ALARM and out of it, never an alarm's first evaluation
(INSUFFICIENT_DATA → OK), which every new alarm makes on a deploy. The filter is a subscription's
filter policy on the message body, checked here with the model of SNS matching (components/routes.py)
against notifications shaped as CloudWatch publishes them (moto cannot: it reads an `$or` as one on
message attributes whatever the scope); the e2e suite holds LocalStack's e-mail subscriptions to the
same (tests/e2e/test_alarms.py)."""

from __future__ import annotations

import json
import re

import pytest

from components.alarms import ALERT_MAIL_FILTER, ALERT_MAIL_FILTER_SCOPE, alert_mail_filter_json
from components.routes import policy_matches
from tests.unit.components.conftest import ROOT

# (old state, new state) → mailed? The alarms have ALARM and OK actions only, so these are the
# changes the topic hears; the last two would be heard only with INSUFFICIENT_DATA actions.
TRANSITIONS = {
    ("INSUFFICIENT_DATA", "OK"): False,  # a new alarm's first evaluation: every deploy
    ("INSUFFICIENT_DATA", "ALARM"): True,  # a new alarm that is bad from the start
    ("OK", "ALARM"): True,
    ("ALARM", "OK"): True,  # the recovery
    ("ALARM", "INSUFFICIENT_DATA"): True,
    ("OK", "INSUFFICIENT_DATA"): False,
}


def _notification(old: str, new: str) -> str:
    """An alarm's notification as CloudWatch publishes it to a topic (the fields the filter reads, and
    some others)."""
    return json.dumps(
        {
            "AlarmName": f"imagepipe-dev-ingest-errors-{old}-{new}",
            "NewStateValue": new,
            "OldStateValue": old,
            "NewStateReason": "Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).",
            "StateChangeTime": "2026-12-05T12:00:00.000+0000",
            "Trigger": {"MetricName": "Errors", "Namespace": "AWS/Lambda", "Threshold": 1.0},
        }
    )


@pytest.mark.parametrize(("transition", "mailed"), TRANSITIONS.items())
def test_the_alert_filter_mails_exactly_the_changes_into_and_out_of_alarm(transition, mailed):
    old, new = transition
    assert policy_matches(ALERT_MAIL_FILTER, ALERT_MAIL_FILTER_SCOPE, _notification(old, new), {}) is mailed


def test_the_alert_filter_reads_the_body_not_attributes():
    # CloudWatch sets no message attributes: a policy on them would mail nothing at all.
    assert not policy_matches(ALERT_MAIL_FILTER, "MessageAttributes", _notification("OK", "ALARM"), {})
    assert not policy_matches(ALERT_MAIL_FILTER, ALERT_MAIL_FILTER_SCOPE, "ALARM: not a JSON body", {})
    assert json.loads(alert_mail_filter_json()) == ALERT_MAIL_FILTER


def test_the_filter_is_an_or_of_two_conditions_as_sns_recognises_it():
    # SNS reads "$or" as the operator only for an array of at least two objects, none of whose keys
    # is a reserved word; otherwise it is an attribute named "$or" and nothing would be mailed.
    (branches,) = ALERT_MAIL_FILTER.values()
    assert list(ALERT_MAIL_FILTER) == ["$or"] and isinstance(branches, list) and len(branches) >= 2
    assert all(isinstance(branch, dict) and set(branch) <= {"NewStateValue", "OldStateValue"} for branch in branches)
    assert ALERT_MAIL_FILTER_SCOPE == "MessageBody"


def test_the_readme_subscribes_an_operator_with_the_same_filter():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"aws sns subscribe .*?(?=\n```)", readme, flags=re.DOTALL)
    assert commands, "the README shows how an operator subscribes to the alerts topic"
    for command in commands:
        (attributes,) = re.findall(r"--attributes '(.*?)'", command, flags=re.DOTALL)
        given = json.loads(attributes)
        assert given["FilterPolicyScope"] == ALERT_MAIL_FILTER_SCOPE
        assert json.loads(given["FilterPolicy"]) == ALERT_MAIL_FILTER
