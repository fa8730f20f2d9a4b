"""Notices: one per upload outcome, nothing for other changes, a text a person can act on."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.pipeline.notices import SUBJECTS, TERMINAL, Notice, notice_for

PENDING = {
    "image_id": "i1",
    "upload_version": "v1",
    "status": "pending",
    "source_key": "uploads/ann/cat.jpg",
    "file_name": "cat.jpg",
    "owner": "ann",
}
PROCESSED = {
    **PENDING,
    "status": "processed",
    "optimized_key": "public/optimized/i1-v1.jpg",
    "thumbnail_key": "public/thumbnail/i1-v1.jpg",
}
REJECTED = {**PENDING, "status": "rejected", "reason": "a PDF document, not a JPEG or PNG (the name ends in .jpg)"}
FAILED = {
    **PENDING,
    "status": "failed",
    "reason": "enhancing the image failed 3 times; last error: OSError: disk full",
}


def test_an_upload_becoming_processed_is_one_notice_with_its_variants():
    notice = notice_for(PENDING, PROCESSED)
    assert notice is not None and notice.status == "processed"
    assert (
        notice.text
        == "cat.jpg is processed. Optimized image: public/optimized/i1-v1.jpg. Thumbnail: public/thumbnail/i1-v1.jpg."
    )
    assert notice.attributes() == {
        "status": {"DataType": "String", "StringValue": "processed"},
        "owner": {"DataType": "String", "StringValue": "ann"},
    }


def test_a_rejection_says_why_and_that_the_file_is_gone():
    notice = notice_for(None, REJECTED)  # ingest writes a rejected record straight away
    assert notice.text == "cat.jpg was rejected and removed: a PDF document, not a JPEG or PNG (the name ends in .jpg)."
    assert notice.subject == "imagepipe: your upload was rejected"


def test_a_failure_carries_its_reason():
    assert notice_for(PENDING, FAILED).text == (
        "cat.jpg could not be processed: enhancing the image failed 3 times; last error: OSError: disk full."
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, PENDING),  # accepted, not finished
        (PROCESSED, {**PROCESSED, "caption": "a cat"}),  # an edit that keeps the outcome
        (PROCESSED, None),  # removed
        (REJECTED, REJECTED),
    ],
)
def test_changes_that_are_not_an_outcome_call_for_no_notice(old, new):
    assert notice_for(old, new) is None


def test_a_new_upload_of_the_same_key_with_the_same_outcome_is_a_new_notice():
    again = {**REJECTED, "upload_version": "v2"}
    assert notice_for(REJECTED, again).upload_version == "v2"


def test_an_upload_without_an_owner_has_no_owner_attribute():
    ownerless = {k: v for k, v in REJECTED.items() if k != "owner"}
    assert set(notice_for(None, ownerless).attributes()) == {"status"}


@given(
    status=st.sampled_from(TERMINAL),
    file_name=st.text(min_size=1, max_size=80),
    reason=st.text(max_size=200),
)
def test_the_message_is_json_with_every_field_and_the_subject_is_short_ascii(status, file_name, reason):
    notice = Notice("i", "v", status, file_name, f"uploads/o/{file_name}", owner="o", reason=reason or None)
    body = json.loads(notice.message())
    assert body["status"] == status and body["file_name"] == file_name and body["text"] == notice.text
    assert notice.subject.isascii() and len(notice.subject) < 100
    assert set(SUBJECTS) == set(TERMINAL)
