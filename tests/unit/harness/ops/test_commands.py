"""`python -m harness status` and `redrive` through the command line's entry point: an AWS stack from
its outputs file (in-process moto, the caller's credentials from the environment), the local stack
from its outputs (a moto server on loopback, reached by its endpoint as the emulator is), and the
errors an operator can meet: a bad or missing outputs file, an unknown stage, an endpoint down."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness import cli
from harness.aws import AwsTarget
from harness.ops.stack import Deployed
from tests.unit.harness.ops.conftest import counts, dead_letter_url, drain, make_stack


@dataclass
class Run:
    status: int
    out: str
    err: str


@pytest.fixture
def harness(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `python -m harness <argv>`: its exit status and what it printed."""

    def run(*argv: str) -> Run:
        try:
            status = cli.main(list(argv))
        except SystemExit as exit_:  # argparse refusing the command line
            status = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


@pytest.fixture
def outputs_file(deployed: Deployed, tmp_path: Path) -> Path:
    """`pulumi stack output --json > prod.json` of the stack in moto."""
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(dict(deployed.outputs)))
    return path


def park(deployed: Deployed, stage: str, bodies: list[str]) -> str:
    sqs = deployed.clients("sqs")
    parked = dead_letter_url(sqs, deployed.outputs[f"{stage}_queue_url"])
    for body in bodies:
        sqs.send_message(QueueUrl=parked, MessageBody=body)
    return parked


# --- an AWS stack, from its outputs file -----------------------------------------------------------


def test_status_of_an_aws_stack_as_json(harness, deployed, outputs_file):
    park(deployed, "enhance", ["a", "b"])
    run = harness("status", "--outputs", str(outputs_file), "--json")
    assert (run.status, run.err) == (0, "")
    shown = json.loads(run.out)
    assert set(shown) == {"queues", "alarms", "functions"}
    enhance = next(queue for queue in shown["queues"] if queue["stage"] == "enhance")
    assert enhance["dead_letter"] == {"name": deployed.outputs["enhance_function"] + "-dlq", "visible": 2}


def test_status_of_an_aws_stack_as_a_table(harness, deployed, outputs_file):
    run = harness("status", "--outputs", str(outputs_file))
    assert run.status == 0
    lines = run.out.splitlines()
    assert lines[1].split()[:3] == ["queue", "stage", "visible"]  # after a blank line, nothing of the emulator
    assert any(line.split()[:2] == [deployed.outputs["review_function"], "review"] for line in lines)
    assert any(line.startswith("function") for line in lines)


def test_redrive_of_an_aws_stack_moves_the_parked_messages(harness, deployed, outputs_file):
    parked = park(deployed, "enhance", ["a", "b"])
    dry = harness("redrive", "enhance", "--outputs", str(outputs_file), "--dry-run")
    assert dry.status == 0 and "2 message(s) parked" in dry.out and "(dry run: nothing moved)" in dry.out
    assert counts(deployed.clients("sqs"), parked) == (2, 0)

    run = harness("redrive", "enhance", "--outputs", str(outputs_file))
    assert run.status == 0
    assert run.out.startswith("enhance: moved 2 message(s) from ")
    assert sorted(m["Body"] for m in drain(deployed.clients("sqs"), deployed.outputs["enhance_queue_url"])) == [
        "a",
        "b",
    ]


def test_an_unknown_stage_is_refused_naming_the_stages(harness, outputs_file):
    run = harness("redrive", "enhancer", "--outputs", str(outputs_file))
    assert run.status == 2
    assert "invalid choice: 'enhancer' (choose from 'ingest', 'enhance', 'removal', 'notify', 'mail'" in run.err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read the outputs file {path}: No such file or directory"),
        ("{not json", "{path} is not JSON (expected `pulumi stack output --json`)"),
        ('["images_bucket"]', "{path} is not a JSON object of stack outputs"),
        ('{"endpoint_url": "http://127.0.0.1:4566"}', "{path} describes a stack in an emulator"),
        ('{"region": ""}', "{path}: region '' is not a region name"),
    ],
)
@pytest.mark.parametrize("command", [["status"], ["redrive", "ingest"]])
def test_a_missing_or_bad_outputs_file_is_a_clear_error(harness, tmp_path, mocked_aws, content, says, command):
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)
    run = harness(*command, "--outputs", str(path))
    assert run.status == 1
    assert run.err.startswith("error: " + says.format(path=path))
    assert run.err.count("\n") == 1  # one line, no traceback


def test_an_outputs_file_without_a_region_takes_the_callers(harness, deployed, tmp_path, monkeypatch):
    outputs = {key: value for key, value in deployed.outputs.items() if key != "region"}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    assert harness("status", "--outputs", str(path), "--json").status == 0
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    run = harness("status", "--outputs", str(path), "--json")
    assert run.status == 1 and run.err.startswith(f"error: no AWS region: {path} has no `region`")


def test_stack_and_outputs_are_one_or_the_other(harness, outputs_file):
    run = harness("status", "--stack", "local", "--outputs", str(outputs_file))
    assert run.status == 2 and "not allowed with argument" in run.err


# --- the local stack, from its outputs ---------------------------------------------------------------


@pytest.fixture
def local_outputs(moto: AwsTarget, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The local stack's outputs (`python -m harness outputs`), its queues in the moto server."""
    outputs = {**make_stack(moto.client, f"imagepipe-l{id(moto) % 10_000}"), "endpoint_url": moto.endpoint_url}
    monkeypatch.setattr(cli, "stack_outputs", lambda stack: outputs if stack == cli.DEFAULT_STACK else {})
    return outputs


def test_status_and_redrive_of_the_local_stack(harness, local_outputs, moto):
    sqs = moto.client("sqs")
    parked = dead_letter_url(sqs, local_outputs["removal_queue_url"])
    sqs.send_message(QueueUrl=parked, MessageBody="parked")
    try:
        shown = json.loads(harness("status", "--json").out)
        removal = next(queue for queue in shown["queues"] if queue["stage"] == "removal")
        assert removal["dead_letter"]["visible"] == 1
        run = harness("redrive", "removal")
        assert run.status == 0 and run.out.startswith("removal: moved 1 message(s)")
        assert [m["Body"] for m in drain(sqs, local_outputs["removal_queue_url"])] == ["parked"]
    finally:
        drain(sqs, parked)


def test_a_local_stack_that_is_not_deployed_is_said_so(harness, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "state_path", lambda stack: tmp_path / f"{stack}.json")
    run = harness("status", "--json")
    assert run.status == 1 and "stack 'local' is not deployed: run `python -m harness up`" in run.err
    run = harness("redrive", "ingest", "--dry-run")
    assert run.status == 1 and "stack 'local' is not deployed" in run.err


def test_an_emulator_that_is_not_running_is_said_so(harness, monkeypatch):
    outputs = {**make_stack_names("imagepipe-local"), "endpoint_url": "http://127.0.0.1:9", "region": "us-east-1"}
    monkeypatch.setattr(cli, "stack_outputs", lambda stack: outputs)
    run = harness("redrive", "ingest", "--dry-run")
    assert run.status == 1
    assert run.err.startswith("error: cannot reach the local stack 'local' at http://127.0.0.1:9")
    assert "is the emulator running?" in run.err


def make_stack_names(prefix: str) -> dict[str, str]:
    """Outputs that name a stack's queues without any of them existing."""
    base = "http://127.0.0.1:9/000000000000"
    return {"ingest_function": f"{prefix}-ingest", "ingest_queue_url": f"{base}/{prefix}-ingest"}
