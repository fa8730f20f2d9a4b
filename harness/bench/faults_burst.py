"""A burst of uploads through the deployed stack while enhance fails a share of its invocations, then
the repair: does every upload end in one terminal state with exactly one outcome notice, and once
the fault is cleared and what parked is redriven, is every valid upload processed?

The burst: `uploads` uploads at once (500 for `make bench`), one in INVALID_EVERY of them invalid (a
text file, a truncated JPEG or a PDF under a `.jpg` name: ingest rejects them), the rest 0.8 MP
photo JPEGs, with `python -m harness faults` failing enhance's invocations at ERROR_RATE (the stage
sees the fault, as a fault in its own code: README "Fault injection"). Enhance takes one message an
invocation, so a failed invocation is one failed receive of one message.

Enhance's queue hides a received message for 360 s (6× the function's timeout) and parks it after
maxReceiveCount (5) receives: a failed message would come back every 6 minutes, and the burst take
half an hour. The section lowers that queue's VisibilityTimeout to RETRY_VISIBILITY_SECONDS for the
run, as tests/e2e/test_repair_loop.py does, says so, and puts it back after (also when it fails). A
message parks only after 5 failed receives in a row: at rate 0.2, 0.2^5 = 0.03 % of them, so a run
of 500 parks none most of the time; the figures say what happened, not what was hoped for.

What is counted, and where from:
- each upload's outcome: its record in the images table (status, and its `updated_at` for the time
  to drain: from the first upload's start to the last record reaching its terminal state);
- notices: a tap on the notifications topic (harness/notice_tap.NoticeTap), owner `bench`, for this
  run's keys; missing is an upload without an outcome notice of its record's status, duplicated a
  notice more than one for the same upload version and status;
- retries (receives beyond a message's first) from Lambda's own counts in the emulator's CloudWatch,
  enhance's `Errors` and `Invocations` over the run (the emulator's, not the shared function logs,
  which another emulator's functions of the same name also write): a failed receive is followed by
  another receive unless it was the message's last, so retries = errors - parked;
- parked: the enhance dead-letter queue's depth before the redrive, less what it held before the run.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from handlers.contract import FAILED, PROCESSED, REJECTED, Record
from handlers.pipeline.notices import OUTCOME
from handlers.pipeline.uploads import image_id_for
from handlers.stores.image_record import ImageRecord
from harness import faults
from harness.aws import AwsTarget
from harness.bench import BenchError
from harness.bench.pipeline import Uploader, epoch
from harness.notice_tap import NoticeTap
from harness.ops import queues
from harness.ops import stack as ops_stack
from harness.ops.redrive import redrive
from harness.samples import pdf_document, photo_jpeg, text_file, truncated_jpeg

BURST_UPLOADS = 500  # `make bench`'s; the unit test passes a few
INVALID_EVERY = 5  # one upload in five is invalid
ERROR_RATE = 0.2  # the share of enhance's invocations that fail
RETRY_VISIBILITY_SECONDS = 10  # enhance's queue for the run: a retry comes 10 s after a failure, not 360 s
PHOTO_SIZE = (1024, 768)  # what ends where is measured here, not the render: small photos
OWNER = "bench"  # uploads/bench/…: the owner of every upload of the benchmark (Uploader)
UPLOAD_THREADS = 8
POLL_SECONDS = 1.0
NOTICE_SETTLE_SECONDS = 5.0  # read the tap this long after the last expected notice, for duplicates
NOTICE_TIMEOUT_SECONDS = 90.0  # at most this long without a new notice before counting what is missing
METRICS_WINDOW = timedelta(hours=6)

Notices = list[tuple[dict[str, Any], dict[str, str]]]


@dataclass(frozen=True)
class Planned:
    """One upload of the burst: its key, bytes, content type and whether it is a valid image."""

    key: str
    data: bytes
    content_type: str
    valid: bool


def burst_plan(count: int, token: str, photo: Callable[[int], bytes] | None = None) -> list[Planned]:
    """`count` uploads under uploads/bench/, every INVALID_EVERY-th invalid (a text file, a truncated
    JPEG and a PDF in turn, each named .jpg and sent as image/jpeg, as a careless client would)."""
    make_photo = photo or (lambda seed: photo_jpeg(*PHOTO_SIZE, seed=seed))
    invalid = (text_file, lambda: truncated_jpeg(*PHOTO_SIZE, seed=7), pdf_document)
    planned = []
    for index in range(count):
        key = f"uploads/{OWNER}/faults-{token}-{index:04d}.jpg"
        if index % INVALID_EVERY == INVALID_EVERY - 1:
            data = invalid[(index // INVALID_EVERY) % len(invalid)]()
            planned.append(Planned(key, data, "image/jpeg", valid=False))
        else:
            planned.append(Planned(key, make_photo(index), "image/jpeg", valid=True))
    return planned


# --- counting notices (pure) -----------------------------------------------------------------------


def outcomes_by_upload(
    notices: Iterable[tuple[dict[str, Any], dict[str, str]]], keys: Iterable[str]
) -> dict[str, Counter[tuple[str, str]]]:
    """The outcome notices of each of `keys` (its source key), counted per (upload version, status);
    other keys' notices and review notices are left out."""
    wanted = set(keys)
    seen: dict[str, Counter[tuple[str, str]]] = {key: Counter() for key in wanted}
    for message, _ in notices:
        key = message.get("source_key")
        if key in wanted and message.get("kind", OUTCOME) == OUTCOME:
            seen[key][(str(message.get("upload_version")), str(message.get("status")))] += 1
    return seen


@dataclass(frozen=True)
class NoticeCount:
    """What the notices said of a set of uploads, against each one's expected status."""

    received: int  # outcome notices of these uploads
    missing: tuple[str, ...]  # uploads without a notice of their expected status
    duplicated: int  # notices beyond the first for the same upload version and status
    unexpected: int  # notices of a status other than the upload's expected one


def count_notices(expected: Mapping[str, str], seen: Mapping[str, Counter[tuple[str, str]]]) -> NoticeCount:
    """Each upload of `expected` (key → the status its notice should announce) against its outcome
    notices in `seen` (outcomes_by_upload's)."""
    missing, duplicated, unexpected, received = [], 0, 0, 0
    for key, status in sorted(expected.items()):
        counts = seen.get(key, Counter())
        received += sum(counts.values())
        if not any(announced == status for _, announced in counts):
            missing.append(key)
        duplicated += duplicates({key: counts})
        unexpected += sum(number for (_, announced), number in counts.items() if announced != status)
    return NoticeCount(received, tuple(missing), duplicated, unexpected)


def duplicates(seen: Mapping[str, Counter[tuple[str, str]]]) -> int:
    """Notices beyond the first for the same upload version and status, over every upload of `seen`."""
    return sum(number - 1 for counts in seen.values() for number in counts.values() if number > 1)


def retries_of(errors: int | None, parked: int) -> int | None:
    """Receives beyond a message's first: each failed receive is followed by another, but the last
    receive of a parked message (batch size 1: a failed invocation is one message's failed receive)."""
    return None if errors is None else max(errors - parked, 0)


def drain_seconds(started: Iterable[float], finished: Iterable[float]) -> float:
    """From the first upload's start to the last upload's terminal state."""
    return max(finished) - min(started)


def per_minute(count: int, seconds: float) -> float:
    return round(count / seconds * 60, 1) if seconds > 0 else 0.0


def finished_at(record: ImageRecord, observed: float) -> float:
    """When a record reached its terminal state, as the function wrote it (`updated_at`, else
    `processed_at`); `observed` (when the bench saw it) where it has neither."""
    for field in (Record.UPDATED_AT, Record.PROCESSED_AT):
        if record.get(field):
            return epoch(str(record[field]))
    return observed


# --- the run ---------------------------------------------------------------------------------------


class LambdaCounts:
    """A function's `Invocations` and `Errors` as the emulator's CloudWatch sums them (Lambda's own
    metrics); read before and after, the difference is the run's."""

    def __init__(self, target: AwsTarget, function: str) -> None:
        self.cloudwatch, self.function = target.client("cloudwatch"), function

    def totals(self) -> dict[str, int]:
        now = datetime.now(UTC)
        found = {}
        for metric in ("Invocations", "Errors"):
            points = self.cloudwatch.get_metric_statistics(
                Namespace="AWS/Lambda",
                MetricName=metric,
                Dimensions=[{"Name": "FunctionName", "Value": self.function}],
                StartTime=now - METRICS_WINDOW,
                EndTime=now + timedelta(minutes=5),
                Period=60,
                Statistics=["Sum"],
            ).get("Datapoints", [])
            found[metric] = int(sum(point.get("Sum", 0) for point in points))
        return found


def wait_for_outcomes(
    uploader: Uploader, started: Mapping[str, float], timeout: float, progress: Callable[[str], None]
) -> dict[str, tuple[ImageRecord, float]]:
    """Each upload's terminal record and when the bench saw it; BenchError naming the count still
    pending after `timeout`."""
    outcomes: dict[str, tuple[ImageRecord, float]] = {}
    deadline, said = time.monotonic() + timeout, time.monotonic()
    while len(outcomes) < len(started):
        for key, since in started.items():
            if key not in outcomes and (record := uploader.outcome(key, since)) is not None:
                outcomes[key] = (record, time.time())
        if len(outcomes) == len(started):
            break
        if time.monotonic() > deadline:
            raise BenchError(
                f"{len(started) - len(outcomes)} of {len(started)} uploads not terminal after {timeout:.0f} s"
            )
        if time.monotonic() - said > 30:
            progress(f"faults: {len(outcomes)} of {len(started)} uploads in a terminal state")
            said = time.monotonic()
        time.sleep(POLL_SECONDS)
    return outcomes


def current_status(uploader: Uploader, key: str) -> str | None:
    record = uploader.records.get(image_id_for(key))
    return None if record is None else str(record[Record.STATUS])


def wait_for_repair(uploader: Uploader, keys: Iterable[str], timeout: float) -> None:
    """Wait until none of the redriven uploads' records says `failed` any longer (BenchError after
    `timeout`, naming how many still do)."""
    waiting, deadline = set(keys), time.monotonic() + timeout
    while waiting:
        waiting = {key for key in waiting if current_status(uploader, key) == FAILED}
        if waiting and time.monotonic() > deadline:
            raise BenchError(f"{len(waiting)} redriven uploads still failed {timeout:.0f} s after the redrive")
        if waiting:
            time.sleep(POLL_SECONDS)


def wait_for_notices(tap: NoticeTap, expected: Mapping[str, str], skip: int = 0) -> Notices:
    """Read the tap until every upload of `expected` has a notice of its status among the notices
    after the first `skip`, or NOTICE_TIMEOUT_SECONDS pass without a new one; then a little longer
    (duplicates come late). The notices after `skip`."""
    last_new, count = time.monotonic(), len(tap.notices)
    while time.monotonic() - last_new < NOTICE_TIMEOUT_SECONDS:
        tap.received(wait_seconds=1)
        if len(tap.notices) != count:
            last_new, count = time.monotonic(), len(tap.notices)
        if not count_notices(expected, outcomes_by_upload(tap.notices[skip:], expected)).missing:
            break
    settle = time.monotonic() + NOTICE_SETTLE_SECONDS
    while time.monotonic() < settle:
        tap.received(wait_seconds=1)
    return tap.notices[skip:]


def wait_for_parking(sqs: Any, queue_url: str, dead_letters_url: str, expected: int, timeout: float) -> int:
    """Wait for enhance's queue to empty and its dead-letter queue to hold `expected` (SQS moves a
    message there on the receive after its last failure); its depth then, or at `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        queue, parked = queues.describe(sqs, queue_url), queues.describe(sqs, dead_letters_url)
        if (queue.empty and parked.visible >= expected) or time.monotonic() > deadline:
            return parked.visible
        time.sleep(POLL_SECONDS)


@dataclass
class Burst:
    """What the burst left: when each upload started, each one's terminal status, the failed ones,
    what parked, the time to drain, and the notices of the burst."""

    started: dict[str, float]
    statuses: dict[str, str]
    failed: list[str]
    parked: int
    upload_s: float
    drain_s: float
    notices: NoticeCount


@dataclass(frozen=True)
class EnhanceQueue:
    """Enhance's queue as deployed: its URL, visibility timeout, receives before parking, and its
    dead-letter queue (its depth before the run)."""

    url: str
    visibility: str
    receives: int
    dead_letters: queues.Queue

    @classmethod
    def read(cls, sqs: Any, url: str) -> EnhanceQueue:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"])
        receives = int(json.loads(attributes["Attributes"]["RedrivePolicy"])["maxReceiveCount"])
        dead_letters = queues.dead_letter_of(sqs, queues.describe(sqs, url))
        return cls(url, attributes["Attributes"]["VisibilityTimeout"], receives, dead_letters)


def run_burst(
    uploader: Uploader,
    sqs: Any,
    plan: list[Planned],
    tap: NoticeTap,
    enhance: EnhanceQueue,
    progress: Callable[[str], None],
) -> Burst:
    """Upload `plan` at once, wait for every record's terminal state, for what parks and for the notices."""
    invalid = sum(1 for planned in plan if not planned.valid)
    progress(f"faults: a burst of {len(plan)} uploads ({invalid} invalid), {UPLOAD_THREADS} at a time")
    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        starts = list(pool.map(lambda p: uploader.put(p.key, p.data, p.content_type), plan))
    started = {planned.key: start for planned, start in zip(plan, starts, strict=True)}
    outcomes = wait_for_outcomes(uploader, started, timeout=120 + len(plan) * 3, progress=progress)
    drained = drain_seconds(starts, (finished_at(record, seen) for record, seen in outcomes.values()))
    statuses = {key: str(record[Record.STATUS]) for key, (record, _) in outcomes.items()}
    failed = sorted(key for key, status in statuses.items() if status == FAILED)
    progress(f"faults: drained in {drained:.0f} s; {len(failed)} failed; waiting for what parks, and the notices")
    before = enhance.dead_letters.visible
    depth = wait_for_parking(
        sqs, enhance.url, enhance.dead_letters.url, before + len(failed), RETRY_VISIBILITY_SECONDS * 3 + 60
    )
    notices = wait_for_notices(tap, statuses)
    counted = count_notices(statuses, outcomes_by_upload(notices, statuses))
    return Burst(started, statuses, failed, depth - before, max(starts) - min(starts), drained, counted)


def run_repair(
    outputs: dict[str, Any], uploader: Uploader, burst: Burst, tap: NoticeTap, progress: Callable[[str], None]
) -> dict[str, Any]:
    """With the fault cleared: redrive what parked (if anything did), wait for the failed uploads to
    end otherwise and for their new notices; what it did."""
    if burst.parked == 0:
        return {"redriven": 0, "redrive_how": None, "repair_s": 0.0, "repair_notices_missing": 0}
    progress(f"faults: redriving the {burst.parked} parked message(s) of enhance")
    skip, began = len(tap.notices), time.monotonic()
    done = redrive(ops_stack.local(outputs), "enhance")
    wait_for_repair(uploader, burst.failed, timeout=120 + len(burst.failed) * 5)
    seconds = time.monotonic() - began
    expected = dict.fromkeys(burst.failed, PROCESSED)
    repaired = count_notices(expected, outcomes_by_upload(wait_for_notices(tap, expected, skip), expected))
    return {
        "redriven": done.moved,
        "redrive_how": done.how,
        "repair_s": round(seconds, 1),
        "repair_notices_missing": len(repaired.missing),
    }


def figures(
    burst: Burst,
    valid: set[str],
    final: Mapping[str, str | None],
    lambda_counts: tuple[Mapping[str, int], Mapping[str, int]],
    all_notices: Mapping[str, Counter[tuple[str, str]]],
) -> dict[str, Any]:
    """The section's figures from what the run saw (`lambda_counts`: enhance's before and after)."""
    before, after = lambda_counts
    invocations = after["Invocations"] - before["Invocations"]
    errors = after["Errors"] - before["Errors"] if invocations > 0 else None  # none published: unknown
    tally = Counter(burst.statuses.values())
    uploads = len(burst.started)
    return {
        "uploads": uploads,
        "invalid": uploads - len(valid),
        "upload_s": round(burst.upload_s, 1),
        "drain_s": round(burst.drain_s, 1),
        "per_min": per_minute(uploads, burst.drain_s),
        "processed": tally[PROCESSED],
        "rejected": tally[REJECTED],
        "failed": tally[FAILED],
        "enhance_invocations": invocations if invocations > 0 else None,
        "enhance_errors": errors,
        "retries": retries_of(errors, burst.parked),
        "parked": burst.parked,
        "notices": burst.notices.received,
        "notices_missing": len(burst.notices.missing),
        "notices_unexpected": burst.notices.unexpected,
        "notices_duplicated": duplicates(all_notices),
        "valid": len(valid),
        "valid_processed": sum(1 for key in valid if final.get(key) == PROCESSED),
        "invalid_rejected": sum(1 for key, status in final.items() if key not in valid and status == REJECTED),
    }


def run_faults_burst(
    outputs: dict[str, Any],
    progress: Callable[[str], None],
    uploads: int = BURST_UPLOADS,
    error_rate: float = ERROR_RATE,
) -> dict[str, Any]:
    """The burst under faults, then the repair, for the stack whose outputs are given: the figures
    (see the module docstring). `error_rate` 1 parks every valid upload (to see the repair at work)."""
    target = AwsTarget(outputs["endpoint_url"], outputs["region"])
    sqs = target.client("sqs")
    uploader = Uploader(target, outputs["images_bucket"], outputs["images_table"])
    function = outputs["enhance_function"]
    port = urlparse(outputs["endpoint_url"]).port
    if port is None:
        raise BenchError(f"the faults section needs the harness's emulator, not {outputs['endpoint_url']}")
    local = faults.LocalStack(port, outputs["endpoint_url"], outputs["region"], {"enhance": function})
    enhance = EnhanceQueue.read(sqs, outputs["enhance_queue_url"])
    plan = burst_plan(uploads, secrets.token_hex(3))
    counts = LambdaCounts(target, function)
    progress(
        f"faults: enhance's queue hides a received message {enhance.visibility} s: lowered to "
        f"{RETRY_VISIBILITY_SECONDS} s for this run (put back after), so a failed message is retried in seconds; "
        f"maxReceiveCount {enhance.receives}"
    )
    sqs.set_queue_attributes(QueueUrl=enhance.url, Attributes={"VisibilityTimeout": str(RETRY_VISIBILITY_SECONDS)})
    try:
        with NoticeTap(target, outputs["notifications_topic_arn"], {"owner": [OWNER]}) as tap:
            progress("faults: " + faults.set_fault(local, "enhance", faults.Fault(error_rate)).splitlines()[0])
            before = counts.totals()
            burst = run_burst(uploader, sqs, plan, tap, enhance, progress)
            after = counts.totals()
            progress("faults: " + faults.clear_faults(local, "enhance"))
            repair = run_repair(outputs, uploader, burst, tap, progress)
            final = {key: current_status(uploader, key) for key in burst.started}
            all_notices = outcomes_by_upload(tap.notices, burst.started)
    finally:
        faults.clear_faults(local, "enhance")
        sqs.set_queue_attributes(QueueUrl=enhance.url, Attributes={"VisibilityTimeout": enhance.visibility})
        progress(f"faults: enhance's fault cleared, its queue's VisibilityTimeout back to {enhance.visibility} s")
    valid = {planned.key for planned in plan if planned.valid}
    return {
        "error_rate": error_rate,
        "visibility_s": RETRY_VISIBILITY_SECONDS,
        "visibility_restored_s": int(enhance.visibility),
        "max_receives": enhance.receives,
        **figures(burst, valid, final, (before, after), all_notices),
        **repair,
    }
