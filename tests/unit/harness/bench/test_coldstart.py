"""Cold start measurement: a fresh interpreter, the package first on the path, the function's
environment; the web function's first request against a moto server."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from harness.bench import footprint, webstart
from harness.bench.coldstart import (
    FUNCTION_ENVIRONMENT,
    HANDLERS,
    SDK_FLOOR,
    SETUP,
    Probe,
    Start,
    cold_start_ms,
    floor_probe,
    function_of,
    probe,
    row,
    unpacked_package,
    web_probes,
)

ROOT = Path(__file__).resolve().parents[4]


def test_an_import_is_timed_in_a_fresh_interpreter_with_the_function_environment(tmp_path):
    (tmp_path / "probe.py").write_text(
        "import os, sys\n"
        f"assert os.environ['IMAGES_TABLE'] == {FUNCTION_ENVIRONMENT['IMAGES_TABLE']!r}\n"
        f"assert sys.path[1] == {str(tmp_path)!r} or {str(tmp_path)!r} in sys.path\n"
        "import time; time.sleep(0.05)\n"
    )
    imported, setup, warm, sdk = cold_start_ms("probe", tmp_path, sys.executable)
    assert imported >= 50 and setup < 5  # a module without a stage has nothing to set up
    assert warm is None and sdk is None


def test_the_first_call_setup_of_a_stage_is_timed_after_its_import(tmp_path):
    (tmp_path / "staged.py").write_text(
        "import time\nclass Stage:\n    def prepare(self):\n        time.sleep(0.05)\nstage = Stage()\n"
    )
    imported, setup, _, sdk = cold_start_ms("staged", tmp_path, sys.executable)
    assert setup >= 50 and imported < setup
    assert sdk is not None and 0 < sdk < setup  # the first call's `import boto3`, then the stage's setup


def test_a_probe_lists_the_modules_it_loaded_and_can_report_its_imports(tmp_path):
    (tmp_path / "staged.py").write_text(
        "import colorsys\nclass Stage:\n    def prepare(self):\n        pass\nstage = Stage()\n"
    )
    timings = probe("staged", tmp_path, sys.executable, importtime=True)
    assert {"staged", "colorsys", "boto3", "botocore"} <= set(timings["modules"])
    before, after = timings["importtime"].split(footprint.PROBE_MARK)
    assert "| json" in before and "colorsys" not in before  # the probe's own imports come first
    assert "| colorsys" in after and "| boto3" in after


def test_a_module_that_fails_to_import_says_why(tmp_path):
    (tmp_path / "broken.py").write_text("raise ImportError('no such thing here')\n")
    with pytest.raises(RuntimeError, match="no such thing here"):
        cold_start_ms("broken", tmp_path, sys.executable)


HANDLER = """
def handler(event, context):
    assert context.function_name and context.aws_request_id and context.get_remaining_time_in_millis() > 0
    headers = {"Set-Cookie": ["session=abc; HttpOnly; Path=/"]} if event["path"] == "/api/session" else {}
    status = 200 if event["path"] != "/api/missing" else 404
    return {"statusCode": status, "multiValueHeaders": headers, "body": json.dumps(event["path"])}
"""


def test_a_handler_is_called_with_each_event_after_its_import(tmp_path):
    (tmp_path / "web.py").write_text("import json\n" + HANDLER)
    health = webstart.proxy_event("GET", "/api/health")
    start = cold_start_ms("web", tmp_path, sys.executable, (health, health))
    assert isinstance(start, Start) and start.warm_ms is not None
    assert start.import_ms > 0 and start.first_ms > 0


def test_an_answer_other_than_200_names_the_request_and_status(tmp_path):
    (tmp_path / "web.py").write_text("import json\n" + HANDLER)
    with pytest.raises(RuntimeError, match='web answered GET /api/missing with 404: "/api/missing"'):
        cold_start_ms("web", tmp_path, sys.executable, (webstart.proxy_event("GET", "/api/missing"),))


def test_a_row_holds_the_medians_and_the_total_per_interpreter():
    samples = [Start(100.0, 300.0, 2.0), Start(140.0, 200.0, 4.0), Start(120.0, 260.0, 3.0)]
    figures = row(Probe("handlers.web.lambda_entry", "GET /api/health"), samples)
    assert figures == {
        "handler": "handlers.web.lambda_entry",
        "first_call": "GET /api/health",
        "import_ms": 120.0,
        "setup_ms": 260.0,
        "init_ms": 380.0,  # the median of 400, 340, 380: each interpreter's own total
        "warm_ms": 3.0,
        "samples_ms": [[100.0, 300.0, 2.0], [140.0, 200.0, 4.0], [120.0, 260.0, 3.0]],
    }
    staged = row(
        Probe("handlers.imaging_functions.ingest"), [Start(100.0, 300.0, None, 120.0), Start(110.0, 280.0, None, 100.0)]
    )
    assert staged["first_call"] == SETUP and "warm_ms" not in staged and staged["sdk_ms"] == 110.0
    assert staged["samples_ms"] == [[100.0, 300.0], [110.0, 280.0]]


def test_the_sdk_floor_imports_the_sdk_and_makes_one_client_on_its_first_call(tmp_path):
    floor = floor_probe(tmp_path / "floor")
    (tmp_path / "package").mkdir()
    timings = probe(floor.handler, tmp_path / "package", sys.executable, environment=floor.environment)
    assert timings["sdk_ms"] > 0 and timings["calls_ms"][0] > timings["sdk_ms"]
    assert {"boto3", "botocore", SDK_FLOOR} <= set(timings["modules"]) and "handlers" not in timings["modules"]


def test_each_handler_is_its_functions_entry_point():
    assert [function_of(h) for h in (*HANDLERS, webstart.HANDLER)] == [
        "ingest", "enhance", "removal", "notify", "mail", "commands", "web"
    ]  # fmt: skip


def test_a_proxy_event_is_the_rest_apis_with_its_query_and_cookie():
    event = webstart.proxy_event("GET", "/api/images", cookie="session=abc", query={"limit": "1"})
    assert (event["httpMethod"], event["path"], event["resource"]) == ("GET", "/api/images", "/{proxy+}")
    assert event["multiValueHeaders"]["Cookie"] == ["session=abc"] and event["headers"]["Cookie"] == "session=abc"
    assert event["queryStringParameters"] == {"limit": "1"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["1"]}
    signed_in = webstart.sign_in_event()
    assert json.loads(signed_in["body"]) == {"username": webstart.USER, "password": webstart.PASSWORD}
    assert webstart.session_cookie("session=abc.def; Secure; HttpOnly; Path=/") == "session=abc.def"


def test_the_web_functions_first_requests_run_against_moto_signed_in():
    """The real entry point (handlers.web.lambda_entry from this checkout, this interpreter), the moto backend."""
    with webstart.web_backend(FUNCTION_ENVIRONMENT["IMAGES_TABLE"]) as backend:
        probes = web_probes(ROOT, sys.executable, backend)
        assert [probe.first_call for probe in probes] == ["GET /api/health", "GET /api/images?limit=1"]
        images = probes[1]
        assert images.events[0]["headers"]["Cookie"].startswith("session=")
        start = cold_start_ms(images.handler, ROOT, sys.executable, images.events, images.environment)
        assert start.warm_ms is not None  # both requests answered 200 (anything else raises)


def test_a_package_is_unpacked_once_and_its_older_contents_removed(tmp_path):
    def package(digest: str, text: str) -> Path:
        path = tmp_path / f"handlers-stage-python3.11-x86_64-{digest}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("handlers/__init__.py", text)
        return path

    cache = tmp_path / "bench"
    other = cache / "handlers-web-python3.11-x86_64-0000"
    other.mkdir(parents=True)
    old = unpacked_package(cache, package("aaaa", "old"))
    assert (old / "handlers" / "__init__.py").read_text() == "old"
    new = unpacked_package(cache, package("bbbb", "new"))
    assert (new / "handlers" / "__init__.py").read_text() == "new"
    assert not old.exists() and other.exists()  # another package's contents are not this one's
    assert (
        unpacked_package(cache, package("bbbb", "changed")) == new
        and (new / "handlers" / "__init__.py").read_text() == "new"
    )
