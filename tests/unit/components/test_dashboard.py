"""The operator's dashboard the program declares, read as CloudWatch reads its body: a row for every
stage with its queue, dead-letter queue, oldest message, errors, throttles and p95 duration; the web
tier of either kind with the alarms' 5xx share and latency; images processed and rejected per hour
from what the functions really count. Every metric names resources the program declares, by the
dimensions AWS gives them, and the body keeps within CloudWatch's limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from components.dashboard import GRID_WIDTH, PROCESSED, REJECTED
from handlers.contract import METRICS_NAMESPACE, Env
from harness.samples import pdf_document, photo_jpeg
from tests.unit.components.conftest import Recorded, run_program
from tests.unit.handlers.conftest import aws, context, fresh, sqs_batch  # noqa: F401 - fixtures

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
FUNCTION = "aws:lambda/function:Function"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
STAGES = ("ingest", "enhance", "removal", "notify", "mail", "metadata", "review")
# The dimensions AWS gives each namespace's metrics (and Powertools its EMF metrics), as sets.
DIMENSIONS = {
    "AWS/SQS": [{"QueueName"}],
    "AWS/Lambda": [{"FunctionName"}],
    "AWS/ApiGateway": [{"ApiName", "Stage"}],
    "AWS/ApplicationELB": [{"LoadBalancer"}, {"LoadBalancer", "TargetGroup"}],
    METRICS_NAMESPACE: [{"service"}],
}
# CloudWatch's limits (its dashboard body structure; its quotas, the lower figures of their history).
MAX_WIDGETS, MAX_METRICS_PER_WIDGET, MAX_METRICS = 500, 100, 500
STATISTIC = re.compile(r"SampleCount|Average|Sum|Minimum|Maximum|p\d{1,2}(\.\d+)?")
METRIC_ID = re.compile(r"[a-z][A-Za-z0-9_]*")
METRIC_REFERENCE = re.compile(r"\b[a-z][A-Za-z0-9_]*\b")  # in an expression (its functions are in capitals)


@pytest.fixture(scope="module")
def instances() -> Recorded:
    return run_program({"imagepipe:webTier": "instances"})


@pytest.fixture(params=["serverless", "instances"])
def declared(request: pytest.FixtureRequest) -> Recorded:
    """The program of either web tier."""
    return request.getfixturevalue("program" if request.param == "serverless" else "instances")


def _body(declared: Recorded) -> dict[str, Any]:
    (dashboard,) = declared.of_type(DASHBOARD).values()
    return json.loads(dashboard["dashboardBody"])


def _graphs(declared: Recorded) -> dict[str, dict[str, Any]]:
    """The metric widgets' properties by title."""
    return {w["properties"]["title"]: w["properties"] for w in _body(declared)["widgets"] if w["type"] == "metric"}


def _metrics(graph: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """A graph's metrics (not its expressions): namespace, name, dimensions, rendering."""
    for entry in graph["metrics"]:
        if isinstance(entry[0], str):
            namespace, name, *rest = entry
            rendering = rest.pop() if rest and isinstance(rest[-1], dict) else {}
            yield namespace, name, dict(zip(rest[::2], rest[1::2], strict=True)), rendering


def _expressions(graph: dict[str, Any]) -> dict[str, str]:
    return {entry[0]["id"]: entry[0]["expression"] for entry in graph["metrics"] if isinstance(entry[0], dict)}


def _shown(graph: dict[str, Any]) -> set[tuple[str, str, tuple[tuple[str, str], ...], str]]:
    """What a graph charts: namespace, name, dimensions and statistic of each metric."""
    return {(ns, name, tuple(sorted(dims.items())), rendering["stat"]) for ns, name, dims, rendering in _metrics(graph)}


def _last(arn: str) -> str:
    return arn.split(":")[-1]


def _stage_feeds(declared: Recorded) -> dict[str, dict[str, str | None]]:
    """Each stage's function, the queue feeding it and where its failed work goes, as the program
    wires them (event source mappings, redrive policies), by the service name the function is given."""
    queues = {queue["name"]: queue for queue in declared.of_type(QUEUE).values()}
    functions = {function["name"]: function for function in declared.of_type(FUNCTION).values()}
    feeds = {}
    for mapping in declared.of_type(MAPPING).values():  # the web function has none: API Gateway invokes it
        function = functions[_last(mapping["functionName"])]
        source = mapping["eventSourceArn"]
        if source.startswith("arn:aws:sqs:"):
            queue = _last(source)
            parked = _last(json.loads(queues[queue]["redrivePolicy"])["deadLetterTargetArn"])
        else:
            queue, parked = None, _last(mapping["destinationConfig"]["onFailure"]["destinationArn"])
        service = function["environment"]["variables"][Env.SERVICE_NAME]
        feeds[service] = {"function": function["name"], "queue": queue, "parked": parked}
    return feeds


def test_the_program_declares_the_dashboard_and_exports_its_name(program):
    (name,) = program.of_type(DASHBOARD)
    dashboard = program.one(DASHBOARD, name)
    assert dashboard["dashboardName"] == program.outputs["dashboard_name"] == "imagepipe-local-us-east-1-operations"
    assert program.parents[(DASHBOARD, name)] == "imagepipe:operations:Dashboard"


def test_every_stage_has_a_row_of_its_queues_function_errors_and_duration(declared):
    feeds = _stage_feeds(declared)
    assert set(feeds) == set(STAGES)
    graphs = _graphs(declared)
    for stage in STAGES:
        feed = feeds[stage]
        function = (("FunctionName", feed["function"]),)
        row = {title.split(": ", 1)[1]: graph for title, graph in graphs.items() if title.startswith(f"{stage}: ")}
        assert len(row) == 4, f"{stage}: {sorted(row)}"
        assert _shown(row["errors and throttles"]) == {
            ("AWS/Lambda", "Errors", function, "Sum"),
            ("AWS/Lambda", "Throttles", function, "Sum"),
        }
        assert _shown(row["duration p95"]) == {("AWS/Lambda", "Duration", function, "p95")}
        parked = ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", feed["parked"]),), "Maximum")
        if feed["queue"] is None:  # notify reads the records' stream: its iterator's age, in seconds
            assert _shown(row["changes parked"]) == {parked}
            assert _shown(row["oldest waiting"]) == {("AWS/Lambda", "IteratorAge", function, "Maximum")}
            assert _expressions(row["oldest waiting"]) == {"oldest": "iterator / 1000"}
            continue
        queue = (("QueueName", feed["queue"]),)
        assert _shown(row["messages waiting and parked"]) == {
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum"),
            parked,
        }
        assert _shown(row["oldest waiting"]) == {("AWS/SQS", "ApproximateAgeOfOldestMessage", queue, "Maximum")}


def _alarm(declared: Recorded, name: str) -> dict[str, Any]:
    (alarm,) = [alarm for alarm in declared.of_type(ALARM).values() if alarm["name"] == name]
    return alarm


def test_the_serverless_web_tier_shows_the_apis_5xx_share_and_latency_as_its_alarms_watch_them(program):
    graphs = _graphs(program)
    share, latency = graphs["web api: 5xx share"], graphs["web api: latency p95"]
    alarm_5xx, alarm_latency = (_alarm(program, f"imagepipe-local-api-{kind}") for kind in ("5xx", "latency"))
    (stage,) = program.of_type("aws:apigateway/stage:Stage").values()
    (api,) = program.of_type("aws:apigateway/restApi:RestApi").values()
    assert alarm_5xx["dimensions"] == {"ApiName": api["name"], "Stage": stage["stageName"]}
    by_stage = tuple(sorted(alarm_5xx["dimensions"].items()))
    assert _shown(share) == {
        ("AWS/ApiGateway", "5XXError", by_stage, "Average"),
        ("AWS/ApiGateway", "Count", by_stage, "Sum"),
    }
    assert (alarm_5xx["metricName"], alarm_5xx["statistic"]) == ("5XXError", "Average")
    assert _expressions(share) == {"share": "100 * errors"}
    assert _shown(latency) == {("AWS/ApiGateway", "Latency", by_stage, alarm_latency["extendedStatistic"])}
    assert share["annotations"]["horizontal"][0]["value"] == pytest.approx(100 * alarm_5xx["threshold"])
    assert latency["annotations"]["horizontal"][0]["value"] == alarm_latency["threshold"]
    assert not any(title.startswith("web balancer") for title in graphs)


def test_the_instances_tier_shows_the_balancers_5xx_share_response_time_and_targets(instances):
    graphs = _graphs(instances)
    assert not any(namespace == "AWS/ApiGateway" for graph in graphs.values() for namespace, *_ in _metrics(graph))
    (balancer,) = instances.of_type("aws:lb/loadBalancer:LoadBalancer").values()
    (group,) = instances.of_type("aws:lb/targetGroup:TargetGroup").values()
    by_balancer = (("LoadBalancer", f"app/{balancer['name']}/50dc6c495c0c9188"),)  # the mocks' ARN suffixes
    by_target_group = (*by_balancer, ("TargetGroup", f"targetgroup/{group['name']}/73e2d6bc24d8a067"))

    share = graphs["web balancer: 5xx share"]
    alarm = _alarm(instances, "imagepipe-local-balancer-5xx")
    (expression,) = [query for query in alarm["metricQueries"] if "expression" in query]
    assert _expressions(share) == {"share": f"100 * ({expression['expression']})"}  # the alarm's share, in %
    ids = {rendering["id"]: (name, dims, rendering["stat"]) for _, name, dims, rendering in _metrics(share)}
    assert ids == {
        query["id"]: (query["metric"]["metricName"], query["metric"]["dimensions"], query["metric"]["stat"])
        for query in alarm["metricQueries"]
        if "metric" in query
    }
    assert all(dims == dict(by_balancer) for _, dims, _ in ids.values())
    response = graphs["web balancer: target response time p95"]
    assert _shown(response) == {("AWS/ApplicationELB", "TargetResponseTime", by_balancer, "p95")}
    latency = _alarm(instances, "imagepipe-local-balancer-latency")
    assert response["annotations"]["horizontal"][0]["value"] == latency["threshold"]
    assert _shown(graphs["web balancer: targets"]) == {
        ("AWS/ApplicationELB", "HealthyHostCount", by_target_group, "Minimum"),
        ("AWS/ApplicationELB", "UnHealthyHostCount", by_target_group, "Maximum"),
    }


def test_images_per_hour_sum_the_functions_counts_per_hour(program):
    graph = _graphs(program)["Images per hour"]
    assert _shown(graph) == {
        (METRICS_NAMESPACE, count.metric, (("service", count.service),), "Sum") for count in (*PROCESSED, *REJECTED)
    }
    assert _expressions(graph) == {
        "processed": "3600 * (FILL(processed0, 0)) / PERIOD(processed0)",
        "rejected": "3600 * (FILL(rejected0, 0) + FILL(rejected1, 0)) / PERIOD(rejected0)",
    }


def test_every_metric_names_resources_the_program_declares_by_their_dimensions(declared):
    functions = declared.of_type(FUNCTION).values()
    stage_variables = [
        f["environment"]["variables"] for f in functions if Env.METRICS_NAMESPACE in f["environment"]["variables"]
    ]
    names = {
        "QueueName": {queue["name"] for queue in declared.of_type(QUEUE).values()},
        "FunctionName": {function["name"] for function in functions},
        "ApiName": {api["name"] for api in declared.of_type("aws:apigateway/restApi:RestApi").values()},
        "Stage": {stage["stageName"] for stage in declared.of_type("aws:apigateway/stage:Stage").values()},
        "LoadBalancer": {
            f"app/{lb['name']}/50dc6c495c0c9188" for lb in declared.of_type("aws:lb/loadBalancer:LoadBalancer").values()
        },
        "TargetGroup": {
            f"targetgroup/{tg['name']}/73e2d6bc24d8a067"
            for tg in declared.of_type("aws:lb/targetGroup:TargetGroup").values()
        },
        # Powertools' EMF metrics: the service of a function that counts, in the namespace it is given.
        "service": {variables[Env.SERVICE_NAME] for variables in stage_variables},
    }
    assert {variables[Env.METRICS_NAMESPACE] for variables in stage_variables} == {METRICS_NAMESPACE}
    for graph in _graphs(declared).values():
        for namespace, name, dimensions, _ in _metrics(graph):
            assert set(dimensions) in DIMENSIONS[namespace], f"{namespace} {name} by {sorted(dimensions)}"
            for dimension, value in dimensions.items():
                assert value in names[dimension], f"{graph['title']}: {name} names {dimension} {value!r}"


def _check_graph(widget: dict[str, Any]) -> int:
    """A metric widget as CloudWatch takes one; how many metrics and expressions it queries."""
    properties = widget["properties"]
    assert properties["region"] == "us-east-1" and properties["view"] == "timeSeries"
    assert properties["period"] >= 60 and properties["period"] % 60 == 0
    entries = properties["metrics"]
    assert 1 <= len(entries) <= MAX_METRICS_PER_WIDGET
    ids = [e[-1]["id"] for e in entries if isinstance(e[-1], dict) and "id" in e[-1]]
    assert len(ids) == len(set(ids)) and all(METRIC_ID.fullmatch(id_) for id_ in ids)
    for entry in entries:
        if isinstance(entry[0], dict):  # [{expression, label, id}], over the widget's metrics by their ids
            assert len(entry) == 1 and set(METRIC_REFERENCE.findall(entry[0]["expression"])) <= set(ids)
            continue
        namespace, name, *rest = entry
        assert isinstance(namespace, str) and isinstance(name, str) and isinstance(rest[-1], dict)
        assert len(rest[:-1]) % 2 == 0 and all(isinstance(part, str) and part for part in rest[:-1])
        assert STATISTIC.fullmatch(rest[-1]["stat"])
    for annotation in properties.get("annotations", {}).get("horizontal", []):
        assert isinstance(annotation["value"], int | float)
    return len(entries)


def test_the_body_is_one_cloudwatch_takes(declared):
    (dashboard,) = declared.of_type(DASHBOARD).values()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", dashboard["dashboardName"])
    body = _body(declared)
    assert body["periodOverride"] in ("auto", "inherit") and re.fullmatch(r"-PT\d+[MH]", body["start"])
    widgets = body["widgets"]
    assert 0 < len(widgets) <= MAX_WIDGETS
    cells: set[tuple[int, int]] = set()
    metrics = 0
    for widget in widgets:
        assert widget["type"] in ("metric", "text")
        assert 0 <= widget["x"] <= widget["x"] + widget["width"] <= GRID_WIDTH and widget["y"] >= 0
        assert 1 <= widget["width"] <= GRID_WIDTH and 1 <= widget["height"] <= 1000
        covered = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not covered & cells, f"{widget['properties'].get('title')} overlaps another widget"
        cells |= covered
        metrics += _check_graph(widget) if widget["type"] == "metric" else 0
    assert metrics <= MAX_METRICS
    assert widgets[0]["type"] == "text" and all(stage in widgets[0]["properties"]["markdown"] for stage in STAGES)


def _counted(out: str) -> set[tuple[str, str, str]]:
    """The counts a handler flushed (CloudWatch's embedded metric format, on stdout): namespace,
    service and metric of each."""
    counted = set()
    for line in out.splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if isinstance(blob, dict) and "_aws" in blob:
            for definition in blob["_aws"]["CloudWatchMetrics"]:
                assert definition["Dimensions"] == [["service"]]
                counted |= {(definition["Namespace"], blob["service"], m["Name"]) for m in definition["Metrics"]}
    return counted


def test_the_counts_charted_are_what_ingest_and_enhance_count(aws, context, program, monkeypatch, capsys):  # noqa: F811
    """Run the real handlers under the environment the program gives them (service, namespace):
    what they count of a rejected and a processed upload, and of one enhance rejects, is what the
    dashboard sums."""
    from handlers.imaging import ImageRejected

    functions = program.of_type(FUNCTION)

    def stage(name: str) -> Any:
        for variable in (Env.SERVICE_NAME, Env.METRICS_NAMESPACE):
            monkeypatch.setenv(variable, functions[name]["environment"]["variables"][variable])
        return fresh(f"handlers.imaging_functions.{name}")

    ingest = stage("ingest")
    ingest.handler(sqs_batch(aws.upload("uploads/ann/invoice.jpg", pdf_document())), context)
    for key in ("uploads/ann/beach.jpg", "uploads/ann/broken.jpg"):
        ingest.handler(sqs_batch(aws.upload(key, photo_jpeg(64, 48, seed=len(key)))), context)
    first, second = aws.enhance_requests()
    enhance = stage("enhance")
    enhance.handler(sqs_batch(first), context)

    def corrupt(*args: Any) -> None:  # pixels that do not decode: enhance rejects the upload
        raise ImageRejected("the image data is corrupt", "corrupt")

    with monkeypatch.context() as patch:
        patch.setattr("handlers.imaging_functions.publishing.render", corrupt)
        enhance.handler(sqs_batch(second), context)

    counted = _counted(capsys.readouterr().out)
    charted = {(METRICS_NAMESPACE, count.service, count.metric) for count in (*PROCESSED, *REJECTED)}
    assert charted <= counted, f"charted but never counted: {charted - counted}"
    assert (METRICS_NAMESPACE, "ingest", "UploadsPending") in counted  # accepted is not yet processed
