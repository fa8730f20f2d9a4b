"""`python -m harness bench` stops only the emulator it started itself. The emulator module is
stubbed: nothing here starts LocalStack or looks at one that runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness import cli, emulator
from harness.emulator import Emulator

PORT = 4599


class FakeEmulators:
    """What `harness.emulator` would report and do on PORT, as a test arranges it."""

    def __init__(self) -> None:
        self.current: Emulator | None = None  # what `running()` finds
        self.on_start: Callable[[], Emulator] = lambda: self.launch(pid=1001)
        self.stopped: list[int | None] = []

    def launch(self, pid: int, *, by_us: bool = True) -> Emulator:
        self.current = Emulator(f"http://127.0.0.1:{PORT}", PORT, pid=pid, embedded=True, launched=by_us)
        return self.current

    def running(self, port: int = PORT, **_: Any) -> Emulator | None:
        assert port == PORT
        return self.current

    def start(self, port: int = PORT, **_: Any) -> Emulator:
        assert port == PORT
        return self.on_start()

    def stop(self, port: int = PORT, **_: Any) -> bool:
        assert port == PORT
        self.stopped.append(self.current.pid if self.current else None)
        self.current = None
        return True


@pytest.fixture
def emulators(monkeypatch: pytest.MonkeyPatch) -> FakeEmulators:
    fake = FakeEmulators()
    monkeypatch.setattr(emulator, "running", fake.running)
    monkeypatch.setattr(emulator, "start", fake.start)
    monkeypatch.setattr(emulator, "stop", fake.stop)
    monkeypatch.setattr(emulator, "ensure_installed", lambda **_: None)
    deployed = SimpleNamespace(seconds=0.1, created=1, updated=0, unchanged=0, deleted=0, outputs={"deployed": 1})
    monkeypatch.setattr(cli, "run_program", lambda *_, **__: deployed)
    monkeypatch.setattr(cli, "stack_outputs", lambda stack: {"stack": stack})
    monkeypatch.setattr(cli, "session_of", lambda endpoint_url: None)
    # The CDN edge is a process of its own (tests/unit/harness/edge): none is started or stopped here.
    monkeypatch.setattr(cli.edge, "serve", lambda *_, **__: None)
    monkeypatch.setattr(cli.edge, "stop_if_stale", lambda *_, **__: False)
    monkeypatch.setattr(cli.edge, "stop", lambda *_, **__: False)
    monkeypatch.setattr(cli.edge, "stop_all", lambda *_, **__: [])
    # So is the instances tier's fleet (tests/unit/harness/fleet): a serverless stack has none.
    monkeypatch.setattr(cli.fleet, "serve", lambda *_, **__: None)
    monkeypatch.setattr(cli.fleet, "stop_all", lambda *_, **__: [])
    return fake


def _bench(monkeypatch: pytest.MonkeyPatch, section: Callable[[Callable[[str], dict]], None]) -> None:
    """Run `measure` with `section` in place of the benchmark: it gets the stack_outputs callable."""

    def fake_run_bench(sections: tuple[str, ...], json_path: Path, say: Any, stack_outputs: Any) -> dict:
        section(stack_outputs)
        return {}

    monkeypatch.setattr(cli, "run_bench", fake_run_bench)
    cli.measure(None, Path("unused.json"), PORT)


def test_an_emulator_another_process_starts_during_the_bench_is_left_running(
    emulators: FakeEmulators, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--only coldstart`: the bench starts nothing; meanwhile `make up` elsewhere starts one
    _bench(monkeypatch, lambda stack_outputs: emulators.launch(pid=2002, by_us=False))
    assert emulators.stopped == []
    assert emulators.current is not None and emulators.current.pid == 2002


def test_the_emulator_the_pipeline_section_started_is_stopped_after(
    emulators: FakeEmulators, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs: list[dict] = []
    _bench(monkeypatch, lambda stack_outputs: outputs.append(stack_outputs(cli.DEFAULT_STACK)))
    ((deployed,),) = [outputs]  # the outputs of the deploy it made, not the state file's
    assert deployed["deployed"] == 1 and deployed["endpoint_url"]
    assert emulators.stopped == [1001]


def test_the_emulator_the_pipeline_section_started_is_stopped_when_the_section_fails(
    emulators: FakeEmulators, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(stack_outputs: Callable[[], dict]) -> None:
        stack_outputs(cli.DEFAULT_STACK)
        raise cli.BenchError("an upload was not processed in time")

    with pytest.raises(cli.BenchError):
        _bench(monkeypatch, failing)
    assert emulators.stopped == [1001]


def test_an_emulator_started_elsewhere_just_before_the_pipeline_section_is_left_running(
    emulators: FakeEmulators, monkeypatch: pytest.MonkeyPatch
) -> None:
    # nothing runs when the bench looks, but by the time it starts one another process has:
    # start() finds that one running and returns it, not launched by us
    emulators.on_start = lambda: emulators.launch(pid=3003, by_us=False)
    _bench(monkeypatch, lambda stack_outputs: stack_outputs(cli.DEFAULT_STACK))
    assert emulators.stopped == []


def test_a_running_emulator_the_pipeline_section_uses_is_left_running(
    emulators: FakeEmulators, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulators.launch(pid=4004, by_us=False)
    emulators.on_start = lambda: pytest.fail("nothing to start: one is running")
    _bench(monkeypatch, lambda stack_outputs: stack_outputs(cli.DEFAULT_STACK))
    assert emulators.stopped == []


def test_an_emulator_that_replaced_ours_during_the_bench_is_left_running(
    emulators: FakeEmulators, monkeypatch: pytest.MonkeyPatch
) -> None:
    def section(stack_outputs: Callable[[], dict]) -> None:
        stack_outputs(cli.DEFAULT_STACK)  # ours (1001) starts, then dies; another process starts its own
        emulators.launch(pid=5005, by_us=False)

    _bench(monkeypatch, section)
    assert emulators.stopped == []


def test_destroying_a_stack_that_is_not_deployed_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "state_path", lambda stack: tmp_path / f"{stack}.json")
    assert cli.main(["destroy", "--stack", "nowhere"]) == 1
    assert "stack 'nowhere' is not deployed: nothing to destroy" in capsys.readouterr().err
