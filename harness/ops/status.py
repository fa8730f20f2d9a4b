"""`python -m harness status`: every stage's queue (messages visible, in flight, the age of the
oldest) with its dead-letter queue's depth, the command-rejections queue, every alarm's state and
each function's errors in the last hour.

- Queues: SQS's approximate counts (GetQueueAttributes); the dead-letter queue is the one the
  queue's redrive policy names. The notify stage reads the images table's stream: it has no
  messages visible or in flight (None), its oldest age is the stream's iterator age (CloudWatch's
  `IteratorAge` for the function, where published), and its parking place is the notify failures
  queue. The command-rejections queue has no dead-letter queue.
- The oldest message's age: see harness/ops/queues.py (the emulator's SQS where it can list
  messages, else CloudWatch's `ApproximateAgeOfOldestMessage`, its newest value of the last 15
  minutes: AWS publishes it each minute while a queue is active). None for an empty queue.
- Alarms: every CloudWatch alarm that tells the stack's alerts topic (`alerts_topic_arn`), which
  every alarm the program declares does (components/alarms.py), and no other stack's does.
- Errors: CloudWatch's `AWS/Lambda` `Errors` of each function, the sum over the last hour.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.ops import queues
from harness.ops.stack import ALERTS_TOPIC, COMMAND_REJECTIONS, IMAGES_TABLE, NOTIFY_FAILURES, Deployed, Stage

COMMANDS = "commands"  # the stage column of the command-rejections queue: both command stages park there
ALARM_STATES = ("ALARM", "INSUFFICIENT_DATA", "OK")  # the table's order: what needs looking at first
AGE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class DeadLetter:
    name: str
    visible: int


@dataclass(frozen=True)
class QueueStatus:
    name: str
    stage: str
    visible: int | None
    in_flight: int | None
    oldest_age_s: int | None
    dead_letter: DeadLetter | None


@dataclass(frozen=True)
class AlarmStatus:
    name: str
    state: str


@dataclass(frozen=True)
class FunctionStatus:
    name: str
    errors_last_hour: int


@dataclass(frozen=True)
class Status:
    queues: list[QueueStatus]
    alarms: list[AlarmStatus]
    functions: list[FunctionStatus]

    def as_json(self) -> dict[str, Any]:
        """`{"queues": [{"name", "stage", "visible", "in_flight", "oldest_age_s", "dead_letter":
        {"name", "visible"}}], "alarms": [{"name", "state"}], "functions": [{"name", "errors_last_hour"}]}`."""
        return asdict(self)


def read_status(deployed: Deployed, now: datetime | None = None) -> Status:
    """The stack's queues, alarms and functions as its endpoint reports them now."""
    now = now or datetime.now(UTC)
    sqs, cloudwatch = deployed.clients("sqs"), deployed.clients("cloudwatch")
    described: list[tuple[Stage | None, queues.Queue, queues.Queue | None]] = []  # stage, queue, dead letters
    for each in deployed.stages():
        if each.is_stream:  # its parking place: the notify failures queue
            described.append((each, queues.describe(sqs, deployed.output(NOTIFY_FAILURES)), None))
        else:
            queue = queues.describe(sqs, deployed.output(each.queue_output or ""))
            described.append((each, queue, queues.dead_letter_of(sqs, queue)))
    if deployed.has(COMMAND_REJECTIONS):
        described.append((None, queues.describe(sqs, deployed.output(COMMAND_REJECTIONS)), None))

    ages = _ages(deployed, [queue for stage, queue, _ in described if not (stage and stage.is_stream)], now)
    rows = []
    for stage, queue, dead_letters in described:
        if stage is not None and stage.is_stream:
            age = _iterator_age(cloudwatch, deployed.output(stage.function_output), now)
            rows.append(_stream_row(deployed, stage.name, queue, age))
        else:
            parked = DeadLetter(dead_letters.name, dead_letters.visible) if dead_letters else None
            age = None if queue.empty else ages.get(queue.arn)
            name = stage.name if stage else COMMANDS
            rows.append(QueueStatus(queue.name, name, queue.visible, queue.in_flight, age, parked))
    return Status(
        queues=rows,
        alarms=read_alarms(cloudwatch, deployed.output(ALERTS_TOPIC)),
        functions=read_errors(cloudwatch, deployed.function_names(), now),
    )


def _stream_row(deployed: Deployed, stage: str, failures: queues.Queue, age: int | None) -> QueueStatus:
    """The notify stage: the images table's stream, parked work in the failures queue."""
    table = deployed.outputs.get(IMAGES_TABLE) or "the images table"
    return QueueStatus(f"{table} (stream)", stage, None, None, age, DeadLetter(failures.name, failures.visible))


def _ages(deployed: Deployed, described: list[queues.Queue], now: datetime) -> dict[str, int | None]:
    """Each non-empty queue's oldest message's age, by ARN: from the emulator's SQS where it lists
    messages, else CloudWatch's."""
    waiting = [queue for queue in described if not queue.empty]
    ages: dict[str, int | None] = {}
    if deployed.emulator_url and waiting:
        ages = queues.emulator_ages(deployed.emulator_url, waiting, now.timestamp())
    rest = [queue for queue in waiting if queue.arn not in ages]
    if rest:
        metrics = [("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queue.name) for queue in rest]
        for queue, value in zip(rest, _newest(deployed.clients("cloudwatch"), metrics, now), strict=True):
            ages[queue.arn] = None if value is None else int(value)
    return ages


def _iterator_age(cloudwatch: Any, function: str, now: datetime) -> int | None:
    """How far behind the stream's newest record the function reads, in seconds (Lambda's
    `IteratorAge`, milliseconds, newest value of the window); None where not published."""
    (value,) = _newest(cloudwatch, [("AWS/Lambda", "IteratorAge", "FunctionName", function)], now)
    return None if value is None else int(value / 1000)


def _newest(cloudwatch: Any, metrics: list[tuple[str, str, str, str]], now: datetime) -> list[float | None]:
    """The newest one-minute Maximum of each metric (namespace, name, dimension, value) within the
    last AGE_WINDOW; None for one without data."""
    values = _metric_values(cloudwatch, metrics, "Maximum", now - AGE_WINDOW, now)
    return [series[0] if series else None for series in values]


def _metric_values(
    cloudwatch: Any, metrics: list[tuple[str, str, str, str]], stat: str, start: datetime, end: datetime
) -> list[list[float]]:
    """Each metric's one-minute `stat` values between `start` and `end`, newest first (GetMetricData,
    one query per metric, all pages)."""
    ids = [f"m{index}" for index in range(len(metrics))]
    queries = [
        {
            "Id": query_id,
            "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": [{"Name": key, "Value": value}]},
                "Period": 60,
                "Stat": stat,
            },
            "ReturnData": True,
        }
        for query_id, (namespace, name, key, value) in zip(ids, metrics, strict=True)
    ]
    found: dict[str, list[tuple[datetime, float]]] = {query_id: [] for query_id in ids}
    request: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
    while True:
        page = cloudwatch.get_metric_data(**request)
        for result in page.get("MetricDataResults", []):
            found[result["Id"]] += zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    return [[value for _, value in sorted(found[query_id], reverse=True)] for query_id in ids]


def read_alarms(cloudwatch: Any, topic_arn: str) -> list[AlarmStatus]:
    """Every alarm (metric or composite) whose actions tell `topic_arn`, by name. The alarms' names
    start with the topic's prefix (`<prefix>-alerts`, alarms `<prefix>-…`): CloudWatch is asked for
    those only, and the topic tells this stack's from another stack's of a longer prefix."""
    topic = topic_arn.rsplit(":", 1)[-1]
    request: dict[str, Any] = {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
    if topic.endswith("-alerts"):
        request["AlarmNamePrefix"] = topic.removesuffix("alerts")
    found = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(**request):
        for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
            actions = [*alarm.get("AlarmActions", []), *alarm.get("OKActions", [])]
            if topic_arn in actions + alarm.get("InsufficientDataActions", []):
                found.append(AlarmStatus(alarm["AlarmName"], alarm["StateValue"]))
    return sorted(found, key=lambda alarm: alarm.name)


def read_errors(cloudwatch: Any, functions: list[str], now: datetime) -> list[FunctionStatus]:
    """Each function's `Errors` summed over the hour before `now` (no data: none)."""
    if not functions:
        return []
    metrics = [("AWS/Lambda", "Errors", "FunctionName", function) for function in functions]
    sums = _metric_values(cloudwatch, metrics, "Sum", now - timedelta(hours=1), now)
    return [FunctionStatus(name, int(sum(values))) for name, values in zip(functions, sums, strict=True)]


# --- the plain output ------------------------------------------------------------------------------


def format_status(status: Status) -> str:
    """The status as three readable tables: queues, alarms (those in ALARM first), functions."""
    lines = [_row("queue", "stage", "visible", "in flight", "oldest", "parked", "parked in")]
    for queue in status.queues:
        parked = queue.dead_letter
        lines.append(
            _row(
                queue.name,
                queue.stage,
                _count(queue.visible),
                _count(queue.in_flight),
                format_age(queue.oldest_age_s),
                _count(parked.visible if parked else None),
                parked.name if parked else "-",
            )
        )
    lines += ["", f"{'alarm':<52} state"]
    order = {state: index for index, state in enumerate(ALARM_STATES)}
    for alarm in sorted(status.alarms, key=lambda a: (order.get(a.state, len(order)), a.name)):
        lines.append(f"{alarm.name:<52} {alarm.state}")
    if not status.alarms:
        lines.append("(no alarm tells the stack's alerts topic)")
    lines += ["", f"{'function':<52} errors in the last hour"]
    lines += [f"{function.name:<52} {function.errors_last_hour:>6}" for function in status.functions]
    return "\n".join(lines)


def _row(name: str, stage: str, visible: str, in_flight: str, oldest: str, parked: str, where: str) -> str:
    return f"{name:<44} {stage:<9} {visible:>7} {in_flight:>9} {oldest:>9} {parked:>6}  {where}"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def format_age(seconds: int | None) -> str:
    """`-`, `42 s`, `7 min`, `3 h 5 min`, `2 d 4 h`."""
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes} min"
    if days < 1:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"
