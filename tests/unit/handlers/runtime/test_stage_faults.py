"""An error the harness injects into an invocation (`python -m harness faults`; the harness's Lambda
runtime puts it in the environment for that invocation) is the stage's own failure: raised where each
message's attempt starts, retried, and recorded on the last attempt with the fault as the reason."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from handlers.contract import PUBLIC_PREFIX, Env
from handlers.runtime.settings import StageSettings
from handlers.runtime.stage import INJECTED_FAULT, Stage
from harness.samples import photo_jpeg
from tests.unit.handlers.conftest import BUCKET, fresh, sqs_batch

MESSAGE = "fault injected by `python -m harness faults` (error rate 1)"


@pytest.fixture
def stages(aws, monkeypatch):
    monkeypatch.setenv(Env.MAX_RECEIVE_COUNT, "3")
    return fresh("handlers.imaging_functions.ingest"), fresh("handlers.imaging_functions.enhance")


def inject(monkeypatch: pytest.MonkeyPatch, request_id: str) -> None:
    """What the harness's runtime sets for the invocation `request_id` (imagepipe_lambda_executor/faults.py)."""
    monkeypatch.setenv(INJECTED_FAULT, json.dumps({"request_id": request_id, "message": MESSAGE}))


def enhance_request(aws, stages, context, key: str) -> dict:
    ingest, _ = stages
    ingest.handler(sqs_batch(aws.upload(key, photo_jpeg(640, 480, seed=4))), context)
    (request,) = aws.enhance_requests()
    return request


def attempt(batch: dict, receive_count: int) -> dict:
    batch["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return batch


def test_an_injected_fault_fails_each_attempt_before_any_work_and_the_last_records_it(
    aws, stages, context, monkeypatch
):
    key = "uploads/alice/faulted.jpg"
    request = enhance_request(aws, stages, context, key)
    enhance = stages[1]
    inject(monkeypatch, context.aws_request_id)
    for receive_count in (1, 2):
        with pytest.raises(BatchProcessingError, match="InjectedFault"):
            enhance.handler(attempt(sqs_batch(request), receive_count), context)
        assert aws.record(key)["status"] == "pending"
    assert aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=PUBLIC_PREFIX)["KeyCount"] == 0  # nothing was done

    with pytest.raises(BatchProcessingError):
        enhance.handler(attempt(sqs_batch(request), 3), context)
    record = aws.record(key)
    assert record["status"] == "failed"
    assert record["reason"] == f"enhancing the image failed 3 times; last error: InjectedFault: {MESSAGE}"

    monkeypatch.delenv(INJECTED_FAULT)  # `faults clear`: the next upload goes through
    later = enhance_request(aws, stages, context, "uploads/alice/later.jpg")
    assert enhance.handler(sqs_batch(later), context) == {"batchItemFailures": []}
    assert aws.record("uploads/alice/later.jpg")["status"] == "processed"


def test_a_fault_injected_into_another_invocation_changes_nothing(aws, stages, context, monkeypatch):
    key = "uploads/alice/lucky.jpg"
    request = enhance_request(aws, stages, context, key)
    inject(monkeypatch, "another-request")
    assert stages[1].handler(sqs_batch(request), context) == {"batchItemFailures": []}
    assert aws.record(key)["status"] == "processed"
    monkeypatch.setenv(INJECTED_FAULT, "not json")
    assert stages[1].handler(sqs_batch(request), context) == {"batchItemFailures": []}


def test_a_stage_without_a_failure_record_fails_each_record_before_its_handler_runs(aws, context, monkeypatch):
    stage = Stage(StageSettings.from_environment(), lambda settings, clients: None)
    handled: list[str] = []

    def record_handler(record) -> None:
        handled.append(record.body)

    batch = sqs_batch("one", "two")
    inject(monkeypatch, context.aws_request_id)
    with pytest.raises(BatchProcessingError, match="All records failed"):
        stage.process(batch, context, record_handler)
    assert handled == []
    monkeypatch.delenv(INJECTED_FAULT)
    assert stage.process(batch, context, record_handler) == {"batchItemFailures": []}
    assert handled == ["one", "two"]
