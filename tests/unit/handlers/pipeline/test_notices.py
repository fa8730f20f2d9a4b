"""Notices: one per upload outcome and one per reviewer's verdict, nothing for other changes, a text a
person can act on, attributes a subscription can filter on."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.pipeline.notices import (
    OUTCOME,
    REVIEW,
    SUBJECTS,
    TERMINAL,
    VERDICT_SUBJECTS,
    Notice,
    image_link,
    notice_for,
    outcome_changed,
    verdict_changed,
)
from tests.unit.handlers.records import AWAITING, PASSED, PENDING, PROCESSED, REJECTED_IN_REVIEW

REJECTED = {**PENDING, "status": "rejected", "reason": "a PDF document, not a JPEG or PNG (the name ends in .jpg)"}
FAILED = {
    **PENDING,
    "status": "failed",
    "reason": "enhancing the image failed 3 times; last error: OSError: disk full",
}


CDN = "https://d111111abcdef8.cloudfront.net"


def test_an_upload_becoming_processed_is_one_notice_linking_both_variants_on_the_cdn():
    notice = notice_for(PENDING, PROCESSED, images_url=CDN)
    assert notice is not None and notice.status == "processed"
    assert notice.text == (
        f"cat.jpg is processed. Optimized image: {CDN}/images/optimized/i1-v1.jpg. "
        f"Thumbnail: {CDN}/images/thumbnail/i1-v1.jpg."
    )
    body = json.loads(notice.message())
    assert (body["link"], body["thumbnail_link"]) == (
        f"{CDN}/images/optimized/i1-v1.jpg",
        f"{CDN}/images/thumbnail/i1-v1.jpg",
    )
    assert (body["optimized_key"], body["thumbnail_key"]) == (
        "images/optimized/i1-v1.jpg",
        "images/thumbnail/i1-v1.jpg",
    )
    assert notice.attributes() == {
        "status": {"DataType": "String", "StringValue": "processed"},
        "owner": {"DataType": "String", "StringValue": "ann"},
    }


def test_without_a_base_url_the_text_gives_the_variants_keys_and_says_what_they_are():
    notice = notice_for(PENDING, PROCESSED)
    assert notice.text == (
        "cat.jpg is processed. Optimized image: images/optimized/i1-v1.jpg (in the images bucket). "
        "Thumbnail: images/thumbnail/i1-v1.jpg (in the images bucket)."
    )
    assert (notice.link, notice.thumbnail_link) == ("images/optimized/i1-v1.jpg", "images/thumbnail/i1-v1.jpg")


def test_a_processed_notice_names_only_the_variants_its_record_has():
    without_thumbnail = {k: v for k, v in PROCESSED.items() if k != "thumbnail_key"}
    notice = notice_for(PENDING, without_thumbnail, images_url=CDN)
    assert notice.text == f"cat.jpg is processed. Optimized image: {CDN}/images/optimized/i1-v1.jpg."
    assert notice.thumbnail_link is None and "thumbnail_link" not in json.loads(notice.message())


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


def test_a_pass_is_one_review_notice_with_the_photo_and_a_link():
    notice = notice_for(AWAITING, PASSED)
    assert (notice.kind, notice.verdict, notice.status) == (REVIEW, "passed", "processed")
    assert notice.subject == "imagepipe: your photo passed review"
    assert notice.text == (
        'cat.jpg ("Sunset at Inch") passed review. Optimized image: images/optimized/i1-v1.jpg (in the images bucket).'
    )
    assert notice_for(AWAITING, PASSED, images_url=CDN).text == (
        f'cat.jpg ("Sunset at Inch") passed review. Optimized image: {CDN}/images/optimized/i1-v1.jpg.'
    )
    assert notice.attributes() == {
        "kind": {"DataType": "String", "StringValue": "review"},
        "verdict": {"DataType": "String", "StringValue": "passed"},
        "owner": {"DataType": "String", "StringValue": "ann"},
    }


def test_a_rejection_in_review_says_why_and_is_told_apart_from_a_rejected_upload():
    notice = notice_for(AWAITING, REJECTED_IN_REVIEW)
    assert notice.subject == "imagepipe: your photo was rejected in review"
    assert notice.text == (
        'cat.jpg ("Sunset at Inch") was rejected in review: the horizon is tilted. '
        "Optimized image: images/optimized/i1-v1.jpg (in the images bucket)."
    )
    # A subscription to {"status": ["rejected"]} (upload rejections) does not match it: no `status`.
    assert "status" not in notice.attributes()
    assert notice.attributes()["verdict"]["StringValue"] == "rejected"
    body = json.loads(notice.message())
    assert body["kind"] == "review" and body["verdict"] == "rejected" and body["reason"] == "the horizon is tilted"
    assert body["link"] == "images/optimized/i1-v1.jpg" and body["text"] == notice.text
    upload_rejection = notice_for(None, REJECTED)
    assert upload_rejection.kind == OUTCOME and "kind" not in upload_rejection.attributes()
    assert json.loads(upload_rejection.message())["kind"] == "outcome"


def test_a_pass_with_a_note_quotes_it_and_a_caption_is_shortened_to_one_line():
    caption = "A long caption,\nover two lines, " + "and on and on " * 10
    passed = {**PASSED, "review_reason": "lovely light!", "caption": caption}
    text = notice_for(AWAITING, passed).text
    assert text.startswith('cat.jpg ("A long caption, over two lines, and on and on')
    assert "…\") passed review. The reviewer's note: lovely light! Optimized image: " in text
    assert "\n" not in text


def test_without_a_caption_or_an_optimized_image_the_text_says_what_there_is():
    bare = {k: v for k, v in REJECTED_IN_REVIEW.items() if k not in ("caption", "optimized_key")}
    assert notice_for(AWAITING, bare).text == "cat.jpg was rejected in review: the horizon is tilted."


@pytest.mark.parametrize(
    ("old", "new", "verdict"),
    [
        (AWAITING, PASSED, "passed"),
        (AWAITING, REJECTED_IN_REVIEW, "rejected"),
        (PASSED, REJECTED_IN_REVIEW, "rejected"),  # the reviewer changed their mind
        (REJECTED_IN_REVIEW, PASSED, "passed"),
        (PASSED, {**PASSED, "reviewed_at": "2026-11-23", "review_order": "m9"}, "passed"),  # reviewed again
        (REJECTED_IN_REVIEW, {**REJECTED_IN_REVIEW, "review_reason": "blurred", "review_order": "m9"}, "rejected"),
    ],
)
def test_each_verdict_is_one_review_notice(old, new, verdict):
    notice = notice_for(old, new)
    assert notice.kind == REVIEW and notice.verdict == verdict and notice.reason == new.get("review_reason")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (PROCESSED, AWAITING),  # enhance's processed record awaiting review: no verdict yet
        (PASSED, {**PASSED, "caption": "Inch beach", "updated_at": "later"}),  # metadata edits
        (PASSED, {**PASSED, "photographer": "Ann Example", "date": "2026-05-01"}),
        (REJECTED_IN_REVIEW, {**REJECTED_IN_REVIEW, "caption": "Tilted"}),
        (PASSED, {**PASSED, "review_order": "a later copy of the same verdict"}),  # the same verdict sent again
        (PASSED, {**PASSED, "status": "deleted"}),  # removed: its verdict is not news
        (PASSED, None),
    ],
)
def test_changes_that_give_no_new_verdict_call_for_no_notice(old, new):
    assert notice_for(old, new) is None


def test_a_re_upload_is_announced_by_its_outcome_and_starts_a_new_review_silently():
    again = {**PENDING, "upload_version": "v2"}  # ingest replaces the whole record: the verdict is gone
    assert notice_for(PASSED, again) is None
    processed = {**AWAITING, "upload_version": "v2", "optimized_key": "images/optimized/i1-v2.jpg"}
    assert notice_for(again, processed).kind == OUTCOME
    assert notice_for(processed, {**PASSED, "upload_version": "v2"}).kind == REVIEW


def test_an_outcome_that_comes_with_a_verdict_is_announced_as_the_outcome_only():
    notice = notice_for(PENDING, PASSED)
    assert notice.kind == OUTCOME and notice.text.startswith("cat.jpg is processed.")


def test_a_redelivered_change_is_the_same_notice_and_every_verdict_a_different_one():
    first = notice_for(AWAITING, REJECTED_IN_REVIEW)
    assert notice_for(dict(AWAITING), dict(REJECTED_IN_REVIEW)) == first
    # Rejected, passed, then rejected again for the same reason on the same day: three notices.
    passed = {**REJECTED_IN_REVIEW, "review_status": "passed", "review_reason": None, "review_order": "o2"}
    again = {**REJECTED_IN_REVIEW, "review_order": "o3"}
    notices = [first, notice_for(REJECTED_IN_REVIEW, passed), notice_for(passed, again)]
    assert len({json.dumps(asdict(n), sort_keys=True) for n in notices}) == 3


def test_the_link_is_the_key_until_the_stack_serves_images_under_a_url():
    assert image_link("images/optimized/i1-v1.jpg") == "images/optimized/i1-v1.jpg"
    assert image_link(None, "https://cdn.example") is None
    assert image_link("images/optimized/i1-v1.jpg", "https://cdn.example/") == (
        "https://cdn.example/images/optimized/i1-v1.jpg"
    )
    assert notice_for(AWAITING, PASSED, images_url="https://cdn.example").link == (
        "https://cdn.example/images/optimized/i1-v1.jpg"
    )


# Records as the table may hold them: every status, two uploads, every review state, metadata.
_OPTIONAL = {
    "review_status": st.sampled_from(["awaiting", "passed", "rejected"]),
    "review_reason": st.sampled_from(["tilted", "blurred"]),
    "reviewed_at": st.sampled_from(["2026-11-22", "2026-11-23T09:00:00+00:00"]),
    "review_order": st.sampled_from(["o1", "o2"]),
    "caption": st.sampled_from(["a cat", "the cat"]),
    "photographer": st.sampled_from(["Ann", "Bo"]),
    "date": st.sampled_from(["2026-05-01"]),
    "optimized_key": st.sampled_from(["images/optimized/i1-v1.jpg"]),
    "thumbnail_key": st.sampled_from(["images/thumbnail/i1-v1.jpg"]),
    "reason": st.sampled_from(["the file is empty"]),
}
METADATA = ("caption", "photographer", "date", "updated_at")
records = st.fixed_dictionaries(
    {
        "image_id": st.just("i1"),
        "source_key": st.just("uploads/ann/cat.jpg"),
        "owner": st.just("ann"),
        "status": st.sampled_from(["pending", "processed", "rejected", "failed", "deleted"]),
        "upload_version": st.sampled_from(["v1", "v2"]),
    },
    optional=_OPTIONAL,
)


def _outcome_changed(old, new):
    """The specification: an upload reached an outcome it had not reached before."""
    return new["status"] in TERMINAL and (
        old is None or (old["upload_version"], old["status"]) != (new["upload_version"], new["status"])
    )


def _verdict_changed(old, new):
    """The specification: a verdict other than the record had (a reviewer's, not `awaiting`)."""
    fields = ("review_status", "review_reason", "reviewed_at")
    return new.get("review_status") in ("passed", "rejected") and (
        old is None or any(old.get(field) != new.get(field) for field in fields)
    )


@given(old=st.none() | records, new=st.none() | records, images_url=st.none() | st.just(CDN))
def test_a_change_is_at_most_one_notice_and_only_for_a_new_outcome_or_verdict(old, new, images_url):
    notice = notice_for(old, new, images_url)
    if new is None:
        assert notice is None
        return
    outcome, verdict = _outcome_changed(old, new), _verdict_changed(old, new)
    assert (notice is not None) == (outcome or verdict)
    assert (outcome_changed(old, new), verdict_changed(old, new)) == (outcome, verdict)
    if notice is None:
        return
    assert notice.kind == (OUTCOME if outcome else REVIEW)  # one notice, of one kind, the outcome first
    assert notice_for(dict(old) if old else None, dict(new), images_url) == notice  # redelivered: the same notice
    assert notice.subject.isascii() and len(notice.subject) < 100
    assert json.loads(notice.message())["text"] == notice.text
    if notice.kind == REVIEW:
        assert notice.verdict == new["review_status"] and set(notice.attributes()) == {"kind", "verdict", "owner"}
    else:
        assert notice.status == new["status"] and set(notice.attributes()) == {"status", "owner"}
    if notice.kind == OUTCOME and notice.status == "processed":  # the text links every variant the record has
        for key in (new.get("optimized_key"), new.get("thumbnail_key")):
            if key:
                assert f": {image_link(key, images_url)}" in notice.text


@given(
    old=records,
    edit=st.fixed_dictionaries({}, optional={field: st.sampled_from(["x", "y"]) for field in METADATA}),
)
def test_a_metadata_edit_is_never_a_notice(old, edit):
    assert notice_for(old, {**old, **edit}) is None


def test_every_verdict_has_a_subject():
    assert set(VERDICT_SUBJECTS) == {"passed", "rejected"}
    assert all(subject.isascii() and len(subject) < 100 for subject in VERDICT_SUBJECTS.values())
