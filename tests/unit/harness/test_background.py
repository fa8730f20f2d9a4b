"""The one lifecycle of the harness's background processes (harness/background.py): launched in a
session of their own with a log, told from a reused pid, stopped with everything they started."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from harness import background
from harness.polling import wait_until

# A process that starts a child in a session of its own (as LocalStack starts Lambda runtimes),
# writes the child's pid, and waits; SIGTERM leaves the child behind.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
open(sys.argv[1], "w").write(str(child.pid))
print("started", flush=True)
time.sleep(60)
"""


def test_a_launched_process_logs_is_ours_and_stops_with_what_it_started(tmp_path: Path):
    script, child_file, log = tmp_path / "parent.py", tmp_path / "child.pid", tmp_path / "logs" / "parent.log"
    script.write_text(PARENT)
    process = background.launch([sys.executable, str(script), str(child_file)], log=log, cwd=tmp_path)
    child = int(wait_until(lambda: child_file.exists() and child_file.read_text(), timeout=10))
    assert background.alive(process.pid) and background.alive(child)
    assert background.runs_module(process.pid, str(script)) and not background.runs_module(process.pid, "harness.edge")
    assert child in background.descendants(process.pid)

    background.stop(process.pid, grace=2, family=True)
    assert not background.alive(process.pid)
    wait_until(lambda: not background.alive(child), timeout=5, what="the orphaned child to be killed")
    assert "started" in background.log_tail(log)


def test_without_its_family_only_the_process_itself_is_stopped(tmp_path: Path):
    script, child_file = tmp_path / "parent.py", tmp_path / "child.pid"
    script.write_text(PARENT)
    process = background.launch([sys.executable, str(script), str(child_file)], log=tmp_path / "p.log", cwd=tmp_path)
    child = int(wait_until(lambda: child_file.exists() and child_file.read_text(), timeout=10))
    background.stop(process.pid, grace=2)
    time.sleep(0.2)
    assert not background.alive(process.pid) and background.alive(child)
    background.stop(child, grace=1)
    assert not background.alive(child)


def test_a_missing_log_says_so():
    assert background.log_tail(Path("/nonexistent/imagepipe.log")) == "    (no log)"
