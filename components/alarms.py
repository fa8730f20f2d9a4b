"""Alarms: CloudWatch alarms on every function (errors, throttles), every dead-letter queue
(messages parked) and the web tier: the REST API (the share of 5xx answers, p95 latency), or the
instances tier's balancer (the share of 5xx answers, unhealthy hosts, p95 target response time) and
its group (fewer instances in service than desired). Each state change goes to the alerts topic;
the stack's alert addresses are subscribed to it by e-mail through ALERT_MAIL_FILTER, so they are
mailed when an alarm goes to ALARM and when it recovers from it, never for an alarm's first
evaluation (INSUFFICIENT_DATA → OK, which every new alarm makes: a deploy mails nothing)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class ApiWatch:
    """A REST API's stage to watch (API Gateway's metrics are by ApiName and Stage), and how bad is
    bad: the share of requests answered 5xx in one period, and the 95th percentile of latency."""

    api_name: pulumi.Input[str]
    stage: str
    max_5xx_rate: float = 0.05
    max_p95_latency_ms: int = 3000


@dataclass(frozen=True)
class BalancerWatch:
    """An Application Load Balancer, its target group (ELB's metrics are by their ARN suffixes) and
    the auto-scaling group behind it (Auto Scaling's by its name, from the group's own metrics), and
    how bad is bad: the share of requests answered 5xx by the balancer or its targets, and the 95th
    percentile of the targets' response time."""

    load_balancer: pulumi.Input[str]  # app/<name>/<id>
    target_group: pulumi.Input[str]  # targetgroup/<name>/<id>
    group_name: pulumi.Input[str]
    max_5xx_rate: float = 0.05
    max_p95_response_seconds: float = 3.0


@dataclass(frozen=True)
class WebWatch:
    """The web tier to watch: the REST API's stage, or the balancer and its group, by label."""

    apis: Mapping[str, ApiWatch] = field(default_factory=dict)
    balancers: Mapping[str, BalancerWatch] = field(default_factory=dict)


# What of the alerts topic a person is mailed: the notifications CloudWatch publishes there are JSON
# bodies naming the alarm's old and new state (`OldStateValue`, `NewStateValue`), and a subscription
# filter policy on the message body keeps those into ALARM or out of it. The alarms have no
# INSUFFICIENT_DATA actions, so the topic carries only changes to ALARM and to OK; of the latter this
# keeps recoveries (ALARM → OK) and drops every first evaluation (INSUFFICIENT_DATA → OK). The README
# gives it for subscribing another address or endpoint by hand.
ALERT_MAIL_FILTER: Mapping[str, object] = {"$or": [{"NewStateValue": ["ALARM"]}, {"OldStateValue": ["ALARM"]}]}
ALERT_MAIL_FILTER_SCOPE = "MessageBody"


def alert_mail_filter_json() -> str:
    """ALERT_MAIL_FILTER as a subscription's FilterPolicy attribute takes it."""
    return json.dumps(ALERT_MAIL_FILTER, sort_keys=True)


# A metric of a metric-math alarm: namespace, name, statistic and dimensions.
Metric = tuple[str, str, str, Mapping[str, pulumi.Input[str]]]


@dataclass(frozen=True)
class AlarmsArgs:
    """What to watch: functions and dead-letter queues by a short label (used in the alarm names),
    each mapped to its resource name; where to send alerts; how long one evaluation period is."""

    name_prefix: str
    topic_name: str
    functions: Mapping[str, pulumi.Input[str]]
    dead_letter_queues: Mapping[str, pulumi.Input[str]]
    rejection_queues: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    web: WebWatch = WebWatch()
    alert_emails: Sequence[str] = ()
    period_seconds: int = 60


class Alarms(pulumi.ComponentResource):
    """One alarm per function and kind (`<prefix>-<label>-errors`, `-throttles`), one per
    dead-letter queue (`<prefix>-<label>-parked`), two per API (`-5xx`, `-latency`) and four per
    balancer (`-5xx`, `-unhealthy`, `-latency`, `-in-service`). A function's
    or a queue's goes to ALARM when its metric reaches 1 in one period, an API's when its 5xx share
    or p95 latency reaches its limit; each goes back to OK when it no longer does, and tells the
    alerts topic both ways. No data (an idle function, an empty queue, no requests) counts as OK.
    The alert addresses are mailed through ALERT_MAIL_FILTER: into ALARM and out of it, nothing else."""

    topic: aws.sns.Topic
    alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:alarms:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.topic = aws.sns.Topic(f"{name}-topic", name=args.topic_name, opts=child)
        for index, address in enumerate(args.alert_emails):
            aws.sns.TopicSubscription(
                f"{name}-mail-{index}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=address,
                filter_policy=alert_mail_filter_json(),
                filter_policy_scope=ALERT_MAIL_FILTER_SCOPE,
                opts=child,
            )
        maker = _AlarmMaker(name, args.name_prefix, args.period_seconds, self.topic.arn, child)
        self.alarms = [
            *_function_alarms(maker, args.functions),
            *_queue_alarms(
                maker,
                args.dead_letter_queues,
                "parked",
                "messages are parked in the {label} queue: their work failed for good; redrive once fixed",
            ),
            *_queue_alarms(
                maker,
                args.rejection_queues,
                "rejected",
                "invalid commands wait in the {label} queue, each with the reason: tell their publishers",
            ),
            *_api_alarms(maker, args.web.apis),
            *_balancer_alarms(maker, args.web.balancers),
        ]

        self.topic_arn = self.topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})


@dataclass(frozen=True)
class _AlarmMaker:
    """What every alarm of one Alarms shares: the component's name (the resource names' start), the
    stack's name prefix (the alarm names'), the period, the topic told of each state change, and the
    options (the component as parent)."""

    name: str
    name_prefix: str
    period_seconds: int
    topic_arn: pulumi.Output[str]
    opts: pulumi.ResourceOptions

    def alarm(
        self,
        label: str,
        kind: str,
        metric: tuple[str, str, str],
        dimension: tuple[str, pulumi.Input[str]] | Mapping[str, pulumi.Input[str]],
        what: pulumi.Input[str],
        threshold: float = 1,
    ) -> aws.cloudwatch.MetricAlarm:
        """The alarm `<prefix>-<label>-<kind>` on `metric` (namespace, name, statistic: `p95` is an
        extended statistic), in ALARM from `threshold` on, described by `what`."""
        namespace, metric_name, statistic = metric
        percentile = statistic.startswith("p")  # p95: an extended statistic
        return self.declare(
            label,
            kind,
            what,
            threshold,
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dict(dimension) if isinstance(dimension, Mapping) else {dimension[0]: dimension[1]},
            statistic=None if percentile else statistic,
            extended_statistic=statistic if percentile else None,
            period=self.period_seconds,
        )

    def declare(
        self, label: str, kind: str, what: pulumi.Input[str], threshold: float, **measure: Any
    ) -> aws.cloudwatch.MetricAlarm:
        """The alarm `<prefix>-<label>-<kind>` on what `measure` says (a metric, or metric queries),
        in ALARM from `threshold` on for one period, telling the topic both ways."""
        return aws.cloudwatch.MetricAlarm(
            f"{self.name}-{label}-{kind}",
            name=f"{self.name_prefix}-{label}-{kind}",
            alarm_description=what,
            evaluation_periods=1,
            threshold=threshold,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic_arn],
            ok_actions=[self.topic_arn],
            opts=self.opts,
            **measure,
        )


def _metric_math_alarm(
    maker: _AlarmMaker,
    label: str,
    kind: str,
    expression: str,
    metrics: Mapping[str, Metric],
    what: str,
    threshold: float,
) -> aws.cloudwatch.MetricAlarm:
    """The alarm `<prefix>-<label>-<kind>` on `expression` (CloudWatch metric math) over `metrics`
    by their ids, in ALARM from `threshold` on."""
    queries = [aws.cloudwatch.MetricAlarmMetricQueryArgs(id="e1", expression=expression, label=kind, return_data=True)]
    for metric_id, (namespace, metric_name, statistic, dimensions) in metrics.items():
        metric = aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dict(dimensions),
            period=maker.period_seconds,
            stat=statistic,
        )
        queries.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(id=metric_id, metric=metric, return_data=False))
    return maker.declare(label, kind, what, threshold, metric_queries=queries)


def _function_alarms(
    maker: _AlarmMaker, functions: Mapping[str, pulumi.Input[str]]
) -> list[aws.cloudwatch.MetricAlarm]:
    """Each function's `errors` and `throttles` alarms, function by function."""
    alarms = []
    for label, function in functions.items():
        dimension = ("FunctionName", function)
        alarms.append(
            maker.alarm(
                label,
                "errors",
                ("AWS/Lambda", "Errors", "Sum"),
                dimension,
                pulumi.Output.concat(f"the {label} function failed an invocation: see /aws/lambda/", function),
            )
        )
        alarms.append(
            maker.alarm(
                label,
                "throttles",
                ("AWS/Lambda", "Throttles", "Sum"),
                dimension,
                f"the {label} function was throttled: its work waits in its queue",
            )
        )
    return alarms


def _queue_alarms(
    maker: _AlarmMaker, queues: Mapping[str, pulumi.Input[str]], kind: str, what: str
) -> list[aws.cloudwatch.MetricAlarm]:
    """One `kind` alarm per queue, on the messages waiting in it; `what` describes it, with the
    queue's label for `{label}`."""
    return [
        maker.alarm(
            label,
            kind,
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
            ("QueueName", queue),
            what.format(label=label),
        )
        for label, queue in queues.items()
    ]


def _api_alarms(maker: _AlarmMaker, apis: Mapping[str, ApiWatch]) -> list[aws.cloudwatch.MetricAlarm]:
    """Each API's `5xx` (the share of server errors) and `latency` (p95) alarms, API by API."""
    alarms = []
    for label, api in apis.items():
        dimensions = {"ApiName": api.api_name, "Stage": api.stage}
        alarms.append(
            maker.alarm(
                label,
                "5xx",
                ("AWS/ApiGateway", "5XXError", "Average"),  # 1 per 5xx answer, 0 otherwise: the share
                dimensions,
                f"the {label} API answered more than {api.max_5xx_rate:.0%} of its requests with a server error",
                threshold=api.max_5xx_rate,
            )
        )
        alarms.append(
            maker.alarm(
                label,
                "latency",
                ("AWS/ApiGateway", "Latency", "p95"),
                dimensions,
                f"the {label} API's slowest 5% of requests took {api.max_p95_latency_ms} ms or more",
                threshold=api.max_p95_latency_ms,
            )
        )
    return alarms


def _balancer_alarms(maker: _AlarmMaker, balancers: Mapping[str, BalancerWatch]) -> list[aws.cloudwatch.MetricAlarm]:
    """Each balancer's `5xx` (the share of 5xx answers, the balancer's own and its targets'),
    `unhealthy` (a target failing its health checks), `latency` (the targets' p95 response time) and
    `in-service` (the group has fewer instances in service than it wants) alarms."""
    alarms = []
    for label, balancer in balancers.items():
        by_balancer = {"LoadBalancer": balancer.load_balancer}
        by_target_group = {"LoadBalancer": balancer.load_balancer, "TargetGroup": balancer.target_group}
        by_group = {"AutoScalingGroupName": balancer.group_name}
        alarms += [
            _metric_math_alarm(
                maker,
                label,
                "5xx",
                "(FILL(balancer, 0) + FILL(targets, 0)) / requests",
                {
                    "balancer": ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", by_balancer),
                    "targets": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", by_balancer),
                    "requests": ("AWS/ApplicationELB", "RequestCount", "Sum", by_balancer),
                },
                f"the {label} answered more than {balancer.max_5xx_rate:.0%} of its requests with a server error",
                balancer.max_5xx_rate,
            ),
            maker.alarm(
                label,
                "unhealthy",
                ("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum"),
                by_target_group,
                f"an instance behind the {label} fails its health checks: the group replaces it after its grace period",
            ),
            maker.alarm(
                label,
                "latency",
                ("AWS/ApplicationELB", "TargetResponseTime", "p95"),
                by_balancer,
                f"the slowest 5% of the {label}'s requests took {balancer.max_p95_response_seconds} s or more",
                threshold=balancer.max_p95_response_seconds,
            ),
            _metric_math_alarm(
                maker,
                label,
                "in-service",
                "desired - inService",
                {
                    "desired": ("AWS/AutoScaling", "GroupDesiredCapacity", "Maximum", by_group),
                    "inService": ("AWS/AutoScaling", "GroupInServiceInstances", "Minimum", by_group),
                },
                f"fewer instances are in service behind the {label} than the group wants",
                1,
            ),
        ]
    return alarms
