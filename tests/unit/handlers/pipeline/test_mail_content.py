"""What mails say: the plain-text and HTML parts of one notice and of a digest."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handlers.contract import REJECTION_CODES
from handlers.pipeline.mail_content import NEXT_STEPS, digest_mail, next_step, notice_mail, outcome_line
from handlers.pipeline.notices import REVIEW, Notice

CDN = "https://cdn.example"
READY = Notice(
    "i1",
    "v1",
    "processed",
    "cat.jpg",
    "uploads/ann/cat.jpg",
    owner="ann",
    caption="A cat on a mat",
    link=f"{CDN}/images/optimized/i1-v1.jpg",
    thumbnail_link=f"{CDN}/images/thumbnail/i1-v1.jpg",
)
REFUSED = replace(READY, status="rejected", reason="a PDF document, not a JPEG or PNG", link=None, thumbnail_link=None)


@pytest.mark.parametrize(
    ("notice", "line"),
    [
        (READY, "Ready."),
        (REFUSED, "Rejected and removed: a PDF document, not a JPEG or PNG."),
        (replace(READY, status="failed", reason="it timed out"), "Not processed: it timed out."),
        (replace(READY, kind=REVIEW, verdict="passed", reason="sharp"), "Passed review. The reviewer's note: sharp."),
        (replace(READY, kind=REVIEW, verdict="rejected", reason="tilted."), "Rejected in review: tilted."),
    ],
)
def test_the_outcome_line_says_what_happened_and_why(notice, line):
    assert outcome_line(notice) == line


def test_every_rejection_code_has_a_next_step_and_only_what_needs_doing_has_one():
    assert set(NEXT_STEPS) == REJECTION_CODES
    assert next_step(replace(REFUSED, rejection_code="too-large")) == NEXT_STEPS["too-large"]
    assert next_step(REFUSED) == "Upload it again as a JPEG or PNG photo."  # an older notice without a code
    assert "i1" in next_step(replace(READY, status="failed"))
    assert next_step(READY) is None and next_step(replace(READY, kind=REVIEW, verdict="passed")) is None


def test_one_notice_is_its_own_mail_with_both_parts():
    mail = notice_mail(READY)
    assert mail.subject == "imagepipe: your image is ready"
    assert mail.text.startswith("Hello ann,\n\ncat.jpg is processed. Optimized image: https://cdn.example/")
    assert f'<img src="{CDN}/images/thumbnail/i1-v1.jpg" alt="cat.jpg"' in mail.html
    assert "<em>A cat on a mat</em>" in mail.html and f'<a href="{CDN}/images/optimized/i1-v1.jpg">' in mail.html
    assert digest_mail("ann", [READY]) == mail


def test_a_stack_without_an_images_url_mails_no_image_and_no_link():
    keys_only = replace(READY, link="images/optimized/i1-v1.jpg", thumbnail_link="images/thumbnail/i1-v1.jpg")
    html = notice_mail(keys_only).html
    assert "<img" not in html and "<a " not in html


def test_a_digest_counts_its_rows_by_kind_most_first():
    notices = [replace(READY, image_id=f"i{n}", file_name=f"p{n}.jpg") for n in range(3)]
    mail = digest_mail("ann", [*notices, REFUSED])
    assert mail.subject == "imagepipe: news of 4 of your photos (3 ready, 1 rejected and removed)"
    assert mail.text.count("\n- ") == 4 and mail.html.count("<tr") == 4
