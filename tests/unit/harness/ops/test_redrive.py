"""`redrive STAGE`: what is parked goes back to the stage's queue, none lost even when a send fails
partway; a dry run moves nothing; SQS's message move task where the endpoint has it (moto has not:
there the messages are moved by hand, which most of these tests exercise)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.ops import redrive as redriving
from harness.ops.redrive import BY_HAND, MOVE_TASK, MoveInterrupted, format_redriven, redrive
from harness.ops.stack import Deployed, OpsError
from tests.unit.harness.ops.conftest import counts, dead_letter_url, drain

ATTRIBUTES = {
    "owner": {"DataType": "String", "StringValue": "alice"},
    "attempt": {"DataType": "Number", "StringValue": "3"},
    "digest": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe"},
}


def park(deployed: Deployed, stage: str, count: int) -> tuple[str, str]:
    """`count` messages in the stage's dead-letter queue: its queue's URL and the dead-letter queue's."""
    sqs = deployed.clients("sqs")
    queue = deployed.outputs[f"{stage}_queue_url"]
    parked = dead_letter_url(sqs, queue)
    for number in range(count):
        sqs.send_message(QueueUrl=parked, MessageBody=f'{{"work": {number}}}', MessageAttributes=ATTRIBUTES)
    return queue, parked


class Failing:
    """An SQS client whose calls are moto's, except the one named, which fails from its `after`-th call on
    (the n-th, counted from 0), as SQS would refuse it."""

    def __init__(self, sqs: Any, call: str, after: int, times: int = 1_000) -> None:
        self.sqs, self.call, self.after, self.times, self.made = sqs, call, after, times, 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.sqs, name)
        if name != self.call:
            return real

        def call(**kwargs: Any) -> Any:
            self.made += 1
            if self.after < self.made <= self.after + self.times:
                raise ClientError({"Error": {"Code": "InternalError", "Message": "try again"}}, name)
            return real(**kwargs)

        return call


def with_sqs(deployed: Deployed, sqs: Any) -> Deployed:
    return Deployed(deployed.outputs, lambda service: sqs if service == "sqs" else deployed.clients(service))


def test_every_parked_message_moves_back_with_its_body_and_attributes(deployed: Deployed):
    queue, parked = park(deployed, "enhance", 13)
    done = redrive(deployed, "enhance")
    assert (done.stage, done.parked, done.moved, done.how, done.notes) == ("enhance", 13, 13, BY_HAND, ())
    sqs = deployed.clients("sqs")
    assert counts(sqs, parked) == (0, 0)
    moved = drain(sqs, queue)
    assert sorted(m["Body"] for m in moved) == sorted(f'{{"work": {n}}}' for n in range(13))
    assert all(m["MessageAttributes"] == ATTRIBUTES for m in moved)
    prefix = deployed.outputs["enhance_function"]
    assert format_redriven(done) == f"enhance: moved 13 message(s) from {prefix}-dlq to {prefix} ({BY_HAND})"


def test_a_send_failing_partway_loses_nothing_and_a_second_redrive_moves_the_rest(deployed: Deployed):
    queue, parked = park(deployed, "ingest", 12)
    sqs = deployed.clients("sqs")
    failing = Failing(sqs, "send_message", after=4, times=1)  # the fifth send fails
    with pytest.raises(MoveInterrupted, match=r"moved 4, then sending to .*-ingest failed .* nothing was lost"):
        redrive(with_sqs(deployed, failing), "ingest")
    assert counts(sqs, queue) == (4, 0)
    assert counts(sqs, parked) == (8, 0)  # the rest visible again at once, not after the visibility timeout

    assert redrive(with_sqs(deployed, failing), "ingest").moved == 8
    bodies = [m["Body"] for m in drain(sqs, queue)]
    assert sorted(bodies) == sorted(f'{{"work": {n}}}' for n in range(12))  # each once
    assert counts(sqs, parked) == (0, 0)


def test_a_delete_failing_after_its_send_leaves_the_message_in_both_and_says_so(deployed: Deployed):
    queue, parked = park(deployed, "removal", 3)
    sqs = deployed.clients("sqs")
    done = redrive(with_sqs(deployed, Failing(sqs, "delete_message", after=1, times=1)), "removal")
    assert done.moved == 3
    (note,) = done.notes
    assert "was sent but could not be deleted" in note and "in both queues" in note
    assert counts(sqs, queue) == (3, 0)
    visible, in_flight = counts(sqs, parked)
    assert visible + in_flight == 1


def test_a_dry_run_counts_and_moves_nothing(deployed: Deployed):
    queue, parked = park(deployed, "review", 4)
    done = redrive(deployed, "review", dry_run=True)
    assert (done.dry_run, done.parked, done.moved) == (True, 4, 0)
    sqs = deployed.clients("sqs")
    assert counts(sqs, parked) == (4, 0)
    assert counts(sqs, queue) == (0, 0)
    assert format_redriven(done).endswith("would move to " + queue.rsplit("/", 1)[-1] + " (dry run: nothing moved)")


def test_an_empty_dead_letter_queue_moves_nothing(deployed: Deployed):
    assert redrive(deployed, "metadata").moved == 0


def test_an_unknown_stage_is_a_clear_error(deployed: Deployed):
    with pytest.raises(OpsError, match="no stage 'enhancer': the stages are ingest, enhance, removal, notify, mail"):
        redrive(deployed, "enhancer")


def test_a_stage_the_stack_does_not_have_is_a_clear_error(deployed: Deployed):
    outputs = {key: value for key, value in deployed.outputs.items() if not key.startswith("mail_")}
    with pytest.raises(OpsError, match=r"has no mail stage .*needs imagepipe:senderEmail"):
        redrive(Deployed(outputs, deployed.clients, None, "the test stack"), "mail")


# --- SQS's message move task, where the endpoint has it --------------------------------------------


class MovingSqs:
    """moto's SQS with a message move task: it moves at once what the source holds (as by hand); the
    tasks listed are an earlier one (completed) until it starts, then this one with `status`."""

    def __init__(self, sqs: Any, status: str = "COMPLETED", refuse: str | None = None) -> None:
        self.sqs, self.status, self.refuse = sqs, status, refuse
        self.started: list[dict[str, str]] = []
        self.moved = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)

    def start_message_move_task(self, **request: str) -> dict[str, str]:
        if self.refuse:
            raise ClientError({"Error": {"Code": "InvalidParameterValue", "Message": self.refuse}}, "Start")
        self.started.append(request)
        source = self.sqs.get_queue_url(QueueName=request["SourceArn"].rsplit(":", 1)[-1])["QueueUrl"]
        destination = self.sqs.get_queue_url(QueueName=request["DestinationArn"].rsplit(":", 1)[-1])["QueueUrl"]
        self.moved, _ = redriving.move_by_hand(self.sqs, source, destination)
        return {"TaskHandle": "handle"}

    def list_message_move_tasks(self, **request: Any) -> dict[str, Any]:
        if not self.started:
            return {"Results": [{"Status": "COMPLETED", "StartedTimestamp": 1, "ApproximateNumberOfMessagesMoved": 9}]}
        task = {"Status": self.status, "StartedTimestamp": 2, "ApproximateNumberOfMessagesMoved": self.moved}
        return {"Results": [{**task, "FailureReason": "AccessDenied"} if self.status == "FAILED" else task]}


def test_the_message_move_task_moves_from_the_dead_letter_queue_to_the_stages_queue(deployed: Deployed):
    queue, parked = park(deployed, "enhance", 5)
    moving = MovingSqs(deployed.clients("sqs"))
    done = redrive(with_sqs(deployed, moving), "enhance")
    assert (done.moved, done.how) == (5, MOVE_TASK)
    (request,) = moving.started
    sqs = deployed.clients("sqs")
    arns = {
        url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for url in (queue, parked)
    }
    assert request == {"SourceArn": arns[parked], "DestinationArn": arns[queue]}  # named, not "the original"


def test_a_failed_move_task_says_how_many_moved_and_that_the_rest_is_parked(deployed: Deployed):
    park(deployed, "enhance", 2)
    moving = MovingSqs(deployed.clients("sqs"), status="FAILED")
    with pytest.raises(MoveInterrupted, match=r"ended FAILED \(AccessDenied\) after moving 2: the rest is still"):
        redrive(with_sqs(deployed, moving), "enhance")


def test_a_move_task_already_running_is_a_clear_error(deployed: Deployed):
    refusing = MovingSqs(deployed.clients("sqs"), refuse="There is already a task running.")
    with pytest.raises(OpsError, match=r"a message move task already runs for .*-enhance-dlq: wait for it"):
        redrive(with_sqs(deployed, refusing), "enhance")


def test_a_move_task_still_running_is_left_to_run_and_said_so(deployed: Deployed):
    moving = MovingSqs(deployed.clients("sqs"), status="RUNNING")
    with pytest.raises(MoveInterrupted, match=r"still runs after 0\.5 s; it goes on by itself"):
        redrive(with_sqs(deployed, moving), "enhance", timeout=0.5)


@pytest.mark.parametrize("code", ["InvalidAction", "UnknownOperationException"])
def test_an_endpoint_without_the_move_task_is_moved_by_hand(deployed: Deployed, code: str):
    class Without(MovingSqs):
        def start_message_move_task(self, **request: str) -> dict[str, str]:
            raise ClientError({"Error": {"Code": code, "Message": "no such action"}}, "StartMessageMoveTask")

    park(deployed, "enhance", 2)
    done = redrive(with_sqs(deployed, Without(deployed.clients("sqs"))), "enhance")
    assert (done.moved, done.how) == (2, BY_HAND)
