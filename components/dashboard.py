"""Dashboard: the operator's CloudWatch dashboard of the stack. At the top the images processed and
rejected per hour (the functions' own counts) and the web tier (the REST API's 5xx share and p95
latency, or the balancer's 5xx share, targets' p95 response time and healthy targets), each with its
alarm's threshold; then a row per stage: messages waiting in its queue and parked in its dead-letter
queue, the age of the oldest one waiting, the function's errors and throttles, and its p95 duration.

The body is built by plain functions from resolved names (`dashboard_body`), so a test reads it as
CloudWatch would; the component only resolves the names and declares the dashboard. The web tier is
described as the alarms describe it (components/alarms.py `WebWatch`)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import pulumi
import pulumi_aws as aws

from components.alarms import ApiWatch, BalancerWatch, WebWatch
from components.stage import QueuedStage
from handlers.contract import METRICS_NAMESPACE

GRID_WIDTH = 24  # CloudWatch's dashboard grid
PANEL = 6  # a graph's width and height in grid units
RED, ORANGE, GREEN = "#d62728", "#ff7f0e", "#2ca02c"
# The balancer's 5xx share, as its `5xx` alarm computes it (components/alarms.py).
BALANCER_5XX_SHARE = "(FILL(balancer, 0) + FILL(targets, 0)) / requests"

Widget = dict[str, Any]
Metric = list[Any]  # [namespace, name, dimension, value, …, rendering] or [{expression, label, id}]
W = TypeVar("W")


@dataclass(frozen=True)
class StageWatch:
    """A stage's row: its function, the queue it takes its work from (None: a table's stream feeds
    it, and the age of the oldest change it has not read stands for the oldest message's), and the
    queue where its failed work is parked."""

    function_name: pulumi.Input[str]
    dead_letter_queue: pulumi.Input[str]
    queue: pulumi.Input[str] | None = None

    @classmethod
    def of(cls, stage: QueuedStage) -> StageWatch:
        return cls(stage.function_name, stage.dead_letter_queue_name, stage.queue_name)


@dataclass(frozen=True)
class Count:
    """A count the functions keep: Powertools' metric `metric` in METRICS_NAMESPACE, whose one
    dimension is `service`, the function's POWERTOOLS_SERVICE_NAME."""

    service: str
    metric: str


# What the stages count of each upload (handlers/runtime/queue_steps.py `counted`): ingest its
# outcome as Uploads<Status>, enhance as Images<Status>. An upload is rejected by ingest (what it is,
# its limits) or, rarely, by enhance (pixels that do not decode); it is processed by enhance only.
PROCESSED = (Count("enhance", "ImagesProcessed"),)
REJECTED = (Count("ingest", "UploadsRejected"), Count("enhance", "ImagesRejected"))


@dataclass(frozen=True)
class DashboardArgs:
    """The dashboard's name (dashboards are an account's, in every region: give it the account-wide
    prefix), the region of its metrics, the stages by label (a row each, in this order) and the web
    tier; the counts of processed and rejected images, and the graphs' period."""

    dashboard_name: str
    region: str
    stages: Mapping[str, StageWatch]
    web: WebWatch = field(default_factory=WebWatch)
    processed: Sequence[Count] = PROCESSED
    rejected: Sequence[Count] = REJECTED
    period_seconds: int = 60  # a multiple of 60: AWS's own metrics come per minute


class Dashboard(pulumi.ComponentResource):
    """The CloudWatch dashboard `dashboard_name` (see the module's description)."""

    dashboard: aws.cloudwatch.Dashboard

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:operations:Dashboard", name, None, opts)
        body = pulumi.Output.all(_resolved(args.stages), _resolved(args.web.apis), _resolved(args.web.balancers)).apply(
            lambda names: dashboard_body(
                dataclasses.replace(args, stages=names[0], web=WebWatch(apis=names[1], balancers=names[2]))
            )
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = self.dashboard.dashboard_name
        self.register_outputs({"dashboard_name": self.dashboard_name})


def dashboard_body(args: DashboardArgs) -> str:
    """The dashboard's body, CloudWatch's JSON, from `args` with every name resolved."""
    return json.dumps(dashboard(args))


def dashboard(args: DashboardArgs) -> dict[str, Any]:
    """The body's object: the last 3 hours, periods adapting to the range shown."""
    web = [panel for label, api in args.web.apis.items() for panel in _api_panels(label, api)]
    web += [panel for label, balancer in args.web.balancers.items() for panel in _balancer_panels(label, balancer)]
    throughput = _throughput_panel(args.processed, args.rejected, width=max(PANEL, GRID_WIDTH - PANEL * len(web)))
    rows = [[_header(args)], [throughput, *web]]
    rows += [_stage_panels(label, stage) for label, stage in args.stages.items()]
    widgets = [_in_region(widget, args.region, args.period_seconds) for widget in _layout(rows)]
    return {"start": "-PT3H", "periodOverride": "auto", "widgets": widgets}


def _header(args: DashboardArgs) -> Widget:
    markdown = "\n\n".join(
        [
            f"## {args.dashboard_name}",
            "**Top**: images processed and rejected per hour, as the functions count them; the web tier's share "
            "of 5xx answers and its latency, the alarms' thresholds drawn in.",
            "**A row per stage** (" + ", ".join(args.stages) + "): messages waiting in its queue and parked in its "
            "dead-letter queue (work that failed every attempt: `python -m harness redrive STAGE` once fixed), "
            "the age of the oldest one waiting (notify reads the records' stream: the oldest change not read), "
            "the function's errors and throttles, and its p95 duration.",
        ]
    )
    return {"type": "text", "width": GRID_WIDTH, "height": 3, "properties": {"markdown": markdown}}


def _throughput_panel(processed: Sequence[Count], rejected: Sequence[Count], width: int) -> Widget:
    """Images processed and rejected per hour: each outcome's counts summed (a count with no data in a
    period as 0), per hour whatever period the graph shows."""
    metrics: list[Metric] = []
    for outcome, counts, color in (("processed", processed, GREEN), ("rejected", rejected, ORANGE)):
        ids = [f"{outcome}{index}" for index in range(len(counts))]
        metrics += [
            _metric(METRICS_NAMESPACE, count.metric, {"service": count.service}, stat="Sum", id=id_, visible=False)
            for count, id_ in zip(counts, ids, strict=True)
        ]
        total = " + ".join(f"FILL({id_}, 0)" for id_ in ids)
        metrics.append(_expression(f"3600 * ({total}) / PERIOD({ids[0]})", outcome, outcome, color=color))
    return _graph("Images per hour", metrics, "images per hour", width=width, period=3600)


def _api_panels(label: str, api: ApiWatch) -> list[Widget]:
    """A REST API's stage: its 5xx share (5XXError is 1 per 5xx answer and 0 otherwise: its average is
    the share, as the `5xx` alarm has it) with the requests, and its p95 latency."""
    by_stage = {"ApiName": api.api_name, "Stage": api.stage}
    share = [
        _metric("AWS/ApiGateway", "5XXError", by_stage, stat="Average", id="errors", visible=False),
        _expression("100 * errors", "5xx share (%)", "share", color=RED),
        _metric("AWS/ApiGateway", "Count", by_stage, stat="Sum", label="requests", yAxis="right"),
    ]
    latency = [_metric("AWS/ApiGateway", "Latency", by_stage, stat="p95", label="p95")]
    return [
        _graph(f"web {label}: 5xx share", share, "%", threshold=100 * api.max_5xx_rate, right="requests"),
        _graph(f"web {label}: latency p95", latency, "ms", threshold=api.max_p95_latency_ms),
    ]


def _balancer_panels(label: str, balancer: BalancerWatch) -> list[Widget]:
    """An Application Load Balancer: its 5xx share (its own and its targets' 5xx answers, as the `5xx`
    alarm counts them) with the requests, its targets' p95 response time, and its healthy targets."""
    by_balancer = {"LoadBalancer": balancer.load_balancer}
    by_target_group = {"LoadBalancer": balancer.load_balancer, "TargetGroup": balancer.target_group}
    elb = "AWS/ApplicationELB"
    share = [
        _metric(elb, "HTTPCode_ELB_5XX_Count", by_balancer, stat="Sum", id="balancer", visible=False),
        _metric(elb, "HTTPCode_Target_5XX_Count", by_balancer, stat="Sum", id="targets", visible=False),
        _metric(elb, "RequestCount", by_balancer, stat="Sum", id="requests", label="requests", yAxis="right"),
        _expression(f"100 * ({BALANCER_5XX_SHARE})", "5xx share (%)", "share", color=RED),
    ]
    response = [_metric(elb, "TargetResponseTime", by_balancer, stat="p95", label="p95")]
    targets = [
        _metric(elb, "HealthyHostCount", by_target_group, stat="Minimum", label="healthy", color=GREEN),
        _metric(elb, "UnHealthyHostCount", by_target_group, stat="Maximum", label="unhealthy", color=RED),
    ]
    return [
        _graph(f"web {label}: 5xx share", share, "%", threshold=100 * balancer.max_5xx_rate, right="requests"),
        _graph(f"web {label}: target response time p95", response, "s", threshold=balancer.max_p95_response_seconds),
        _graph(f"web {label}: targets", targets, "targets"),
    ]


def _stage_panels(label: str, stage: StageWatch) -> list[Widget]:
    """A stage's row: its queue and dead-letter queue, the oldest message's age, its function's
    errors and throttles, and its p95 duration."""
    function = {"FunctionName": stage.function_name}
    parked = _queue_metric("ApproximateNumberOfMessagesVisible", stage.dead_letter_queue, label="parked", color=RED)
    if stage.queue is None:  # fed by a stream: its iterator's age, in ms, is the oldest change's
        waiting, queues = "changes parked", [parked]
        oldest = [
            _metric("AWS/Lambda", "IteratorAge", function, stat="Maximum", id="iterator", visible=False),
            _expression("iterator / 1000", "oldest change not read", "oldest"),
        ]
    else:
        waiting = "messages waiting and parked"
        queues = [_queue_metric("ApproximateNumberOfMessagesVisible", stage.queue, label="waiting"), parked]
        oldest = [_queue_metric("ApproximateAgeOfOldestMessage", stage.queue, label="oldest message")]
    failures = [
        _metric("AWS/Lambda", "Errors", function, stat="Sum", label="errors", color=RED),
        _metric("AWS/Lambda", "Throttles", function, stat="Sum", label="throttles", color=ORANGE),
    ]
    duration = [_metric("AWS/Lambda", "Duration", function, stat="p95", label="p95")]
    return [
        _graph(f"{label}: {waiting}", queues, "messages"),
        _graph(f"{label}: oldest waiting", oldest, "s"),
        _graph(f"{label}: errors and throttles", failures, "invocations"),
        _graph(f"{label}: duration p95", duration, "ms"),
    ]


def _graph(
    title: str,
    metrics: list[Metric],
    unit: str,
    *,
    width: int = PANEL,
    period: int | None = None,
    threshold: float | None = None,
    right: str | None = None,
) -> Widget:
    """A line graph of `metrics` on a left axis of `unit` from 0 (`right`: the right axis's label),
    with the alarm's `threshold` drawn in; its own `period`, else the dashboard's."""
    y_axis: dict[str, Any] = {"left": {"label": unit, "min": 0, "showUnits": False}}
    if right is not None:
        y_axis["right"] = {"label": right, "min": 0, "showUnits": False}
    properties: dict[str, Any] = {"title": title, "view": "timeSeries", "stacked": False, "metrics": metrics}
    properties["yAxis"] = y_axis
    if period is not None:
        properties["period"] = period
    if threshold is not None:
        properties["annotations"] = {"horizontal": [{"label": "alarm", "value": threshold, "color": RED}]}
    return {"type": "metric", "width": width, "height": PANEL, "properties": properties}


def _metric(namespace: str, name: str, dimensions: Mapping[str, pulumi.Input[str]], **rendering: Any) -> Metric:
    """One metric of a graph: `[namespace, name, dimension, value, …, rendering]`."""
    entry: Metric = [namespace, name]
    for dimension, value in dimensions.items():
        entry += [dimension, _name(value)]
    return [*entry, rendering]


def _queue_metric(name: str, queue: pulumi.Input[str], **rendering: Any) -> Metric:
    return _metric("AWS/SQS", name, {"QueueName": queue}, stat="Maximum", **rendering)


def _expression(expression: str, label: str, id_: str, **rendering: Any) -> Metric:
    """A metric-math line of a graph, over the graph's metrics by their ids."""
    return [{"expression": expression, "label": label, "id": id_, **rendering}]


def _name(value: pulumi.Input[str]) -> str:
    """A resource's name, resolved: the body is built once every name is known."""
    if not isinstance(value, str):
        raise TypeError(f"a dashboard is built from resolved names, not {value!r}")
    return value


def _layout(rows: Sequence[Sequence[Widget]]) -> list[Widget]:
    """The widgets placed on CloudWatch's grid: each row from the left, flowing onto another line
    when it is full, each row below the last."""
    placed: list[Widget] = []
    y = 0
    for row in rows:
        x, height = 0, 0
        for widget in row:
            if x + widget["width"] > GRID_WIDTH:
                x, y, height = 0, y + height, 0
            placed.append({"type": widget["type"], "x": x, "y": y, **widget})
            x, height = x + widget["width"], max(height, widget["height"])
        y += height
    return placed


def _in_region(widget: Widget, region: str, period: int) -> Widget:
    """A metric widget with its metrics' region and its period (the dashboard's unless its own)."""
    if widget["type"] != "metric":
        return widget
    return {**widget, "properties": {"region": region, "period": period, **widget["properties"]}}


def _resolved(watches: Mapping[str, W]) -> pulumi.Output[dict[str, W]]:
    """`watches` (dataclasses by label) with every field that is an Output resolved."""
    fields = {
        label: {item.name: getattr(watch, item.name) for item in dataclasses.fields(cast(Any, watch))}
        for label, watch in watches.items()
    }
    return pulumi.Output.from_input(fields).apply(
        lambda values: {label: dataclasses.replace(cast(Any, watches[label]), **values[label]) for label in watches}
    )
