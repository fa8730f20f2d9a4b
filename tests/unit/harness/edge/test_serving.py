"""The edge as `python -m harness up` runs it: a process of its own serving the deploy state's
distributions on their ports, replaced on each redeploy, stopped by `down`; and the deploy state's
distributions read back with the policies they name."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from harness.deployed.stack_state import StackState
from harness.edge import model
from harness.edge import serving as process
from harness.edge.stack import EdgeConfigError, load_stack, stack_of
from harness.emulator.state_folder import Paths
from tests.unit.harness.edge.conftest import VARIANT

STACK = "test"  # the stack the `deployed` fixture replays


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def layout(tmp_path: Path):
    paths = Paths(tmp_path / "home")
    yield paths
    process.stop_all(paths)


def test_the_edge_serves_the_deployed_distribution_until_stopped(deployed, layout):
    served = process.serve(deployed.state_path, layout=layout)
    assert served is not None and served.urls == [deployed.outputs["cdn_url"]]
    assert process.running(layout, STACK) == served
    status, headers, body = _get(f"{served.urls[0]}/api/health?probe=1")
    assert status == 200 and headers["X-Cache"] == "Miss from edge"
    assert json.loads(body)["target"] == "/prod/api/health?probe=1"
    # S3 is read as the origin access control allows: the bucket in moto has no policy (see conftest)
    status, _, body = _get(f"{served.urls[0]}/{VARIANT}")
    assert status == 403 and b"AccessDenied" in body

    again = process.serve(deployed.state_path, layout=layout)  # a redeploy: a new edge, same port
    assert again is not None and again.pid != served.pid and again.ports == served.ports
    assert _get(f"{again.urls[0]}/api/health")[0] == 200

    assert process.stop(layout=layout, stack=STACK) is True
    assert process.running(layout, STACK) is None and not _listening(served.ports[0])
    assert process.stop(layout=layout, stack=STACK) is False


def test_an_answer_has_one_server_and_one_date_the_origins_when_it_gave_them(deployed, layout):
    served = process.serve(deployed.state_path, layout=layout)
    assert served is not None
    for path, server in (("/api/health", "Werkzeug"), ("/images/thumbnail/x.jpg", None)):
        connection = http.client.HTTPConnection("127.0.0.1", served.ports[0], timeout=10)
        connection.request("DELETE" if server is None else "GET", path)  # DELETE on /images/*: the edge refuses it
        response = connection.getresponse()
        response.read()
        connection.close()
        servers, dates = response.headers.get_all("Server"), response.headers.get_all("Date")
        assert len(servers) == 1 and len(dates) == 1, (path, servers, dates)
        assert servers[0].startswith(server) if server else servers[0] == "imagepipe-edge"


def test_an_edge_of_another_emulator_session_is_stopped_before_a_redeploy(deployed, layout):
    served = process.serve(deployed.state_path, layout=layout)
    assert served is not None and served.session == "session-1"  # the replay's (tests/replaying.py)
    assert (
        process.stop_if_stale("session-1", layout=layout, stack=STACK) is False
        and process.running(layout, STACK) is not None
    )
    assert (
        process.stop_if_stale("after-restart", layout=layout, stack=STACK) is True
        and process.running(layout, STACK) is None
    )


def test_a_stack_without_distributions_has_no_edge(deployed, layout, tmp_path):
    empty = tmp_path / "empty.json"
    StackState("test", "http://127.0.0.1:1", None).save(empty)
    process.serve(deployed.state_path, layout=layout)
    assert process.serve(empty, layout=layout) is None
    assert process.running(layout, STACK) is None


def test_a_port_another_program_holds_is_named(deployed, layout):
    port = deployed.site.distribution.port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(process.EdgeError, match=f"port\\(s\\) {port}: another program listens there"):
            process.serve(deployed.state_path, layout=layout)


def test_a_distribution_naming_a_policy_the_stack_lacks_is_refused_naming_it(deployed, tmp_path, layout):
    state = StackState.load(deployed.state_path)
    assert state is not None
    (key,) = [
        k for k, r in state.resources.items() if r.type == "aws:cloudfront/originRequestPolicy:OriginRequestPolicy"
    ]
    missing = state.resources.pop(key).id
    with pytest.raises(EdgeConfigError, match=f"origin request policy {missing} \\(/api/\\*\\)"):
        stack_of(state)
    function = next(key for key, record in state.resources.items() if record.type == model.FUNCTION_TYPE)
    arn = state.resources.pop(function).outputs["arn"]
    with pytest.raises(EdgeConfigError, match=f"function {arn} \\(/images/auto/\\*\\)"):
        stack_of(state)
    broken = tmp_path / "broken.json"
    state.save(broken)
    with pytest.raises(process.EdgeError, match="AWS's managed ones are not known"):
        process.serve(broken, layout=layout)


def test_the_deploy_state_gives_each_distribution_its_policies(deployed):
    (site,) = load_stack(deployed.state_path).sites
    behaviours = {b.path_pattern: b for b in site.distribution.behaviours}
    assert list(behaviours) == ["/images/auto/*", "/images/*", "/api/*", "*"]
    assert site.cache_policies[behaviours["/api/*"].cache_policy_id].caching_disabled
    negotiated = site.functions[behaviours["/images/auto/*"].viewer_request_function]
    assert (negotiated.runtime, "function handler(event)" in negotiated.code) == ("cloudfront-js-2.0", True)
    assert {b.viewer_request_function for p, b in behaviours.items() if p != "/images/auto/*"} == {None}
    assert site.cache_policies[behaviours["/images/*"].cache_policy_id].max_ttl == 31_536_000
    assert site.request_policies[behaviours["/api/*"].origin_request_policy_id].cookies.behavior == "all"
    assert behaviours["*"].origin_request_policy_id is None  # the dashboard takes no cookie
    images = site.distribution.origin("images")
    assert site.access_controls[images.access_control_id].signing_behavior == "always"
    assert load_stack(Path("/nonexistent/state.json")).sites == ()


def test_each_stack_has_its_edge_and_a_port_another_stacks_edge_holds_is_named(deployed, layout, tmp_path):
    served = process.serve(deployed.state_path, layout=layout)
    assert served is not None and process.served_stacks(layout) == [STACK]
    data = json.loads(deployed.state_path.read_text())
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**data, "stack": "other"}))  # its distribution on the same port
    with pytest.raises(process.EdgeError, match=r"another program listens there \(the edge of stack 'test'\)"):
        process.serve(other, layout=layout)
    assert process.running(layout, STACK) == served  # the first stack's edge is kept
    assert process.running(layout, "other") is None
    assert process.stop_all(layout) == [STACK] and not _listening(served.ports[0])
