"""Notices in the deployed stack: each upload's outcome reaches the notifications topic once, with
attributes a subscription can filter on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import ExitStack

import pytest

from harness.notice_tap import NoticeTap
from harness.samples import pdf_document, photo_jpeg
from tests.e2e.conftest import wait_until
from tests.e2e.test_pipeline import _upload


@pytest.fixture
def subscribe(stack):
    """A factory: a tap on the notifications topic with a filter policy, removed afterwards."""
    with ExitStack() as taps:

        def make(filter_policy: dict) -> Callable[[], list]:
            return taps.enter_context(NoticeTap(stack.target, stack.outputs["notifications_topic_arn"], filter_policy)).received

        yield make


def test_each_outcome_is_announced_once_to_the_owners_subscription(stack, subscribe):
    owner = f"notify-{uuid.uuid4().hex[:6]}"
    received = subscribe({"owner": [owner]})
    good, _ = _upload(stack, f"uploads/{owner}/sunset.jpg", photo_jpeg(640, 480, seed=21), "image/jpeg")
    bad, _ = _upload(stack, f"uploads/{owner}/invoice.jpg", pdf_document())
    assert (good["status"], bad["status"]) == ("processed", "rejected")

    notices = wait_until(lambda: len(received()) >= 2 and received(), message="two notices")
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
    (notice,) = wait_until(lambda: received() or None, message="the rejection notice")
    assert notice[0]["file_name"] == "empty.jpg" and notice[1]["status"] == "rejected"
    assert len(received()) == 1
