"""CloudWatch metric alarms, provisioned into moto and read back. (moto stores alarms but does not
evaluate them against metrics, so an alarm firing is tested end to end in tests/e2e, not here.)"""

from __future__ import annotations

from typing import Any

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import cloudwatch, sns

ALARM = cloudwatch.MetricAlarm.type_token
TOPIC = sns.Topic.type_token


def _alarm(moto, name: str) -> dict[str, Any] | None:
    alarms = moto.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarms[0] if alarms else None


def _errors_alarm(name: str, topic_arn: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "alarmDescription": "ingest errors",
        "namespace": "AWS/Lambda",
        "metricName": "Errors",
        "dimensions": {"FunctionName": "ingest"},
        "statistic": "Sum",
        "period": 60,
        "evaluationPeriods": 1,
        "threshold": 0,
        "comparisonOperator": "GreaterThanThreshold",
        "treatMissingData": "notBreaching",
        "alarmActions": [topic_arn],
        "okActions": [topic_arn],
        **changes,
    }


@pytest.fixture
def topic(provisioned, unique) -> str:
    return provisioned.apply(TOPIC, "alerts", {"name": unique("alerts")}).id


def test_an_alarm_is_created_with_its_metric_threshold_and_actions(moto, provisioned, unique, topic):
    name = unique("ingest-errors")
    alarm = provisioned.apply(ALARM, "errors", _errors_alarm(name, topic))
    described = _alarm(moto, name)
    assert (alarm.id, alarm.outputs["arn"]) == (name, described["AlarmArn"])
    assert (described["Namespace"], described["MetricName"], described["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    assert described["Dimensions"] == [{"Name": "FunctionName", "Value": "ingest"}]
    assert (described["Period"], described["EvaluationPeriods"], described["Threshold"]) == (60, 1, 0.0)
    assert (described["ComparisonOperator"], described["TreatMissingData"]) == ("GreaterThanThreshold", "notBreaching")
    assert (described["AlarmActions"], described["OKActions"]) == ([topic], [topic])
    assert (described["AlarmDescription"], described["ActionsEnabled"]) == ("ingest errors", True)


def test_an_alarm_is_updated_in_place(moto, provisioned, unique, topic):
    name = unique("ingest-errors")
    first = provisioned.apply(ALARM, "errors", _errors_alarm(name, topic))
    second = provisioned.apply(
        ALARM, "errors", _errors_alarm(name, topic, threshold=5, okActions=None, actionsEnabled=False)
    )
    assert second.outputs["arn"] == first.outputs["arn"]
    described = _alarm(moto, name)
    assert (described["Threshold"], described["OKActions"], described["ActionsEnabled"]) == (5.0, [], False)


def test_an_alarm_on_a_percentile(moto, provisioned, unique, topic):
    name = unique("api-latency")
    provisioned.apply(ALARM, "latency", _errors_alarm(name, topic, statistic=None, extendedStatistic="p95"))
    described = _alarm(moto, name)
    assert described["ExtendedStatistic"] == "p95" and "Statistic" not in described


@pytest.mark.parametrize("statistics", [{"statistic": None}, {"extendedStatistic": "p95"}])
def test_an_alarm_needs_exactly_one_statistic(moto, provisioned, unique, topic, statistics):
    name = unique("unsure")
    with pytest.raises(DeployError, match="exactly one of statistic and extendedStatistic"):
        provisioned.apply(ALARM, "errors", _errors_alarm(name, topic, **statistics))
    assert _alarm(moto, name) is None


def test_a_renamed_alarm_replaces_the_old_one(moto, provisioned, unique, topic):
    old_name, new_name = unique("before"), unique("after")
    provisioned.apply(ALARM, "errors", _errors_alarm(old_name, topic))
    provisioned.apply(ALARM, "errors", _errors_alarm(new_name, topic))
    assert _alarm(moto, new_name) is not None
    assert _alarm(moto, old_name) is None


def test_a_deleted_alarm_is_gone(moto, provisioned, unique, topic):
    name = unique("gone")
    provisioned.apply(ALARM, "errors", _errors_alarm(name, topic))
    provisioned.delete(ALARM, "errors")
    assert _alarm(moto, name) is None


def test_an_alarm_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, topic):
    name = unique("strict")
    with pytest.raises(
        UnsupportedInput, match=r"^aws:cloudwatch/metricAlarm:MetricAlarm 'errors': .*'datapointsToAlarm'"
    ):
        provisioned.apply(ALARM, "errors", _errors_alarm(name, topic, datapointsToAlarm=2))
    assert _alarm(moto, name) is None


def _share_alarm(name: str, **expression: Any) -> dict[str, Any]:
    def metric(metric_id: str, metric_name: str) -> dict[str, Any]:
        stat = {"namespace": "AWS/ApplicationELB", "metricName": metric_name, "period": 60, "stat": "Sum"}
        return {"id": metric_id, "metric": {**stat, "dimensions": {"LoadBalancer": "app/web/1"}}}

    return {
        "name": name,
        "metricQueries": [
            {"id": "e1", "expression": "errors / requests", "label": "5xx", "returnData": True, **expression},
            metric("errors", "HTTPCode_Target_5XX_Count"),
            metric("requests", "RequestCount"),
        ],
        "evaluationPeriods": 1,
        "threshold": 0.05,
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "treatMissingData": "notBreaching",
    }


def test_a_metric_math_alarm_is_created_with_its_queries(moto, provisioned, unique):
    name = unique("share")
    provisioned.apply(ALARM, "share", _share_alarm(name))
    alarm = _alarm(moto, name)
    assert alarm is not None and "MetricName" not in alarm
    expression, errors, requests = alarm["Metrics"]
    assert (expression["Id"], expression["Expression"], expression["ReturnData"]) == ("e1", "errors / requests", True)
    assert errors["MetricStat"]["Metric"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert errors["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "LoadBalancer", "Value": "app/web/1"}]
    assert (requests["MetricStat"]["Stat"], requests["ReturnData"]) == ("Sum", False)


def test_a_metric_query_with_both_an_expression_and_a_metric_is_refused(provisioned, unique):
    both = {"metric": {"namespace": "AWS/ApplicationELB", "metricName": "RequestCount", "period": 60, "stat": "Sum"}}
    with pytest.raises(DeployError, match="needs exactly one of expression and metric"):
        provisioned.apply(ALARM, "share", _share_alarm(unique("share"), **both))
