"""Alarms in the deployed stack: a function that fails tells the alerts topic.

An alarm is the whole stack's, not one test's: this test waits until the alarm is quiet, then takes
only a change to ALARM that happened after its own failure was sent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from harness.polling import wait_until


def _when(value: str) -> datetime:
    """An alarm message's time (ISO 8601, with or without its zone; UTC when without)."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def test_a_failing_invocation_raises_its_functions_alarm_on_the_alerts_topic(stack, tap):
    function = stack.outputs["ingest_function"]
    cloudwatch, sqs = stack.target.client("cloudwatch"), stack.target.client("sqs")
    (name,) = [
        a["AlarmName"]
        for a in cloudwatch.describe_alarms()["MetricAlarms"]
        if a.get("MetricName") == "Errors" and a.get("Dimensions") == [{"Name": "FunctionName", "Value": function}]
    ]
    assert name.endswith("-ingest-errors")
    received = tap("alerts_topic_arn")
    wait_until(
        lambda: cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] != "ALARM",
        timeout=60,
        what=f"{name} to be quiet before the test fails ingest",
    )

    sent = datetime.now(UTC) - timedelta(seconds=1)  # the alarm's clock keeps whole seconds at worst
    # Not an S3 event: ingest fails the whole batch, which Lambda counts as an error.
    sqs.send_message(
        QueueUrl=stack.outputs["ingest_queue_url"], MessageBody=f"this is not an S3 event ({uuid.uuid4().hex[:8]})"
    )

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
        a
        for a in cloudwatch.describe_alarms()["MetricAlarms"]
        if a.get("Namespace") == "AWS/ApiGateway" and a.get("MetricName") == "5XXError"
    ]
    name, dimensions = alarm["AlarmName"], alarm["Dimensions"]
    assert {d["Name"] for d in dimensions} == {"ApiName", "Stage"}
    received = tap("alerts_topic_arn")
    wait_until(
        lambda: cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] != "ALARM",
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
