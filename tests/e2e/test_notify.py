"""Notices in the deployed stack: each upload's outcome reaches the notifications topic once, with
attributes a subscription can filter on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import ExitStack

import pytest

from harness.notice_tap import NoticeTap, sent_mail
from harness.polling import wait_until
from harness.samples import pdf_document, photo_jpeg
from tests.e2e.test_pipeline import _upload


@pytest.fixture
def subscribe(stack):
    """A factory: a tap on the notifications topic with a filter policy, removed afterwards."""
    with ExitStack() as taps:

        def make(filter_policy: dict) -> Callable[[], list]:
            return taps.enter_context(
                NoticeTap(stack.target, stack.outputs["notifications_topic_arn"], filter_policy)
            ).received

        yield make


def test_each_outcome_is_announced_once_to_the_owners_subscription(stack, subscribe):
    owner = f"notify-{uuid.uuid4().hex[:6]}"
    received = subscribe({"owner": [owner]})
    good, _ = _upload(stack, f"uploads/{owner}/sunset.jpg", photo_jpeg(640, 480, seed=21), "image/jpeg")
    bad, _ = _upload(stack, f"uploads/{owner}/invoice.jpg", pdf_document())
    assert (good["status"], bad["status"]) == ("processed", "rejected")

    notices = wait_until(lambda: len(received()) >= 2 and received(), what="two notices")
    by_file = {body["file_name"]: (body, attributes) for body, attributes in notices}
    processed, attributes = by_file["sunset.jpg"]
    assert attributes == {"status": "processed", "owner": owner}
    assert processed["thumbnail_key"] == good["thumbnail_key"] and processed["image_id"] == good["image_id"]
    rejected, attributes = by_file["invoice.jpg"]
    assert attributes == {"status": "rejected", "owner": owner}
    assert rejected["text"] == f"invoice.jpg was rejected and removed: {bad['reason']}."
    assert len(received()) == 2  # nothing announced twice (a further second of waiting)


def test_a_subscription_can_ask_for_rejections_only(stack, subscribe):
    owner = f"notify-{uuid.uuid4().hex[:6]}"
    received = subscribe({"owner": [owner], "status": ["rejected"]})
    _upload(stack, f"uploads/{owner}/fine.jpg", photo_jpeg(320, 240, seed=22), "image/jpeg")
    _upload(stack, f"uploads/{owner}/empty.jpg", b"")
    (notice,) = wait_until(lambda: received() or None, what="the rejection notice")
    assert notice[0]["file_name"] == "empty.jpg" and notice[1]["status"] == "rejected"
    assert len(received()) == 1


def _mail_to(stack, address: str) -> list[dict]:
    """What the emulator's SES has sent to `address`."""
    return [m for m in sent_mail(stack.outputs["endpoint_url"]) or [] if address in m["Destination"]["ToAddresses"]]


def test_an_owner_with_an_address_gets_the_outcome_by_mail(stack):
    # mail-e2e has an address in Pulumi.local.yaml (imagepipe:ownerEmails)
    name = f"mail-{uuid.uuid4().hex[:6]}.jpg"
    record, _ = _upload(stack, f"uploads/mail-e2e/{name}", pdf_document())
    assert record["status"] == "rejected"
    mails = wait_until(
        lambda: [m for m in _mail_to(stack, "mail-e2e@example.com") if name in m["Body"]["text_part"]],
        what="the rejection mail",
    )
    (mail,) = mails
    assert mail["Source"] == "imagepipe@example.com"
    assert mail["Subject"] == "imagepipe: your upload was rejected"
    assert mail["Body"]["text_part"].startswith(f"Hello mail-e2e,\n\n{name} was rejected and removed: a PDF document")
