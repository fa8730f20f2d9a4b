"""Alarms in the deployed stack: a function that fails tells the alerts topic."""

from __future__ import annotations

from harness.notice_tap import NoticeTap
from harness.polling import wait_until


def test_a_failing_invocation_raises_its_functions_alarm_on_the_alerts_topic(stack):
    sqs = stack.target.client("sqs")
    with NoticeTap(stack.target, stack.outputs["alerts_topic_arn"]) as tap:
        # Not an S3 event: ingest fails the whole batch, which Lambda counts as an error.
        sqs.send_message(QueueUrl=stack.outputs["ingest_queue_url"], MessageBody="this is not an S3 event")

        def raised():
            return [
                m
                for m, _ in tap.received()
                if m["AlarmName"].endswith("-ingest-errors") and m["NewStateValue"] == "ALARM"
            ]

        (alarm,) = wait_until(raised, timeout=60, what="the ingest errors alarm")
    assert alarm["NewStateReason"]
    assert alarm["Trigger"]["MetricName"] == "Errors"
    assert alarm["Trigger"]["Dimensions"] == [{"name": "FunctionName", "value": stack.outputs["ingest_function"]}]
