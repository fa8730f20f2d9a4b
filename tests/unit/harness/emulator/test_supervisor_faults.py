"""The Lambda runtime supervisor injecting the faults of `python -m harness faults` (faults.py): the
supervisor as a subprocess against a fake LocalStack runtime endpoint (conftest.py), its faults file
written here, as harness/faults.py writes it, and changed between invocations."""

from __future__ import annotations

import json
import random
import re
import textwrap

import pytest

from imagepipe_lambda_executor.faults import FUNCTION_VARIABLE, SEED_VARIABLE, Fault, draw

APP = textwrap.dedent(
    """
    import json, os

    def handler(event, context):
        seen = {"request_id": context.aws_request_id, "fault": os.environ.get("IMAGEPIPE_INJECTED_FAULT")}
        with open(os.environ["RAN_LOG"], "a") as ran:
            ran.write(json.dumps(seen) + "\\n")
        return {**seen, "pid": os.getpid()}
    """
)


@pytest.fixture
def faulty(start_supervisor, tmp_path):
    """start(fault=None, **supervisor options) -> (supervisor, set_fault, ran): `set_fault(fault or
    None)` rewrites the faults file for the function ("fn"); `ran()` is what the handler saw each
    time it ran: its request id and the fault in its environment."""
    faults_file = tmp_path / "lambda-faults.json"
    ran_log = tmp_path / "ran.log"

    def set_fault(fault: dict | None) -> None:
        faults_file.write_text(json.dumps({"functions": {"fn": fault} if fault else {}}))

    def ran() -> list[dict]:
        return [json.loads(line) for line in ran_log.read_text().splitlines()] if ran_log.exists() else []

    def start(fault: dict | None = None, **options):
        set_fault(fault)
        supervisor = start_supervisor(
            {"app.py": APP},
            environment={"RAN_LOG": str(ran_log)},
            args=["--faults-file", str(faults_file)],
            **options,
        )
        return supervisor, set_fault, ran

    return start


def test_an_error_rate_of_one_fails_every_invocation_as_a_function_error_after_the_handler_ran(faulty):
    supervisor, _, ran = faulty({"error_rate": 1.0})
    results = [supervisor.invoke({}) for _ in range(4)]
    assert [result.kind for result in results] == ["error"] * 4
    first = results[0]
    assert first.body == {
        "errorMessage": "fault injected by `python -m harness faults` (error rate 1)",
        "errorType": "InjectedFault",
        "requestId": first.request_id,
        "stackTrace": [],
    }
    # preventExecution false: the handler ran, with its own invocation's fault in its environment
    assert [seen["request_id"] for seen in ran()] == [result.request_id for result in results]
    assert [json.loads(seen["fault"]) for seen in ran()] == [
        {"request_id": result.request_id, "message": first.body["errorMessage"]} for result in results
    ]
    assert "[FAULT] aws:lambda:invocation-error: this invocation fails with InjectedFault" in first.logs
    log = supervisor.log_file.read_text()
    assert log.count("[FAULT] aws:lambda:invocation-error") == 4
    start, end = log.index(f"START RequestId: {first.request_id}"), log.index(f"END RequestId: {first.request_id}")
    assert "[FAULT] aws:lambda:invocation-error" in log[start:end]  # in the function's log, in its invocation


def test_the_fault_leaves_the_environment_with_its_invocation(faulty):
    supervisor, set_fault, ran = faulty({"error_rate": 1.0})
    assert supervisor.invoke({}).kind == "error"
    set_fault(None)
    after = supervisor.invoke({})
    assert after.kind == "response" and after.body["fault"] is None
    assert [seen["fault"] is None for seen in ran()] == [False, True]


def test_the_function_environment_carries_the_request_id_and_message():
    injection = draw(Fault(error_rate=1.0), random.Random(1))
    value = json.loads(injection.function_environment("req-1")[FUNCTION_VARIABLE])
    assert value == {"request_id": "req-1", "message": injection.message()}
    assert draw(Fault(error_rate=1.0, prevent_execution=True), random.Random(1)).function_environment("r") == {}


def test_prevent_execution_answers_the_error_without_running_the_handler(faulty):
    supervisor, _, ran = faulty({"error_rate": 1.0, "prevent_execution": True})
    result = supervisor.invoke({})
    assert result.kind == "error" and result.body["errorType"] == "InjectedFault"
    assert ran() == []
    assert "the handler does not run" in result.logs
    assert f"REPORT RequestId: {result.request_id}" in result.logs


def test_an_error_rate_of_zero_fails_nothing(faulty):
    supervisor, _, ran = faulty({"error_rate": 0.0})
    results = [supervisor.invoke({}) for _ in range(5)]
    assert [result.kind for result in results] == ["response"] * 5
    assert [seen["fault"] for seen in ran()] == [None] * 5
    assert "[FAULT]" not in supervisor.log_file.read_text()


def test_a_seeded_error_rate_fails_the_share_the_seed_draws(faulty):
    supervisor, _, _ = faulty({"error_rate": 0.5}, extra_env={SEED_VARIABLE: "42"})
    kinds = [supervisor.invoke({}).kind for _ in range(24)]
    rng = random.Random("42")
    assert kinds == ["error" if draw(Fault(error_rate=0.5), rng).error else "response" for _ in range(24)]
    assert 0 < kinds.count("error") < 24  # a share, not all or none


def test_a_delay_runs_before_the_handler_and_counts_in_the_duration(faulty):
    supervisor, _, _ = faulty({"error_rate": 0.0, "delay_ms": 400})
    warm = supervisor.invoke({})  # the first may pay the worker's start
    result = supervisor.invoke({})
    assert warm.kind == result.kind == "response"
    assert result.elapsed >= 0.4
    assert "[FAULT] aws:lambda:invocation-add-delay: 400 ms before the handler runs" in result.logs
    assert float(re.search(r"\tDuration: ([\d.]+) ms", result.logs).group(1)) >= 400


def test_a_delay_past_the_timeout_times_the_invocation_out(faulty):
    supervisor, _, ran = faulty({"error_rate": 0.0, "delay_ms": 5000}, timeout=1)
    result = supervisor.invoke({})
    assert result.kind == "error" and "Task timed out after 1.00 seconds" in result.body["errorMessage"]
    assert ran() == [] and result.elapsed < 4


def test_a_changed_fault_counts_from_the_next_invocation_in_the_same_environment(faulty):
    supervisor, set_fault, _ = faulty(None)
    first = supervisor.invoke({})
    set_fault({"error_rate": 1.0})
    assert supervisor.invoke({}).kind == "error"
    set_fault(None)
    last = supervisor.invoke({})
    assert first.kind == last.kind == "response" and last.body["pid"] == first.body["pid"]  # no restart


def test_an_unreadable_faults_file_injects_nothing(faulty, tmp_path):
    supervisor, _, _ = faulty(None)
    (tmp_path / "lambda-faults.json").write_text("{not json")
    assert supervisor.invoke({}).kind == "response"
    (tmp_path / "lambda-faults.json").write_text(json.dumps({"functions": {"fn": {"error_rate": 7}}}))
    assert supervisor.invoke({}).kind == "response"
