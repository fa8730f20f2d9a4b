"""Cold start measurement: a fresh interpreter, the package first on the path, the function's environment."""

from __future__ import annotations

import sys

import pytest

from harness.bench.coldstart import FUNCTION_ENVIRONMENT, cold_start_ms


def test_an_import_is_timed_in_a_fresh_interpreter_with_the_function_environment(tmp_path):
    (tmp_path / "probe.py").write_text(
        "import os, sys\n"
        f"assert os.environ['IMAGES_TABLE'] == {FUNCTION_ENVIRONMENT['IMAGES_TABLE']!r}\n"
        f"assert sys.path[1] == {str(tmp_path)!r} or {str(tmp_path)!r} in sys.path\n"
        "import time; time.sleep(0.05)\n"
    )
    imported, setup = cold_start_ms("probe", tmp_path, sys.executable)
    assert imported >= 50 and setup < 5  # a module without a stage has nothing to set up


def test_the_first_call_setup_of_a_stage_is_timed_after_its_import(tmp_path):
    (tmp_path / "staged.py").write_text(
        "import time\nclass Stage:\n    def prepare(self):\n        time.sleep(0.05)\nstage = Stage()\n"
    )
    imported, setup = cold_start_ms("staged", tmp_path, sys.executable)
    assert setup >= 50 and imported < setup


def test_a_module_that_fails_to_import_says_why(tmp_path):
    (tmp_path / "broken.py").write_text("raise ImportError('no such thing here')\n")
    with pytest.raises(RuntimeError, match="no such thing here"):
        cold_start_ms("broken", tmp_path, sys.executable)
