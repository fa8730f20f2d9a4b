"""CloudWatch: metric alarms on one metric with its dimensions, by a statistic (Sum, Average, ...) or
an extended one (a percentile such as p95)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
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
            "Namespace": inputs.take("namespace"),
            "MetricName": inputs.take("metricName"),
            "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(inputs.take("dimensions", {}).items())],
            "Period": inputs.take("period"),
            "EvaluationPeriods": inputs.take("evaluationPeriods"),
            "Threshold": float(inputs.take("threshold")),
            "ComparisonOperator": inputs.take("comparisonOperator"),
            "TreatMissingData": inputs.take("treatMissingData", "missing"),
            "AlarmActions": inputs.take("alarmActions", []),
            "OKActions": inputs.take("okActions", []),
            "ActionsEnabled": inputs.take("actionsEnabled", True),
        }
        statistic, extended = inputs.take("statistic", None), inputs.take("extendedStatistic", None)
        if (statistic is None) == (extended is None):
            raise DeployError(f"{inputs.where}: an alarm needs exactly one of statistic and extendedStatistic")
        settings.update({"Statistic": statistic} if statistic else {"ExtendedStatistic": extended})
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
