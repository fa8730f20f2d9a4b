"""The garbage collector during a cold start: paused in a function's process from the first import of
`handlers` until the first call's setup is done, then what exists is frozen; left alone elsewhere."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.runtime import gc_pause

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """The collector as the test found it, and nothing left frozen by the test."""
    enabled = gc.isenabled()
    yield
    gc_pause._paused = False
    gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_outside_a_function_the_collector_is_left_alone(restored_gc: None) -> None:
    assert gc.isenabled()
    assert gc_pause.pause({}) is False and gc.isenabled()
    assert gc_pause.resume() is False and gc.isenabled() and gc.get_freeze_count() == 0


def test_in_a_function_it_is_paused_then_frozen_and_resumed_once(restored_gc: None) -> None:
    assert gc_pause.pause({gc_pause.LAMBDA_ENVIRONMENT: "imagepipe-ingest"}) is True
    assert not gc.isenabled()
    assert gc_pause.pause({gc_pause.LAMBDA_ENVIRONMENT: "imagepipe-ingest"}) is False  # once
    made = [[] for _ in range(1000)]  # what an init makes
    assert gc_pause.resume() is True
    assert gc.isenabled() and gc.get_freeze_count() >= len(made)
    assert gc_pause.resume() is False  # a second setup does nothing


def test_a_collector_someone_else_turned_off_stays_off(restored_gc: None) -> None:
    gc.disable()
    assert gc_pause.pause({gc_pause.LAMBDA_ENVIRONMENT: "fn"}) is False
    assert gc_pause.resume() is False and not gc.isenabled()


PROBE = """
import gc, json, os, sys
import handlers.imaging_functions.ingest
paused = not gc.isenabled()
try:
    handlers.imaging_functions.ingest.stage.prepare()
except Exception as error:
    failed = type(error).__name__
else:
    failed = None
print(json.dumps({"paused_after_import": paused, "enabled_after_setup": gc.isenabled(),
                  "frozen": gc.get_freeze_count(), "failed": failed}))
"""


def _function_process(environment: dict[str, str]) -> dict[str, object]:
    """A fresh interpreter importing the ingest handler, then making its first call's setup."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1", **environment}
    env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "IMAGES_TABLE": "images"})
    env.update({"IDEMPOTENCY_TABLE": "idempotency", "ENHANCE_QUEUE_URL": "https://sqs.example/queue"})
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_functions_process_runs_its_init_without_the_collector_and_freezes_what_it_made() -> None:
    seen = _function_process({gc_pause.LAMBDA_ENVIRONMENT: "imagepipe-ingest"})
    assert seen["failed"] is None
    assert seen["paused_after_import"] is True and seen["enabled_after_setup"] is True
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 10_000  # modules, classes, models, clients


def test_other_processes_importing_the_handlers_keep_the_collector_running() -> None:
    seen = _function_process({})
    assert seen["paused_after_import"] is False and seen["frozen"] == 0
