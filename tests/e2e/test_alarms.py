"""Alarms in the deployed stack: a function that fails, or a share of server errors, tells the alerts
topic; the alert address is mailed when an alarm goes to ALARM and when it recovers, and nothing for
a deploy (every new alarm's first evaluation, INSUFFICIENT_DATA → OK, used to mail an "OK" each).

An alarm is the whole stack's, not one test's: a test waits until its alarm is quiet, then takes only
changes that happened after it acted. The alert mail is what the emulator's SNS e-mail subscription
handed its SES (harness/notice_tap.py, `alarm_mail`); the deploy's is checked on the session's
emulator, which the session deploys once (a fresh emulator unless IMAGEPIPE_ENDPOINT or a running
one on IMAGEPIPE_PORT is reused)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from harness.deploy import Project
from harness.notice_tap import alarm_mail
from harness.polling import wait_until
from tests.stack_fixtures import ROOT


def _when(value: str) -> datetime:
    """An alarm message's time (ISO 8601, with or without its zone; UTC when without)."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _alert_address(stack) -> str:
    """The stack's first alert address (`imagepipe:alertEmails`)."""
    return json.loads(Project(ROOT).stack_config(stack.name)["imagepipe:alertEmails"])[0]


def _alert_mail(stack):
    """`mail()`: the alarm notifications mailed to the stack's alert address so far, oldest first."""
    endpoint, address = stack.outputs["endpoint_url"], _alert_address(stack)
    sandbox = stack.target if stack.outputs.get("ses_sandbox") else None

    def mail() -> list[dict]:
        found = alarm_mail(endpoint, address, sandbox)
        assert found is not None, f"the endpoint {endpoint} keeps no mail (GET /_aws/ses)"
        return found

    return mail


def _stack_alarms(stack) -> list[dict]:
    """The stack's alarms: those whose actions tell its alerts topic."""
    pages = stack.target.client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    topic = stack.outputs["alerts_topic_arn"]
    return [a for page in pages for a in page["MetricAlarms"] if topic in a.get("AlarmActions", [])]


def _state(cloudwatch, name: str) -> str:
    return cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]


def _changes(cloudwatch, name: str) -> list[tuple[str, str]]:
    """The alarm's state changes so far, as (old, new), from its history."""
    items = cloudwatch.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    changes = [json.loads(item["HistoryData"]) for item in items]
    return [(change["oldState"]["stateValue"], change["newState"]["stateValue"]) for change in changes]


def test_a_deploy_mails_the_alerts_address_nothing(stack):
    cloudwatch, mail = stack.target.client("cloudwatch"), _alert_mail(stack)
    # The emulator evaluates alarms on one metric by a plain statistic (not percentiles, not metric
    # math); each evaluates once when created (within a period on AWS), most of them to OK.
    evaluated = {a["AlarmName"] for a in _stack_alarms(stack) if a.get("Statistic")}
    assert len(evaluated) >= 20, sorted(evaluated)
    evaluations = "the deploy's alarms to evaluate"
    wait_until(lambda: all(_changes(cloudwatch, name) for name in evaluated), timeout=60, what=evaluations)
    changes = {name: _changes(cloudwatch, name) for name in evaluated}
    # What used to mail an "OK" each happened: the first evaluations (INSUFFICIENT_DATA → OK), and
    # for most alarms nothing since.
    never_alarmed = {name for name, seen in changes.items() if seen == [("INSUFFICIENT_DATA", "OK")]}
    assert len(never_alarmed) >= len(evaluated) // 2, changes
    time.sleep(2)  # SNS has had the time to mail them
    # The alert address got none of it: every mail it got is an alarm's change into ALARM or out of
    # it (driven by a test, or a failure in the pipeline), none a first evaluation.
    mailed = mail()
    assert [m for m in mailed if (m["OldStateValue"], m["NewStateValue"]) == ("INSUFFICIENT_DATA", "OK")] == []
    assert all("ALARM" in (m["OldStateValue"], m["NewStateValue"]) for m in mailed), mailed
    assert [m["AlarmName"] for m in mailed if m["AlarmName"] in never_alarmed] == []


def test_a_parked_message_mails_the_alert_address_once_and_its_removal_once_more(stack):
    # The removal stage's dead-letter queue: a message parked there raises its `parked` alarm; taking
    # it away (as a redrive does) recovers it. Two mails, and no more while it stays so.
    cloudwatch, sqs, mail = stack.target.client("cloudwatch"), stack.target.client("sqs"), _alert_mail(stack)
    (alarm,) = [
        a
        for a in _stack_alarms(stack)
        if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and a["Dimensions"][0]["Value"].endswith("-removal-dlq")
    ]
    name, period = alarm["AlarmName"], alarm["Period"]
    queue = sqs.get_queue_url(QueueName=alarm["Dimensions"][0]["Value"])["QueueUrl"]
    wait_until(lambda: _state(cloudwatch, name) == "OK", timeout=90, what=f"{name} to be quiet before the test")

    def since(moment: datetime) -> list[tuple[str, str]]:
        return [
            (m["OldStateValue"], m["NewStateValue"])
            for m in mail()
            if m["AlarmName"] == name and _when(m["StateChangeTime"]) >= moment
        ]

    sent = datetime.now(UTC) - timedelta(seconds=1)  # the alarm's clock keeps whole seconds at worst
    body = f"parked by {__name__} ({uuid.uuid4().hex[:8]})"
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    wait_until(lambda: ("OK", "ALARM") in since(sent), timeout=90, interval=1, what=f"{name}'s ALARM mail")

    def take_back() -> bool:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            if message["Body"] == body:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                return True
            sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        return False

    wait_until(take_back, timeout=30, what="the test's parked message to be taken back")
    wait_until(lambda: ("ALARM", "OK") in since(sent), timeout=120, interval=1, what=f"{name}'s recovery mail")
    time.sleep(3 * period + 5)  # three more evaluations, each with a fresh count of the queue
    assert since(sent) == [("OK", "ALARM"), ("ALARM", "OK")]
    assert _state(cloudwatch, name) == "OK"


def test_a_failing_invocation_raises_its_functions_alarm_on_the_alerts_topic(stack, tap):
    function = stack.outputs["ingest_function"]
    cloudwatch, lam = stack.target.client("cloudwatch"), stack.target.client("lambda")
    (name,) = [
        a["AlarmName"]
        for a in _stack_alarms(stack)
        if a.get("MetricName") == "Errors" and a.get("Dimensions") == [{"Name": "FunctionName", "Value": function}]
    ]
    assert name.endswith("-ingest-errors")
    received = tap("alerts_topic_arn")
    wait_until(
        lambda: _state(cloudwatch, name) != "ALARM", timeout=60, what=f"{name} to be quiet before the test fails ingest"
    )

    sent = datetime.now(UTC) - timedelta(seconds=1)  # the alarm's clock keeps whole seconds at worst
    # Not a batch of SQS messages: the function fails the invocation, which Lambda counts as an error.
    # Invoked directly, so that nothing is left to retry (a message on its queue would fail every
    # visibility timeout until parked, raising the alarm each time).
    answer = lam.invoke(FunctionName=function, Payload=json.dumps(f"not an SQS batch ({uuid.uuid4().hex[:8]})"))
    assert answer.get("FunctionError"), answer

    def raised():
        return [
            m
            for m, _ in received()
            if m["AlarmName"] == name and m["NewStateValue"] == "ALARM" and _when(m["StateChangeTime"]) >= sent
        ]

    (alarm,) = wait_until(raised, timeout=60, what="the ingest errors alarm")
    assert alarm["NewStateReason"]
    assert alarm["Trigger"]["MetricName"] == "Errors"
    assert alarm["Trigger"]["Dimensions"] == [{"name": "FunctionName", "value": function}]


def test_the_apis_share_of_server_errors_raises_its_alarm_on_the_alerts_topic(stack, tap):
    # API Gateway emits no metrics in the emulator: the test puts what AWS would for failing requests.
    cloudwatch = stack.target.client("cloudwatch")
    (alarm,) = [
        a for a in _stack_alarms(stack) if a.get("Namespace") == "AWS/ApiGateway" and a.get("MetricName") == "5XXError"
    ]
    name, dimensions = alarm["AlarmName"], alarm["Dimensions"]
    assert {d["Name"] for d in dimensions} == {"ApiName", "Stage"}
    received = tap("alerts_topic_arn")
    wait_until(
        lambda: _state(cloudwatch, name) != "ALARM",
        timeout=60,
        what=f"{name} to be quiet before the test reports server errors",
    )
    sent = datetime.now(UTC) - timedelta(seconds=1)
    # Four requests, one of them answered 5xx: a share of 25 %, over the 5 % limit.
    cloudwatch.put_metric_data(
        Namespace="AWS/ApiGateway",
        MetricData=[{"MetricName": "5XXError", "Dimensions": dimensions, "Value": v} for v in (0, 0, 1, 0)],
    )

    def raised():
        return [
            m
            for m, _ in received()
            if m["AlarmName"] == name and m["NewStateValue"] == "ALARM" and _when(m["StateChangeTime"]) >= sent
        ]

    (message,) = wait_until(raised, timeout=60, what="the API's 5xx alarm")
    assert message["Trigger"]["MetricName"] == "5XXError" and message["Trigger"]["Threshold"] == 0.05
