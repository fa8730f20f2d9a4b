"""CloudWatch dashboards, provisioned into moto and read back; a body AWS would refuse is refused
before anything is applied (neither emulator checks one: LocalStack stores any text)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import cloudwatch

DASHBOARD = cloudwatch.Dashboard.type_token


def _body(*titles: str) -> str:
    widgets = [
        {
            "type": "metric",
            "x": 6 * index,
            "y": 0,
            "width": 6,
            "height": 6,
            "properties": {
                "title": title,
                "region": "us-east-1",
                "metrics": [["AWS/Lambda", "Errors", "FunctionName", "ingest", {"stat": "Sum"}]],
            },
        }
        for index, title in enumerate(titles)
    ]
    return json.dumps({"start": "-PT3H", "widgets": widgets})


def _inputs(name: str, body: str, **changes: Any) -> dict[str, Any]:
    return {"dashboardName": name, "dashboardBody": body, **changes}


def _dashboard(moto, name: str) -> dict[str, Any] | None:
    cloudwatch = moto.client("cloudwatch")
    names = [
        entry["DashboardName"] for entry in cloudwatch.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    ]
    return cloudwatch.get_dashboard(DashboardName=name) if name in names else None


def test_a_dashboard_is_created_with_its_body(moto, provisioned, unique):
    name = unique("operations")
    dashboard = provisioned.apply(DASHBOARD, "dashboard", _inputs(name, _body("ingest errors")))
    described = _dashboard(moto, name)
    assert described is not None and json.loads(described["DashboardBody"]) == json.loads(_body("ingest errors"))
    assert dashboard.id == name
    assert dashboard.outputs == {
        "dashboardName": name,
        "dashboardArn": described["DashboardArn"],
        "dashboardBody": _body("ingest errors"),
    }


def test_a_dashboard_is_updated_in_place(moto, provisioned, unique):
    name = unique("operations")
    first = provisioned.apply(DASHBOARD, "dashboard", _inputs(name, _body("ingest errors")))
    second = provisioned.apply(DASHBOARD, "dashboard", _inputs(name, _body("ingest errors", "enhance errors")))
    assert second.outputs["dashboardArn"] == first.outputs["dashboardArn"]
    described = _dashboard(moto, name)
    assert described is not None and len(json.loads(described["DashboardBody"])["widgets"]) == 2


def test_a_renamed_dashboard_replaces_the_old_one(moto, provisioned, unique):
    old_name, new_name = unique("before"), unique("after")
    provisioned.apply(DASHBOARD, "dashboard", _inputs(old_name, _body("ingest errors")))
    provisioned.apply(DASHBOARD, "dashboard", _inputs(new_name, _body("ingest errors")))
    assert _dashboard(moto, new_name) is not None
    assert _dashboard(moto, old_name) is None


def test_a_deleted_dashboard_is_gone_even_one_deleted_by_hand_before(moto, provisioned, unique):
    name, by_hand = unique("gone"), unique("by-hand")
    provisioned.apply(DASHBOARD, "dashboard", _inputs(name, _body("ingest errors")))
    provisioned.apply(DASHBOARD, "other", _inputs(by_hand, _body("ingest errors")))
    provisioned.delete(DASHBOARD, "dashboard")
    assert _dashboard(moto, name) is None
    moto.client("cloudwatch").delete_dashboards(DashboardNames=[by_hand])
    provisioned.delete(DASHBOARD, "other")  # already gone: nothing to do


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ("not json", "the dashboard body is not JSON"),
        (json.dumps({"start": "-PT3H"}), "a JSON object with a 'widgets' array"),
        (json.dumps([{"type": "text"}]), "a JSON object with a 'widgets' array"),
        (json.dumps({"widgets": [{"type": "text", "properties": {"markdown": "x"}}] * 501}), "501 widgets"),
    ],
)
def test_a_body_aws_would_refuse_stops_the_deploy_before_anything_is_applied(moto, provisioned, unique, body, refusal):
    name = unique("refused")
    with pytest.raises(DeployError, match=rf"^aws:cloudwatch/dashboard:Dashboard 'dashboard': .*{refusal}"):
        provisioned.apply(DASHBOARD, "dashboard", _inputs(name, body))
    assert _dashboard(moto, name) is None


def test_a_dashboard_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=r"^aws:cloudwatch/dashboard:Dashboard 'dashboard': .*'region'"):
        provisioned.apply(DASHBOARD, "dashboard", _inputs(name, _body("ingest errors"), region="eu-west-1"))
    assert _dashboard(moto, name) is None
