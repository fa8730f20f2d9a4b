"""SnapStart's restore hooks: in a SnapStart init (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start) the first
call's setup is done at import and the runtime's hooks are registered; each restored copy then draws
its own random numbers and log sampling. Anywhere else nothing is imported or registered. The
runtime's `snapshot_restore_py` module exists only in Lambda's python3.12+ runtime: a fake stands in."""

from __future__ import annotations

import importlib
import random
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools import Logger

import handlers
from handlers.contract import Env
from handlers.runtime import snapstart
from handlers.runtime.settings import StageSettings
from handlers.runtime.snapstart import SnapStartUnavailable, prepare_snapshot
from handlers.runtime.stage import Stage

STAGE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    Env.IMAGES_TABLE: "images",
    Env.IDEMPOTENCY_TABLE: "idempotency",
    Env.FINGERPRINTS_TABLE: "fingerprints",
    Env.SERVICE_NAME: "test",
    Env.METRICS_NAMESPACE: "imagepipe-test",
}
WEB_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    Env.IMAGES_TABLE: "images",
    Env.USERS_TABLE: "users",
    Env.SESSION_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:session-key",
    Env.IMAGES_BUCKET: "images",
    Env.MAX_UPLOAD_BYTES: "1000000",
    Env.IMAGES_BASE_URL: "https://cdn.example",
    Env.SERVICE_NAME: "web",
}


class RuntimeHooks(ModuleType):
    """What Lambda's `snapshot_restore_py` offers: registration of before-snapshot and after-restore
    callables (with their arguments)."""

    def __init__(self) -> None:
        super().__init__(snapstart.RUNTIME_HOOKS)
        self.before: list[Callable[[], None]] = []
        self.after: list[Callable[[], None]] = []

    def register_before_snapshot(self, func: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        self.before.append(lambda: func(*args, **kwargs))

    def register_after_restore(self, func: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        self.after.append(lambda: func(*args, **kwargs))

    def restore(self) -> None:
        """What Lambda does in a copy it resumes from the snapshot."""
        for hook in self.after:
            hook()


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> RuntimeHooks:
    module = RuntimeHooks()
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS, module)
    return module


@pytest.fixture
def snap_start(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv(snapstart.INITIALIZATION_TYPE, snapstart.SNAP_START)
    return monkeypatch


@pytest.fixture
def on_demand(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv(snapstart.INITIALIZATION_TYPE, raising=False)
    monkeypatch.delitem(sys.modules, snapstart.RUNTIME_HOOKS, raising=False)
    return monkeypatch


def test_a_snap_start_init_does_the_setup_now_and_registers_the_hooks(snap_start, hooks):
    warmed: list[str] = []
    assert prepare_snapshot(lambda: warmed.append("warm")) is True
    assert warmed == ["warm"]
    assert len(hooks.before) == 1 and len(hooks.after) == 1
    hooks.before[0]()  # collects init's garbage; nothing to see but that it runs


def test_each_restored_copy_draws_its_own_random_numbers_then_runs_the_entry_points_steps(snap_start, hooks):
    steps: list[float] = []
    prepare_snapshot(lambda: None, after_restore=[lambda: steps.append(random.random())])
    random.seed(11)
    snapshot = random.getstate()  # what every copy resumes with
    without_hooks = random.random()

    draws = []
    for _ in range(2):
        random.setstate(snapshot)
        hooks.restore()
        draws.append(random.random())
    assert len({without_hooks, *draws}) == 3  # no copy repeats the snapshot's sequence, nor another copy's
    assert len(steps) == 2 and without_hooks not in steps  # each step ran after the reseed


@pytest.mark.parametrize("init_type", [None, "on-demand", "provisioned-concurrency"])
def test_outside_a_snap_start_init_nothing_is_imported_made_or_registered(on_demand, init_type):
    if init_type is not None:
        on_demand.setenv(snapstart.INITIALIZATION_TYPE, init_type)
    warmed: list[str] = []
    assert prepare_snapshot(lambda: warmed.append("warm")) is False
    assert warmed == []
    assert snapstart.RUNTIME_HOOKS not in sys.modules


def test_a_snap_start_init_without_the_runtime_hooks_module_is_a_clear_error(snap_start):
    snap_start.setitem(sys.modules, snapstart.RUNTIME_HOOKS, None)  # importing it raises ImportError
    warmed: list[str] = []
    with pytest.raises(SnapStartUnavailable) as refused:
        prepare_snapshot(lambda: warmed.append("warm"))
    message = str(refused.value)
    assert "AWS_LAMBDA_INITIALIZATION_TYPE=snap-start" in message and "snapshot_restore_py" in message
    assert "python3.12 or python3.13" in message and "imagepipe:lambdaSnapStart" in message
    assert warmed == []


@pytest.fixture
def stage_environment(monkeypatch: pytest.MonkeyPatch) -> list[Logger]:
    """The stage's settings; the loggers whose sampling was drawn again, in order."""
    for name, value in STAGE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    resampled: list[Logger] = []
    monkeypatch.setattr(Logger, "refresh_sample_rate_calculation", lambda logger: resampled.append(logger))
    return resampled


def test_a_stage_in_a_snap_start_init_makes_its_clients_and_worker_at_construction(
    snap_start, hooks, stage_environment
):
    built: list[object] = []

    def build(settings: Any, clients: Any) -> object:
        built.append(clients("s3"))
        return object()

    stage = Stage(StageSettings.from_environment(), build)
    assert len(built) == 1  # before any call: in the snapshot
    prepared = stage.prepare()
    assert stage.prepare() is prepared and len(built) == 1
    assert len(hooks.after) == 1
    hooks.restore()
    assert stage_environment == [stage.logger]  # the copy decides its own log sampling


def test_a_stage_outside_a_snap_start_init_waits_for_its_first_call(on_demand, stage_environment):
    built: list[object] = []
    stage = Stage(StageSettings.from_environment(), lambda settings, clients: built.append(settings) or object())
    assert built == [] and snapstart.RUNTIME_HOOKS not in sys.modules
    stage.prepare()
    assert len(built) == 1


class FakeApp:
    """A WSGI app with a config, as Flask's."""

    def __init__(self, key: bytes) -> None:
        self.config = {"SECRET_KEY": key}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def _import_web_entry(
    monkeypatch: pytest.MonkeyPatch, keys: list[bytes] | None = None
) -> tuple[ModuleType, list[object]]:
    """handlers.web.lambda_entry imported once, anew, with the app factory replaced by one that counts, and the
    session key read from `keys` (the secret's current value is the last one)."""
    for name, value in WEB_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    made: list[object] = []
    keys = keys if keys is not None else [b"k" * 64]

    def app_from_environment(settings: Any) -> Any:
        made.append(settings)
        return FakeApp(keys[-1])

    monkeypatch.setattr("handlers.web.environment.app_from_environment", app_from_environment)
    monkeypatch.setattr("handlers.web.environment.read_session_key", lambda settings: keys[-1])
    monkeypatch.delitem(sys.modules, "handlers.web.lambda_entry", raising=False)  # both given back at teardown
    monkeypatch.delattr(handlers, "api", raising=False)
    return importlib.import_module("handlers.web.lambda_entry"), made


def test_the_web_entry_in_a_snap_start_init_builds_the_app_at_import(snap_start, hooks):
    resampled: list[Logger] = []
    snap_start.setattr(Logger, "refresh_sample_rate_calculation", lambda logger: resampled.append(logger))
    api, made = _import_web_entry(snap_start)
    assert len(made) == 1 and api._serve is not None  # before any request: in the snapshot
    assert api.serve() is api._serve and len(made) == 1
    assert len(hooks.before) == len(hooks.after) == 1
    hooks.restore()
    assert resampled == [api.logger]


def test_a_restored_web_entry_signs_with_the_key_current_at_restore_not_at_snapshot(snap_start, hooks):
    """A key rotated (a new version put) after the version was published reaches every restored copy."""
    keys = [b"a" * 64]
    api, _ = _import_web_entry(snap_start, keys)
    assert api._app.config["SECRET_KEY"] == b"a" * 64  # in the snapshot
    keys.append(b"b" * 64)  # rotated
    hooks.restore()
    assert api._app.config["SECRET_KEY"] == b"b" * 64


def test_the_web_entry_outside_a_snap_start_init_builds_the_app_on_the_first_request(on_demand):
    api, made = _import_web_entry(on_demand)
    assert made == [] and api._serve is None
    assert snapstart.RUNTIME_HOOKS not in sys.modules
    api.serve()
    assert len(made) == 1
