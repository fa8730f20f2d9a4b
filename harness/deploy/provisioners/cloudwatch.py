"""CloudWatch: metric alarms on one metric with its dimensions, by a statistic (Sum, Average, ...) or
an extended one (a percentile such as p95), or on a metric-math expression over metric queries; and
dashboards, whose body is checked as AWS checks its outline, since neither emulator does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deploy.provisioners.ec2_vpc import unless_gone
from harness.deployed.stack_state import ResourceRecord


@dataclass(frozen=True)
class MetricAlarmSpec:
    """An alarm: its name, and its settings as PutMetricAlarm takes them (the name among them)."""

    name: str
    settings: dict[str, Any]


class MetricAlarm(Provisioner[MetricAlarmSpec]):
    type_token = "aws:cloudwatch/metricAlarm:MetricAlarm"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> MetricAlarmSpec:
        alarm = physical_name(inputs, name, previous, max_length=255)
        settings: dict[str, Any] = {
            "AlarmName": alarm,
            "AlarmDescription": inputs.take("alarmDescription", ""),
            "EvaluationPeriods": inputs.take("evaluationPeriods"),
            "Threshold": float(inputs.take("threshold")),
            "ComparisonOperator": inputs.take("comparisonOperator"),
            "TreatMissingData": inputs.take("treatMissingData", "missing"),
            "AlarmActions": inputs.take("alarmActions", []),
            "OKActions": inputs.take("okActions", []),
            "ActionsEnabled": inputs.take("actionsEnabled", True),
        }
        queries = [_metric_query(query) for query in inputs.each("metricQueries")]
        if queries:
            settings["Metrics"] = queries
        else:
            settings.update(_one_metric(inputs))
        return MetricAlarmSpec(alarm, settings)

    def apply(self, ctx: Context, spec: MetricAlarmSpec, previous: ResourceRecord | None) -> Applied:
        alarm = spec.name
        cloudwatch = ctx.client("cloudwatch")
        if previous is not None and previous.id != alarm:
            self.delete(ctx, previous)
        cloudwatch.put_metric_alarm(**spec.settings)  # creates or replaces in place
        return Applied(alarm, {"name": alarm, "arn": ctx.arn("cloudwatch", f"alarm:{alarm}")})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("cloudwatch").delete_alarms(AlarmNames=[record.id])


def _one_metric(inputs: Inputs) -> dict[str, Any]:
    """An alarm's one metric: namespace, name, dimensions, period and (extended) statistic."""
    metric: dict[str, Any] = {
        "Namespace": inputs.take("namespace"),
        "MetricName": inputs.take("metricName"),
        "Dimensions": _dimensions(inputs.take("dimensions", {})),
        "Period": inputs.take("period"),
    }
    statistic, extended = inputs.take("statistic", None), inputs.take("extendedStatistic", None)
    if (statistic is None) == (extended is None):
        raise DeployError(f"{inputs.where}: an alarm needs exactly one of statistic and extendedStatistic")
    metric.update({"Statistic": statistic} if statistic else {"ExtendedStatistic": extended})
    return metric


def _metric_query(query: Inputs) -> dict[str, Any]:
    """One metric query of a metric-math alarm: an expression, or a metric by its statistic."""
    read: dict[str, Any] = {"Id": query.take("id"), "ReturnData": bool(query.take("returnData", False))}
    if (label := query.take("label", None)) is not None:
        read["Label"] = label
    expression, metric = query.take("expression", None), query.sub("metric")
    if expression is not None and metric is None:
        read["Expression"] = expression
        return read
    if metric is None or expression is not None:
        raise DeployError(f"{query.where}: input '{query.path}' needs exactly one of expression and metric")
    read["MetricStat"] = {
        "Metric": {
            "Namespace": metric.take("namespace"),
            "MetricName": metric.take("metricName"),
            "Dimensions": _dimensions(metric.take("dimensions", {})),
        },
        "Period": metric.take("period"),
        "Stat": metric.take("stat"),
    }
    return read


def _dimensions(dimensions: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in sorted(dimensions.items())]


MAX_WIDGETS = 500  # a dashboard body's widgets at most (CloudWatch's dashboard body structure)


@dataclass(frozen=True)
class DashboardSpec:
    """A dashboard: its name, and its body (CloudWatch's JSON) as PutDashboard takes it."""

    name: str
    body: str


class Dashboard(Provisioner[DashboardSpec]):
    type_token = "aws:cloudwatch/dashboard:Dashboard"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> DashboardSpec:
        return DashboardSpec(inputs.take("dashboardName"), inputs.take("dashboardBody"))

    def validate(self, where: str, spec: DashboardSpec) -> None:
        """Refuse a body AWS would: not a JSON object with a `widgets` array of at most 500. LocalStack
        stores any text and moto any JSON, so here only this check stands for AWS's."""
        try:
            body = json.loads(spec.body)
        except ValueError as error:
            raise DeployError(f"{where}: the dashboard body is not JSON: {error}") from None
        widgets = body.get("widgets") if isinstance(body, dict) else None
        if not isinstance(widgets, list):
            raise DeployError(f"{where}: the dashboard body must be a JSON object with a 'widgets' array")
        if len(widgets) > MAX_WIDGETS:
            raise DeployError(f"{where}: the dashboard has {len(widgets)} widgets, more than {MAX_WIDGETS}")

    def apply(self, ctx: Context, spec: DashboardSpec, previous: ResourceRecord | None) -> Applied:
        cloudwatch = ctx.client("cloudwatch")
        answer = cloudwatch.put_dashboard(DashboardName=spec.name, DashboardBody=spec.body)  # creates or replaces
        if messages := answer.get("DashboardValidationMessages"):
            problems = "; ".join(f"{m.get('DataPath', '')}: {m.get('Message', '')}" for m in messages)
            raise DeployError(f"dashboard {spec.name!r}: CloudWatch found problems in its body: {problems}")
        if previous is not None and previous.id != spec.name:  # renamed: the new one is there, the old goes
            self.delete(ctx, previous)
        arn = cloudwatch.get_dashboard(DashboardName=spec.name)["DashboardArn"]
        return Applied(spec.name, {"dashboardName": spec.name, "dashboardArn": arn, "dashboardBody": spec.body})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        with unless_gone("ResourceNotFound"):  # deleted by hand meanwhile
            ctx.client("cloudwatch").delete_dashboards(DashboardNames=[record.id])
