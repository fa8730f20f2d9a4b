"""`status`: queues with messages visible, in flight and parked, the alarms of the stack (by the alerts
topic they tell) in their states, the functions' errors of the last hour, and the JSON's shape."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harness.ops import queues
from harness.ops.stack import Deployed
from harness.ops.status import (
    AlarmStatus,
    FunctionStatus,
    QueueStatus,
    Status,
    format_age,
    format_status,
    read_alarms,
    read_status,
)
from tests.unit.harness.ops.conftest import client_in_moto, dead_letter_url

SNAPSHOT = Path(__file__).resolve().parents[3] / "unit" / "components" / "snapshots" / "local.json"
QUEUE_KEYS = {"name", "stage", "visible", "in_flight", "oldest_age_s", "dead_letter"}


def by_stage(status: Status) -> dict[str, QueueStatus]:
    return {queue.stage: queue for queue in status.queues}


def alarm(cloudwatch: Any, name: str, actions: list[str], function: str = "f") -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=actions,
        OKActions=actions,
    )


def test_each_stage_queue_shows_messages_visible_in_flight_and_parked(deployed: Deployed):
    sqs = deployed.clients("sqs")
    enhance = deployed.outputs["enhance_queue_url"]
    for number in range(3):
        sqs.send_message(QueueUrl=enhance, MessageBody=f"work {number}")
    sqs.receive_message(QueueUrl=enhance, MaxNumberOfMessages=1, VisibilityTimeout=300)  # one in flight
    for number in range(2):
        sqs.send_message(QueueUrl=dead_letter_url(sqs, deployed.outputs["ingest_queue_url"]), MessageBody=f"{number}")
    sqs.send_message(QueueUrl=deployed.outputs["notify_failures_url"], MessageBody="{}")
    sqs.send_message(QueueUrl=deployed.outputs["command_rejections_url"], MessageBody="bad command")

    queues_ = by_stage(read_status(deployed))

    prefix = deployed.outputs["enhance_function"].removesuffix("-enhance")
    assert list(queues_) == ["ingest", "enhance", "removal", "notify", "mail", "metadata", "review", "commands"]
    assert (queues_["enhance"].visible, queues_["enhance"].in_flight) == (2, 1)
    assert queues_["enhance"].dead_letter is not None and queues_["enhance"].dead_letter.visible == 0
    assert queues_["ingest"].dead_letter is not None
    assert (queues_["ingest"].dead_letter.name, queues_["ingest"].dead_letter.visible) == (f"{prefix}-ingest-dlq", 2)
    assert (queues_["ingest"].visible, queues_["ingest"].in_flight, queues_["ingest"].oldest_age_s) == (0, 0, None)
    assert queues_["mail"].name == f"{prefix}-notify-mail"
    notify = queues_["notify"]  # a stream: no messages of its own, its failures parked
    assert (notify.name, notify.visible, notify.in_flight) == (f"{prefix}-images (stream)", None, None)
    assert notify.dead_letter is not None
    assert (notify.dead_letter.name, notify.dead_letter.visible) == (f"{prefix}-notify-failures", 1)
    commands = queues_["commands"]
    assert (commands.name, commands.visible, commands.dead_letter) == (f"{prefix}-command-rejections", 1, None)


def test_a_stack_without_a_mail_stage_lists_none(deployed: Deployed):
    outputs = {key: value for key, value in deployed.outputs.items() if not key.startswith("mail_")}
    status = read_status(Deployed(outputs, deployed.clients))
    assert "mail" not in by_stage(status)
    assert all(not function.name.endswith("-notify-mail") for function in status.functions)


def test_the_oldest_messages_age_is_cloudwatchs_newest_on_aws(deployed: Deployed):
    sqs, cloudwatch = deployed.clients("sqs"), deployed.clients("cloudwatch")
    enhance = deployed.outputs["enhance_queue_url"]
    sqs.send_message(QueueUrl=enhance, MessageBody="waiting")
    now = datetime.now(UTC)
    for minutes_ago, age in ((3, 400.0), (1, 520.0)):  # the newest value counts
        dimensions = [{"Name": "QueueName", "Value": queues.queue_name(enhance)}]
        cloudwatch.put_metric_data(
            Namespace="AWS/SQS",
            MetricData=[
                {
                    "MetricName": "ApproximateAgeOfOldestMessage",
                    "Dimensions": dimensions,
                    "Timestamp": now - timedelta(minutes=minutes_ago),
                    "Value": age,
                }
            ],
        )
    queues_ = by_stage(read_status(deployed, now))
    assert queues_["enhance"].oldest_age_s == 520
    assert queues_["removal"].oldest_age_s is None  # empty: no age, whatever the metric said last


def test_alarms_are_those_that_tell_the_stacks_alerts_topic_with_their_states(deployed: Deployed, prefix: str):
    cloudwatch, sns = deployed.clients("cloudwatch"), deployed.clients("sns")
    topic = deployed.outputs["alerts_topic_arn"]
    other_topic = sns.create_topic(Name=f"{prefix}-instances-alerts")["TopicArn"]  # a stack of a longer prefix
    alarm(cloudwatch, f"{prefix}-ingest-errors", [topic])
    alarm(cloudwatch, f"{prefix}-enhance-dlq-parked", [topic])
    alarm(cloudwatch, f"{prefix}-instances-ingest-errors", [other_topic])
    cloudwatch.set_alarm_state(AlarmName=f"{prefix}-ingest-errors", StateValue="ALARM", StateReason="test")
    cloudwatch.set_alarm_state(AlarmName=f"{prefix}-enhance-dlq-parked", StateValue="OK", StateReason="test")

    assert read_status(deployed).alarms == [
        AlarmStatus(f"{prefix}-enhance-dlq-parked", "OK"),
        AlarmStatus(f"{prefix}-ingest-errors", "ALARM"),
    ]


def test_an_alerts_topic_of_another_name_still_finds_its_alarms(mocked_aws):
    cloudwatch = client_in_moto("cloudwatch")
    topic = client_in_moto("sns").create_topic(Name="ops-pager")["TopicArn"]
    alarm(cloudwatch, "anything", [topic])
    alarm(cloudwatch, "someone-elses", [])
    cloudwatch.set_alarm_state(AlarmName="anything", StateValue="INSUFFICIENT_DATA", StateReason="test")
    assert read_alarms(cloudwatch, topic) == [AlarmStatus("anything", "INSUFFICIENT_DATA")]


def test_functions_errors_are_summed_over_the_last_hour(deployed: Deployed):
    cloudwatch = deployed.clients("cloudwatch")
    ingest, enhance = deployed.outputs["ingest_function"], deployed.outputs["enhance_function"]
    now = datetime.now(UTC)
    for function, minutes_ago, errors in ((ingest, 5, 2), (ingest, 40, 1), (ingest, 75, 9), (enhance, 1, 0)):
        cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "Errors",
                    "Dimensions": [{"Name": "FunctionName", "Value": function}],
                    "Timestamp": now - timedelta(minutes=minutes_ago),
                    "Value": errors,
                }
            ],
        )
    functions = read_status(deployed, now).functions
    prefix = ingest.removesuffix("-ingest")
    assert functions == [
        FunctionStatus(ingest, 3),  # the one 75 minutes ago is not of the last hour
        FunctionStatus(enhance, 0),
        FunctionStatus(f"{prefix}-removal", 0),
        FunctionStatus(f"{prefix}-notify", 0),
        FunctionStatus(f"{prefix}-notify-mail", 0),
        FunctionStatus(f"{prefix}-metadata", 0),
        FunctionStatus(f"{prefix}-review", 0),
        FunctionStatus(f"{prefix}-web", 0),
    ]


def test_the_json_has_exactly_the_documented_shape(deployed: Deployed, prefix: str):
    alarm(deployed.clients("cloudwatch"), f"{prefix}-ingest-errors", [deployed.outputs["alerts_topic_arn"]])
    shown = json.loads(json.dumps(read_status(deployed).as_json()))
    assert set(shown) == {"queues", "alarms", "functions"}
    assert all(set(queue) == QUEUE_KEYS for queue in shown["queues"])
    parked = [queue["dead_letter"] for queue in shown["queues"] if queue["dead_letter"] is not None]
    assert len(parked) == 7
    assert all(set(dead_letter) == {"name", "visible"} for dead_letter in parked)
    assert all(set(each) == {"name", "state"} for each in shown["alarms"]) and shown["alarms"]
    assert all(set(each) == {"name", "errors_last_hour"} for each in shown["functions"]) and shown["functions"]
    enhance = next(queue for queue in shown["queues"] if queue["stage"] == "enhance")
    assert enhance == {
        "name": f"{prefix}-enhance",
        "stage": "enhance",
        "visible": 0,
        "in_flight": 0,
        "oldest_age_s": None,
        "dead_letter": {"name": f"{prefix}-enhance-dlq", "visible": 0},
    }


def test_the_table_lists_queues_alarms_in_alarm_first_and_functions():
    status = Status(
        queues=[
            QueueStatus("p-ingest", "ingest", 2, 1, 75, None),
            QueueStatus("p-images (stream)", "notify", None, None, None, None),
        ],
        alarms=[AlarmStatus("p-a-errors", "OK"), AlarmStatus("p-z-errors", "ALARM")],
        functions=[FunctionStatus("p-ingest", 4)],
    )
    lines = format_status(status).splitlines()
    assert lines[0].split() == ["queue", "stage", "visible", "in", "flight", "oldest", "parked", "parked", "in"]
    assert lines[1].split() == ["p-ingest", "ingest", "2", "1", "75", "s", "-", "-"]
    assert lines[2].split() == ["p-images", "(stream)", "notify", "-", "-", "-", "-", "-"]
    alarms = lines.index(next(line for line in lines if line.startswith("alarm")))
    assert [line.split() for line in lines[alarms + 1 : alarms + 3]] == [["p-z-errors", "ALARM"], ["p-a-errors", "OK"]]
    assert lines[-1].split() == ["p-ingest", "4"]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "-"),
        (0, "0 s"),
        (119, "119 s"),
        (600, "10 min"),
        (3 * 3600 + 300, "3 h 5 min"),
        (2 * 86400 + 4 * 3600, "2 d 4 h"),
    ],
)
def test_ages_read_as_people_say_them(seconds, shown):
    assert format_age(seconds) == shown


# --- the age in the emulator, from its listing of a queue's messages -------------------------------


class Listing(BaseHTTPRequestHandler):
    """LocalStack's `/_aws/sqs/messages/<region>/<account>/<queue>` for one queue of two messages."""

    def do_GET(self) -> None:
        if self.path != "/_aws/sqs/messages/us-east-1/123456789012/p-enhance?ShowInvisible=true":
            self.send_error(404)
            return
        body = json.dumps(
            {
                "Messages": [
                    {"Body": "a", "Attributes": {"SentTimestamp": "1700000090000", "IsVisible": "true"}},
                    {"Body": "b", "Attributes": {"SentTimestamp": "1700000000500", "IsVisible": "false"}},
                ]
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def listing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Listing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_in_the_emulator_the_age_is_of_the_earliest_message_listed_visible_or_in_flight(listing):
    enhance = queues.Queue("u", "arn:aws:sqs:us-east-1:123456789012:p-enhance", 1, 1, None)
    other = queues.Queue("v", "arn:aws:sqs:us-east-1:123456789012:p-other", 1, 0, None)  # not listed: 404
    assert queues.emulator_ages(listing, [enhance, other], now=1_700_000_100.0) == {enhance.arn: 99}


def test_an_endpoint_without_the_listing_gives_no_age():
    queue = queues.Queue("u", "arn:aws:sqs:us-east-1:123456789012:p", 1, 0, None)
    assert queues.emulator_ages("http://127.0.0.1:9", [queue]) == {}
    assert queues.oldest_age([], 0.0) is None


def test_every_alarm_the_program_declares_is_found_by_its_alerts_topic_and_prefix():
    """status lists the alarms that tell the alerts topic, asking CloudWatch for the names the topic's
    prefix starts: every alarm of the program must be one (the declared program's snapshot)."""
    declared = json.loads(SNAPSHOT.read_text())
    (topic,) = [r["inputs"]["name"] for k, r in declared.items() if k == "aws:sns/topic:Topic alarms-topic"]
    alarms = [r["inputs"] for k, r in declared.items() if k.startswith("aws:cloudwatch/metricAlarm:")]
    assert len(alarms) > 20
    for declared_alarm in alarms:
        assert any(action.endswith(f":{topic}") for action in declared_alarm["alarmActions"]), declared_alarm["name"]
        assert declared_alarm["name"].startswith(topic.removesuffix("alerts")), declared_alarm["name"]
