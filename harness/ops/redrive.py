"""`python -m harness redrive STAGE`: move what a stage's dead-letter queue holds back to its queue,
so the work runs again as if new.

With SQS's message move task (StartMessageMoveTask, then ListMessageMoveTasks until it ends) where
the endpoint has it: AWS does, LocalStack community does; moto does not. AWS's rules, which a
stage's queues meet: the source must be the dead-letter queue of an SQS queue (its redrive policy
names it), the destination a queue of the same type (standard here), one task per source at a
time; moved messages are new messages (a new id, their retention counted anew). The destination
is named (the stage's queue), not left to "the original source": a message someone sent to the
dead-letter queue itself has no original source, and LocalStack then fails the task.

Elsewhere, by hand: receive a few, send each to the stage's queue (its body and message attributes
unchanged), and delete it from the dead-letter queue only once the send succeeded. A failed send
stops the move: the messages not sent are made visible again in the dead-letter queue, so nothing
is lost; a delete that fails after its send leaves that message in both queues (the stages are
idempotent: it is done once). Messages this run sent that come back parked are left there.

The notify stage is a stream's: see harness/ops/stream_redrive.py.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.ops import queues
from harness.ops.stack import Deployed, OpsError, queue_name
from harness.polling import TimedOut, wait_until

MOVE_TASK = "message move task"
BY_HAND = "receive, send, delete"
HOLD_SECONDS = 60  # how long a message received from the dead-letter queue stays hidden while it is moved
WAIT_SECONDS = 1  # a long poll asks every server of the queue: an empty answer then means an empty queue
MOVE_TIMEOUT = 600.0  # how long to wait for a move task before leaving it running
DONE = ("COMPLETED", "FAILED", "CANCELLED")
# What an endpoint without the action answers: one of these codes, or 501, or no AWS error at all
# (moto's server: 500 with an HTML page; its in-process mock raises NotImplementedError).
UNSUPPORTED_CODES = {"InvalidAction", "UnknownOperation", "UnknownOperationException", "NotImplemented"}


@dataclass(frozen=True)
class Redriven:
    """What a redrive did: the stage, from where to where, how many were parked at the start (SQS's
    approximate count), how many moved (none on a dry run), how, and what is left to know."""

    stage: str
    source: str
    destination: str
    parked: int
    moved: int
    how: str
    dry_run: bool = False
    notes: tuple[str, ...] = ()


class MoveInterrupted(OpsError):
    """The move stopped partway; the message says how many moved and that the rest is still parked."""


def redrive(deployed: Deployed, stage_name: str, dry_run: bool = False, timeout: float = MOVE_TIMEOUT) -> Redriven:
    """Move the stage's parked messages back to its queue (on a dry run, count them only)."""
    stage = deployed.stage(stage_name)
    if stage.queue_output is None:
        from harness.ops.stream_redrive import redrive_stream  # here: it builds on this module

        return redrive_stream(deployed, dry_run)
    sqs = deployed.clients("sqs")
    queue = queues.describe(sqs, deployed.output(stage.queue_output))
    parked = queues.dead_letter_of(sqs, queue)
    if dry_run:
        return Redriven(stage.name, parked.name, queue.name, parked.visible, 0, "dry run", dry_run=True)
    notes: tuple[str, ...] = ()
    try:
        moved, how = move_task(sqs, parked.arn, queue.arn, timeout), MOVE_TASK
    except MoveTaskUnsupported:
        (moved, notes), how = move_by_hand(sqs, parked.url, queue.url), BY_HAND
    return Redriven(stage.name, parked.name, queue.name, parked.visible, moved, how, notes=notes)


class MoveTaskUnsupported(Exception):
    """The endpoint has no StartMessageMoveTask."""


def move_task(sqs: Any, source_arn: str, destination_arn: str, timeout: float = MOVE_TIMEOUT) -> int:
    """Start SQS's move of every message of `source_arn` (a dead-letter queue) to `destination_arn`
    and wait for it to end: the number moved."""

    def newest() -> dict[str, Any] | None:
        tasks = sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=1).get("Results", [])
        return tasks[0] if tasks else None

    try:
        earlier = (newest() or {}).get("StartedTimestamp")  # a task of before, which is not this one
        sqs.start_message_move_task(SourceArn=source_arn, DestinationArn=destination_arn)
    except NotImplementedError:
        raise MoveTaskUnsupported from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in UNSUPPORTED_CODES or status == 501 or code.isdigit():
            raise MoveTaskUnsupported from None
        if "already" in str(error).lower() and "task" in str(error).lower():
            raise OpsError(
                f"a message move task already runs for {queue_name(source_arn)}: wait for it to end "
                "(`python -m harness status` shows what is still parked), or cancel it "
                "(aws sqs list-message-move-tasks / cancel-message-move-task)"
            ) from None
        raise OpsError(f"SQS refused to move the messages of {queue_name(source_arn)}: {error}") from None

    def ended() -> dict[str, Any] | None:
        task = newest()
        if task is None or task.get("StartedTimestamp") == earlier:  # this one not listed yet
            return None
        return task if task.get("Status") in DONE else None

    try:
        task = wait_until(ended, timeout=timeout, interval=0.2, max_interval=2.0, what="the message move task")
    except TimedOut:
        raise MoveInterrupted(
            f"the message move task from {queue_name(source_arn)} still runs after {timeout:g} s; it goes on "
            "by itself: `python -m harness status` shows what is still parked"
        ) from None
    moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
    if task["Status"] != "COMPLETED":
        reason = task.get("FailureReason") or task["Status"].lower()
        raise MoveInterrupted(
            f"the message move task from {queue_name(source_arn)} ended {task['Status']} ({reason}) after moving "
            f"{moved}: the rest is still parked"
        )
    return moved


def move_by_hand(sqs: Any, source_url: str, destination_url: str) -> tuple[int, tuple[str, ...]]:
    """Move every message of `source_url` to `destination_url`, each sent before it is deleted: the
    number moved, and notes on any that could not be deleted after being sent (now in both)."""
    moved, sent_ids, notes, left = 0, set[str](), [], []
    while batch := _receive(sqs, source_url):
        fresh = [message for message in batch if message["MessageId"] not in sent_ids]
        left += [message for message in batch if message["MessageId"] in sent_ids]  # parked again: left
        if not fresh:
            break
        for index, message in enumerate(fresh):
            try:
                sent = sqs.send_message(QueueUrl=destination_url, MessageBody=message["Body"], **_attributes(message))
            except (ClientError, BotoCoreError) as error:
                release(sqs, source_url, left + fresh[index:])
                raise MoveInterrupted(
                    f"moved {moved}, then sending to {queue_name(destination_url)} failed ({error}): the rest is "
                    f"still parked in {queue_name(source_url)}, nothing was lost; run redrive again once it works"
                ) from None
            sent_ids.add(sent["MessageId"])
            moved += 1
            try:
                sqs.delete_message(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"])
            except (ClientError, BotoCoreError) as error:
                notes.append(
                    f"message {message['MessageId']} was sent but could not be deleted from "
                    f"{queue_name(source_url)} ({error}): it is in both queues, and will be done once"
                )
    release(sqs, source_url, left)
    return moved, tuple(notes)


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Up to 10 messages of `url`, hidden while they are moved, with their message attributes."""
    answer = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=HOLD_SECONDS,
        WaitTimeSeconds=WAIT_SECONDS,
        MessageAttributeNames=["All"],
    )
    return list(answer.get("Messages", []))


def _attributes(message: dict[str, Any]) -> dict[str, Any]:
    """The message attributes of a received message, as SendMessage takes them."""
    attributes = {}
    for name, value in message.get("MessageAttributes", {}).items():
        kept = {key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value}
        attributes[name] = kept
    return {"MessageAttributes": attributes} if attributes else {}


def release(sqs: Any, url: str, messages: list[dict[str, Any]]) -> None:
    """Make received messages visible again at once (best effort: otherwise they are when their
    visibility timeout ends)."""
    for message in messages:
        with contextlib.suppress(ClientError, BotoCoreError):
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)


def format_redriven(done: Redriven) -> str:
    """What a redrive did (or, on a dry run, would do), in a line, then its notes."""
    if done.how == "dry run" and done.stage == "notify":
        line = (
            f"notify: {done.parked} description(s) of failed stream records in {done.source}; redrive would read "
            f"those records again from the stream and give them to {done.destination} (dry run: nothing done)"
        )
    elif done.dry_run:
        line = (
            f"{done.stage}: {done.parked} message(s) parked in {done.source} would move to {done.destination} "
            "(dry run: nothing moved)"
        )
    elif done.stage == "notify":
        line = f"notify: redrove {done.moved} of {done.parked} description(s) of failed stream records in {done.source}"
    else:
        line = f"{done.stage}: moved {done.moved} message(s) from {done.source} to {done.destination} ({done.how})"
    return "\n".join([line, *(f"  {note}" for note in done.notes)])
