"""Mail digests' windows, delays and the mail queue's messages."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from handlers.pipeline.mail_digest import (
    GRACE_SECONDS,
    MAX_DELAY_SECONDS,
    BadMailJob,
    MailJob,
    digest_delay,
    sends_at_once,
    window_start,
)
from handlers.pipeline.notices import REVIEW, Notice

NOTICE = Notice("i1", "v1", "processed", "cat.jpg", "uploads/ann/cat.jpg", owner="ann")


def test_a_window_starts_at_a_multiple_of_its_length():
    assert window_start(3601.5, 60) == 3600 and window_start(3659.9, 60) == 3600 and window_start(3660, 60) == 3660


def test_a_digest_waits_until_its_window_closes_and_a_grace_more():
    assert digest_delay(3600.0, 60) == 60 + GRACE_SECONDS
    assert digest_delay(3659.2, 60) == 1 + GRACE_SECONDS
    assert digest_delay(0, 10_000) == MAX_DELAY_SECONDS


def test_an_upload_rejection_goes_at_once_and_nothing_else_does_with_a_window():
    assert sends_at_once(replace(NOTICE, status="rejected"), 60)
    assert not sends_at_once(NOTICE, 60) and not sends_at_once(replace(NOTICE, status="failed"), 60)
    assert not sends_at_once(replace(NOTICE, kind=REVIEW, verdict="rejected"), 60)
    assert sends_at_once(NOTICE, 0)


def test_a_job_reads_back_from_its_body():
    for job in (MailJob("ann", "a@b.co", notices=(NOTICE,)), MailJob("ann", digest="ann#3600")):
        assert MailJob.from_body(job.body()) == job


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"owner": "ann"}),
        json.dumps({"owner": "", "digest": "x"}),
        json.dumps({"owner": "ann", "digest": "x", "notices": [{"image_id": "i1"}]}),
        json.dumps({"owner": "ann", "colour": "red", "digest": "x"}),
    ],
)
def test_a_body_that_is_not_a_job_is_refused_saying_so(body):
    with pytest.raises(BadMailJob, match="mail job"):
        MailJob.from_body(body)
