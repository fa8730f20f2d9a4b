"""`python -m harness faults` (harness/faults.py), through its own entry point: the faults file it
writes in the emulator's state folder (a folder of this test's), read back here and by the
executor's reader (imagepipe_lambda_executor/faults.py), which the running executor uses."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from handlers.runtime import stage
from harness import cli, faults
from harness.deployed.stack_state import StackState
from harness.emulator import Emulator, Paths, process
from imagepipe_lambda_executor import faults as executor_faults

PORT = 4999
CHECK_INJECTING = faults.check_injecting
ENHANCE = "imagepipe-local-enhance"
OUTPUTS = {
    "region": "us-east-1",
    "ingest_function": "imagepipe-local-ingest",
    "enhance_function": ENHANCE,
    "enhance_queue_url": "http://127.0.0.1:4999/000000000000/imagepipe-local-enhance",
}


@dataclass
class Run:
    status: int
    out: str
    err: str


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A state folder of this test's, with the local stack deployed in an emulator on PORT that runs
    and has one function outside the stack, `other-fn`."""
    monkeypatch.setenv("IMAGEPIPE_HOME", str(tmp_path))
    layout = Paths(tmp_path)
    StackState("local", f"http://127.0.0.1:{PORT}", "session", outputs=OUTPUTS).save(
        layout.root / "stacks" / "local.json"
    )
    monkeypatch.setattr(faults, "running", lambda local: True)
    monkeypatch.setattr(faults, "check_injecting", lambda local: None)
    monkeypatch.setattr(faults, "function_exists", lambda local, name: name == "other-fn")
    return layout


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    def run(*argv: str) -> Run:
        try:
            status = cli.main(["faults", *argv])
        except SystemExit as exit_:
            status = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


def written(home: Paths) -> dict:
    path = home.lambda_faults(PORT)
    return json.loads(path.read_text())["functions"] if path.exists() else {}


def test_set_writes_the_stages_function_for_the_executor_to_read(home, run):
    result = run("set", "enhance", "--error-rate", "1", "--delay-ms", "250")
    assert result.status == 0, result.err
    assert result.out.startswith(f"{ENHANCE}: 100% of invocations fail with InjectedFault")
    assert "on AWS with FIS: aws:lambda:invocation-error invocationPercentage=100 preventExecution=false" in result.out
    assert "aws:lambda:invocation-add-delay invocationPercentage=100 startupDelayMilliseconds=250" in result.out
    entry = written(home)[ENHANCE]
    assert entry["set_at"]
    assert {k: v for k, v in entry.items() if k != "set_at"} == {
        "error_rate": 1.0,
        "delay_ms": 250,
        "delay_rate": 1.0,
        "prevent_execution": False,
    }
    # what the executor reads of it
    read = executor_faults.read_fault(str(home.lambda_faults(PORT)), ENHANCE)
    assert read == executor_faults.Fault(error_rate=1.0, delay_ms=250)


def test_set_takes_a_deployed_name_or_any_function_of_the_emulator_and_replaces_a_fault(home, run):
    assert run("set", ENHANCE, "--error-rate", "0.2").status == 0
    assert run("set", "other-fn", "--error-rate", "0.5", "--prevent-execution").status == 0
    assert run("set", ENHANCE, "--error-rate", "0.3", "--delay-ms", "10", "--delay-rate", "0.5").status == 0
    functions = written(home)
    assert sorted(functions) == [ENHANCE, "other-fn"]
    assert (functions[ENHANCE]["error_rate"], functions[ENHANCE]["delay_rate"]) == (0.3, 0.5)
    assert functions["other-fn"]["prevent_execution"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--error-rate", "1.5"], "--error-rate is a share of invocations, from 0 to 1: not 1.5"),
        (["--error-rate", "-0.1"], "--error-rate is a share of invocations, from 0 to 1: not -0.1"),
        (["--error-rate", "0", "--delay-ms", "-1"], "--delay-ms is from 0 to 900000"),
        (["--error-rate", "0", "--delay-ms", "900001"], "--delay-ms is from 0 to 900000"),
        (["--error-rate", "0", "--delay-rate", "2"], "--delay-rate is a share of invocations, from 0 to 1: not 2"),
    ],
)
def test_set_refuses_rates_outside_zero_to_one_and_delays_out_of_range(home, run, argv, message):
    result = run("set", "enhance", *argv)
    assert result.status == 1 and message in result.err and result.err.startswith("error: ")
    assert written(home) == {}


def test_set_refuses_an_unknown_function_naming_the_stages(home, run):
    result = run("set", "enhanse", "--error-rate", "1")
    assert result.status == 1
    assert "no function 'enhanse' here: give a function's name or a stage of the stack (enhance, ingest)" in result.err
    assert written(home) == {}


def test_set_needs_the_emulator_running_with_its_executor_told_where_the_faults_are(home, run, monkeypatch):
    monkeypatch.setattr(faults, "check_injecting", CHECK_INJECTING)  # the real one, on a stand-in emulator
    monkeypatch.setattr(faults.emulator, "running", lambda port: None)
    result = run("set", "enhance", "--error-rate", "1")
    assert result.status == 1 and f"no emulator of the harness runs on port {PORT}" in result.err

    this_process = Emulator(f"http://127.0.0.1:{PORT}", PORT, pid=os.getpid(), embedded=True)
    monkeypatch.setattr(faults.emulator, "running", lambda port: this_process)
    if faults.FAULTS_FILE_VARIABLE.encode() in Path(f"/proc/{os.getpid()}/environ").read_bytes():
        pytest.skip("this test process was started with the variable")
    result = run("set", "enhance", "--error-rate", "1")
    assert result.status == 1 and "was started by a harness without fault injection" in result.err
    assert written(home) == {}
    assert faults.FAULTS_FILE_VARIABLE in process.emulator_environment(home, PORT, base={})


def test_a_stack_deployed_elsewhere_has_no_faults(home, run):
    StackState("elsewhere", "http://localstack.internal:4566", None).save(home.root / "stacks" / "elsewhere.json")
    result = run("set", "enhance", "--error-rate", "1", "--stack", "elsewhere")
    assert result.status == 1 and "not in the harness's emulator" in result.err


def test_port_chooses_the_emulator(home, run):
    assert run("set", "enhance", "--error-rate", "1", "--port", "4650").status == 0
    assert written(home) == {} and ENHANCE in json.loads(home.lambda_faults(4650).read_text())["functions"]


def test_list_says_what_is_set(home, run):
    assert run("list").out == f"no faults set (emulator on port {PORT})\n"
    run("set", "enhance", "--error-rate", "0.25", "--delay-ms", "100", "--delay-rate", "0.5")
    listed = run("list").out
    assert listed.startswith(
        f"{ENHANCE}: 25% of invocations fail with InjectedFault (the handler runs and sees it); "
        "50% of invocations wait 100 ms before the handler runs (set "
    )
    (entry,) = json.loads(run("list", "--json").out)
    assert (entry["function"], entry["error_rate"], entry["delay_ms"]) == (ENHANCE, 0.25, 100)


def test_clear_one_then_all(home, run):
    run("set", "enhance", "--error-rate", "1")
    run("set", "ingest", "--error-rate", "1")
    assert run("clear", "enhance").out == f"cleared the fault of {ENHANCE}\n"
    assert sorted(written(home)) == ["imagepipe-local-ingest"]
    assert run("clear", "enhance").out == f"{ENHANCE} had no fault\n"
    run("set", "other-fn", "--error-rate", "1")
    assert run("clear").out == "cleared the faults of imagepipe-local-ingest, other-fn\n"
    assert written(home) == {}
    assert run("clear").out == "no faults were set\n"


def test_clear_of_an_unknown_function_is_an_error_and_changes_nothing(home, run):
    run("set", "enhance", "--error-rate", "1")
    result = run("clear", "nope")
    assert result.status == 1 and "no function 'nope' here" in result.err
    assert sorted(written(home)) == [ENHANCE]


def test_a_broken_faults_file_is_reported_and_clear_starts_it_anew(home, run):
    home.lambda_faults(PORT).parent.mkdir(parents=True, exist_ok=True)
    home.lambda_faults(PORT).write_text("{broken")
    result = run("list")
    assert result.status == 1 and "`faults clear` starts it anew" in result.err
    assert run("clear").status == 0 and written(home) == {}


def test_the_cli_and_the_executor_and_the_stage_agree_on_their_names():
    assert faults.MAX_DELAY_MS == executor_faults.MAX_DELAY_MS
    assert stage.INJECTED_FAULT == executor_faults.FUNCTION_VARIABLE
    assert stage.InjectedFault.__name__ == executor_faults.ERROR_TYPE


def test_the_faults_command_adds_to_the_harness_command_line():
    parser = argparse.ArgumentParser()
    faults.add_faults_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["faults", "set", "enhance", "--error-rate", "0.5", "--delay-ms", "20"])
    assert (args.command, args.faults_action, args.function, args.error_rate, args.delay_ms) == (
        "faults",
        "set",
        "enhance",
        0.5,
        20,
    )
    assert parser.parse_args(["faults", "clear"]).function is None
