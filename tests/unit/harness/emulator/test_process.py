"""Finding, attaching to and stopping emulators, without starting LocalStack."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import emulator
from harness.emulator import EmulatorError
from harness.emulator.state_folder import Paths


@pytest.fixture
def fake_localstack():
    """Something that answers /_localstack/health like LocalStack."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"services": {"s3": "running"}, "version": "4.9.2"}).encode()
            self.send_response(200 if self.path == "/_localstack/health" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_attach_uses_a_running_emulator_without_starting_anything(fake_localstack):
    attached = emulator.attach(fake_localstack + "/", region="eu-west-1")
    assert attached.endpoint_url == fake_localstack
    assert attached.region == "eu-west-1"
    assert attached.pid is None and not attached.embedded
    assert attached.stop() is False  # someone else's: left alone


def test_attach_to_nothing_is_a_clear_error():
    with pytest.raises(EmulatorError, match=r"Nothing answers at http://127.0.0.1:9"):
        emulator.attach("http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(EmulatorError, match="is not a URL"):
        emulator.attach("localhost:4566")


def test_a_stale_state_file_is_not_a_running_emulator(tmp_path):
    layout = Paths(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    layout.state_file(4620).write_text(
        json.dumps({"pid": gone.pid, "port": 4620, "endpoint_url": "http://127.0.0.1:4620"})
    )
    assert emulator.running(4620, layout=layout) is None
    assert not layout.state_file(4620).exists()
    assert emulator.stop(4620, layout=layout) is False


def test_stop_leaves_a_process_that_is_not_the_emulator_alone(tmp_path):
    layout = Paths(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        layout.state_file(4621).write_text(
            json.dumps({"pid": other.pid, "port": 4621, "endpoint_url": "http://127.0.0.1:4621"})
        )
        assert emulator.stop(4621, layout=layout) is False
        assert other.poll() is None
        assert not layout.state_file(4621).exists()
    finally:
        other.kill()
        other.wait()


def test_start_says_it_launched_nothing_when_it_finds_one_running(tmp_path, monkeypatch):
    from harness.emulator import process

    other = emulator.Emulator("http://127.0.0.1:4622", 4622, pid=4242, embedded=True)
    monkeypatch.setattr(process, "running", lambda port, layout=None: other if port == 4622 else None)
    found = emulator.start(4622, layout=Paths(tmp_path), progress=lambda _: None)
    assert found is other and not found.launched  # someone else's to stop, not this caller's


def _stand_in(layout: Paths, port: int, code: str) -> subprocess.Popen:
    """A process stop() takes for the emulator (its command line names LocalStack's main module)."""
    process = subprocess.Popen([sys.executable, "-c", code, "localstack.runtime.main"], start_new_session=True)
    layout.state_file(port).write_text(
        json.dumps({"pid": process.pid, "port": port, "endpoint_url": f"http://127.0.0.1:{port}"})
    )
    return process


@pytest.mark.parametrize(
    ("code", "grace", "most_seconds"),
    [
        ("import time; time.sleep(30)", 10.0, 5.0),  # ends on SIGTERM: no need to wait out the grace
        ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(30)", 0.5, 5.0),
    ],
    ids=["ends-on-sigterm", "ignores-sigterm"],
)
def test_stop_waits_for_the_emulator_to_end_then_kills_it(tmp_path, code, grace, most_seconds):
    layout = Paths(tmp_path)
    process = _stand_in(layout, 4623, code)
    try:
        time.sleep(0.3)  # let it install its signal handler
        started = time.monotonic()
        assert emulator.stop(4623, layout=layout, grace=grace) is True
        assert time.monotonic() - started < most_seconds
        assert process.wait(timeout=5) in (-signal.SIGTERM, -signal.SIGKILL)
        assert not layout.state_file(4623).exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
