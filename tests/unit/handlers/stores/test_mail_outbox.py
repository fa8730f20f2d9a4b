"""The mail outbox against moto: notices filed once per digest, read oldest first, and none once
the digest is marked sent, even while its notices are being cleared."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from handlers.pipeline.notices import Notice
from handlers.stores.mail_outbox import MailOutbox
from tests.unit.tables import create_mail_outbox_table

NOTICE = Notice("i1", "v1", "processed", "a.jpg", "uploads/ann/a.jpg", owner="ann")


@pytest.fixture
def outbox(mocked_aws):
    client = boto3.client("dynamodb")
    create_mail_outbox_table(client, "outbox")
    return MailOutbox("outbox", client)


def test_a_digests_notices_are_read_oldest_first_and_one_posted_twice_is_one(outbox):
    notices = [replace(NOTICE, image_id=f"i{n}", file_name=f"{n}.jpg") for n in range(3)]
    for at, notice in zip((30.0, 10.0, 20.0), notices, strict=True):
        outbox.put("ann#0", notice, "ann@example.com", posted_at=at)
    outbox.put("ann#0", notices[0], "ann@example.com", posted_at=30.0)  # a retried post
    outbox.put("ann#60", NOTICE, "ann@example.com", posted_at=70.0)  # the next window's
    assert [posted.notice.image_id for posted in outbox.waiting("ann#0")] == ["i1", "i2", "i0"]


def test_a_digest_marked_sent_has_nothing_waiting_while_and_after_it_is_cleared(outbox):
    for n in range(30):
        outbox.put("ann#0", replace(NOTICE, image_id=f"i{n}"), "ann@example.com", posted_at=float(n))
    waiting = outbox.waiting("ann#0")
    outbox.mark_sent("ann#0", now=100.0)
    outbox.clear("ann#0", waiting[:25])  # halfway through clearing
    assert outbox.waiting("ann#0") == []
    outbox.clear("ann#0", waiting[25:])
    assert outbox.waiting("ann#0") == []
