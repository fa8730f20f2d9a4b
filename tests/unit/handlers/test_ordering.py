"""Out-of-order delivery, as a property: whatever order ingest and removal get the events of one key
in, the record ends as the key's last S3 operation says."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.samples import photo_jpeg
from tests.unit.handlers.conftest import BUCKET, fresh, s3_event, s3_removed_event, sqs_batch

JPEGS = [photo_jpeg(48, 32, seed=seed) for seed in range(3)]
KEYS = itertools.count()

# A history of one key: puts (of one of a few images) and deletes, in the order S3 applied them.
histories = st.lists(st.sampled_from(["put0", "put1", "put2", "delete"]), min_size=1, max_size=5)


@pytest.fixture
def stages(aws):
    return fresh("handlers.imaging_functions.ingest"), fresh("handlers.stage_functions.removal")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, data=st.data())
def test_the_record_follows_the_last_operation_whatever_the_delivery_order(aws, stages, context, history, data):
    ingest, removal = stages
    key = f"uploads/alice/{next(KEYS)}.jpg"  # a new key per example: the fixture's moto outlives one
    events = []
    for second, operation in enumerate(history):
        event_time = f"2026-11-22T10:00:{second:02d}.000Z"
        if operation == "delete":
            aws.s3.delete_object(Bucket=BUCKET, Key=key)
            event = s3_removed_event(key, event_time=event_time)
        else:
            body = JPEGS[int(operation[-1])]
            etag = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=body)["ETag"].strip('"')
            event = s3_event(key, len(body), etag, event_time=event_time)
        events.append((operation, event))

    for operation, event in data.draw(st.permutations(events)):
        stage = removal if operation == "delete" else ingest
        assert stage.handler(sqs_batch(event), context) == {"batchItemFailures": []}

    record = aws.record(key)
    last_operation, last_event = events[-1]
    if last_operation == "delete":
        assert record is None or record["status"] == "deleted"
    else:
        assert record is not None and record["status"] == "pending"
        assert record["uploaded_at"] == last_event["Records"][0]["eventTime"]
