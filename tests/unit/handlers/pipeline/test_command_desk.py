"""Commands as plain logic: parsing and validation with reasons, never anything else."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.contract import DAY_FIRST, METADATA_FIELDS, MONTH_FIRST, PASSED, REJECTED, DateOrder, Record
from handlers.pipeline.command_desk import (
    CommandRejected,
    MetadataEdit,
    Published,
    Verdict,
    command_body,
    metadata_edit,
    photo_date,
    published,
    verdict,
)
from handlers.pipeline.uploads import image_id_for

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
AT = "2026-12-01T11:59:00.000Z"


def message(body: Any, attributes: dict[str, str] | None = None) -> Published:
    text = body if isinstance(body, str) else json.dumps(body)
    return Published(text, attributes or {}, "m-1", AT)


def edit_of(
    sent: Published, metadata_type: str | None, now: datetime, date_order: DateOrder = DAY_FIRST
) -> MetadataEdit:
    """The edit a message of the events topic asks for, as the desk reads it."""
    return metadata_edit(command_body(sent), metadata_type, sent.sent, now, date_order)


def verdict_of(sent: Published, now: datetime, date_order: DateOrder = DAY_FIRST) -> Verdict:
    """The verdict a message of the events topic gives, as the desk reads it."""
    return verdict(command_body(sent), sent.sent, now, date_order)


def rejected(call: Any) -> str:
    with pytest.raises(CommandRejected) as caught:
        call()
    return caught.value.reason


def test_a_caption_by_upload_key_names_the_record_of_that_key():
    edit = edit_of(message({"id": "uploads/alice/beach.jpg", "value": " Sunset at Inch "}), "Caption", NOW)
    assert edit == MetadataEdit(
        image_id_for("uploads/alice/beach.jpg"), Record.CAPTION, "Sunset at Inch", f"{AT}|m-1", AT
    )


@pytest.mark.parametrize(("metadata_type", "field"), sorted(METADATA_FIELDS.items()))
def test_every_metadata_type_sets_its_field(metadata_type, field):
    value = "2026-05-01" if field == Record.DATE else "Ann Lee"
    assert edit_of(message({"id": "abc", "value": value}), metadata_type, NOW).field == field


@pytest.mark.parametrize(
    ("body", "metadata_type", "reason"),
    [
        ({"id": "abc", "value": "x"}, None, "the command has no metadata_type attribute"),
        ({"id": "abc", "value": "x"}, "Colour", "unknown metadata type 'Colour': use one of Caption, Date"),
        ({"value": "x"}, "Caption", 'the command does not say which image ("id"'),
        ({"id": "  ", "value": "x"}, "Caption", "the command does not say which image"),
        ({"id": "abc", "value": "   "}, "Caption", "the new caption is empty"),
        ({"id": "abc", "value": 7}, "Caption", 'the new caption ("value") must be text, not a number'),
        ({"id": "abc"}, "Photographer", 'the new photographer ("value") must be text, not nothing'),
        ({"id": "abc", "value": "x" * 201}, "Photographer", "the new photographer is 201 characters long; at most 200"),
        ({"id": "abc", "value": "Ann\x00Lee"}, "Name", "the new photographer contains control characters"),
        ({"id": "abc", "value": "Ann \ud800"}, "Name", "the new photographer is not valid Unicode text"),
        ({"id": "a\ud800", "value": "x"}, "Caption", 'the image "id" is not valid Unicode text'),
        ({"id": "abc", "value": "yesterday"}, "Date", "the date 'yesterday' is not a date: use ISO 8601"),
        ({"id": "abc", "value": "2026-13-01"}, "Date", "the date '2026-13-01' is not a date"),
        ({"id": "abc", "value": "2027-01-01"}, "Date", "the date 2027-01-01 lies in the future"),
        ("not json", "Caption", "the command is not JSON"),
        (["id", "value"], "Caption", "the command must be a JSON object, not a list"),
    ],
)
def test_a_metadata_command_that_cannot_be_valid_says_why(body, metadata_type, reason):
    assert rejected(lambda: edit_of(message(body), metadata_type, NOW)).startswith(reason)


def test_a_caption_may_span_lines_but_a_photographer_may_not():
    assert edit_of(message({"id": "a", "value": "Two\nlines"}), "Caption", NOW).value == "Two\nlines"
    assert "control characters" in rejected(lambda: edit_of(message({"id": "a", "value": "A\nB"}), "Name", NOW))


def test_dates_are_normalised_and_today_anywhere_is_not_the_future():
    assert photo_date("2026-05-01", NOW) == "2026-05-01"
    assert photo_date("2026-05-01T14:03:22Z", NOW) == "2026-05-01T14:03:22+00:00"
    assert photo_date("2026-05-01T14:03:22", NOW) == "2026-05-01T14:03:22"
    assert photo_date("2026-12-02", NOW) == "2026-12-02"  # already the 2nd in Kiribati
    assert photo_date("2026-12-02T01:00:00", NOW) == "2026-12-02T01:00:00"
    assert "future" in rejected(lambda: photo_date("2026-12-01T12:01:00+00:00", NOW))


def test_a_review_passes_or_rejects_with_a_reason():
    body = {"id": "abc", "date": "2026-12-01", "update": {"status": "Reject", "reason": " blurred "}}
    assert verdict_of(message(body), NOW) == Verdict("abc", REJECTED, "blurred", "2026-12-01", f"{AT}|m-1", AT)
    passed = verdict_of(message({"id": "abc", "update": {"status": "Pass"}}), NOW)
    assert (passed.status, passed.reason, passed.reviewed_at) == (PASSED, None, AT)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"id": "abc", "update": {"status": "Maybe"}}, "the verdict must be Pass or Reject, not 'Maybe'"),
        ({"id": "abc", "update": {"status": "pass"}}, "the verdict must be Pass or Reject, not 'pass'"),
        ({"id": "abc", "update": {"status": ["Pass"]}}, "the verdict must be Pass or Reject, not ['Pass']"),
        ({"id": "abc", "update": {"status": "Reject"}}, "a rejection needs a reason"),
        ({"id": "abc", "update": {"status": "Reject", "reason": "  "}}, "a rejection needs a reason"),
        ({"id": "abc", "update": {"status": "Reject", "reason": 3}}, "the reason must be text, not a number"),
        ({"id": "abc", "update": {"status": "Reject", "reason": "x\ud83d"}}, "the reason is not valid Unicode text"),
        ({"id": "abc", "update": "Pass"}, 'the review has no "update" object, but text'),
        ({"id": "abc", "date": "soon", "update": {"status": "Pass"}}, "the review date 'soon' is not a date"),
        ({"id": "abc", "date": 5, "update": {"status": "Pass"}}, "the review date must be text, not a number"),
        ({"update": {"status": "Pass"}}, "the command does not say which image"),
    ],
)
def test_a_review_that_cannot_be_valid_says_why(body, reason):
    assert rejected(lambda: verdict_of(message(body), NOW)).startswith(reason)


# The seed-001 family's review, exactly as its publishers send it.
SEED_001_REVIEW = {"id": "image1.jpeg", "date": "01/05/2025", "update": {"status": "Pass", "reason": "Good image"}}


def test_the_seed_001_review_applies_read_day_first_by_default():
    given = verdict_of(message(SEED_001_REVIEW), NOW)
    assert (given.image_id, given.status, given.reason, given.reviewed_at) == (
        "image1.jpeg",
        PASSED,
        "Good image",
        "2025-05-01",
    )
    assert verdict_of(message(SEED_001_REVIEW), NOW, MONTH_FIRST).reviewed_at == "2025-01-05"


@pytest.mark.parametrize(
    ("text", "day_first", "month_first"),
    [
        ("01/05/2025", "2025-05-01", "2025-01-05"),
        ("1/5/2025", "2025-05-01", "2025-01-05"),
        ("1/05/2025", "2025-05-01", "2025-01-05"),
        ("13/5/2025", "2025-05-13", None),  # there is no month 13
        ("5/13/2025", None, "2025-05-13"),
        ("29/02/2024", "2024-02-29", None),  # a leap year's 29 February
        ("01.05.2025", "2025-05-01", "2025-01-05"),  # every separator reads in the stack's order
        ("01-05-2025", "2025-05-01", "2025-01-05"),
    ],
)
def test_numeric_dates_read_in_the_stacks_order_and_are_recorded_as_iso_8601(text, day_first, month_first):
    for order, expected in ((DAY_FIRST, day_first), (MONTH_FIRST, month_first)):
        if expected is None:
            with pytest.raises(CommandRejected, match="does not exist"):
                photo_date(text, NOW, date_order=order)
        else:
            assert photo_date(text, NOW, date_order=order) == expected


def test_a_date_command_reads_numeric_dates_in_the_stacks_order():
    sent = message({"id": "abc", "value": " 1/5/2025 "})
    assert edit_of(sent, "Date", NOW).value == "2025-05-01"
    assert edit_of(sent, "Date", NOW, MONTH_FIRST).value == "2025-01-05"


FORMS = {
    DAY_FIRST: "use ISO 8601 (2025-05-01, or a date and time) or day/month/year (01/05/2025 or 1/5/2025); "
    "this stack reads numeric dates day-first",
    MONTH_FIRST: "use ISO 8601 (2025-05-01, or a date and time) or month/day/year (05/01/2025 or 5/1/2025); "
    "this stack reads numeric dates month-first",
}


@pytest.mark.parametrize("order", [DAY_FIRST, MONTH_FIRST])
@pytest.mark.parametrize(
    ("date_text", "reason"),
    [
        ("31/02/2025", "the review date '31/02/2025' is not a date: {impossible} does not exist; {forms}"),
        ("soon", "the review date 'soon' is not a date: {forms}"),
        ("1/5/25", "the review date '1/5/25' is not a date: {forms}"),  # the century would be a guess
        ("1/5-2025", "the review date '1/5-2025' is not a date: {forms}"),  # two separators
        ("01/05/2025 10:00", "the review date '01/05/2025 10:00' is not a date: {forms}"),
        ("001/05/2025", "the review date '001/05/2025' is not a date: {forms}"),
        ("\u0661/5/2025", "the review date '\u0661/5/2025' is not a date: {forms}"),  # an Arabic-Indic digit
    ],
)
def test_a_review_date_that_is_not_one_names_the_forms_taken_and_the_order_read(order, date_text, reason):
    impossible = "day 31 of month 2 of 2025" if order == DAY_FIRST else "day 2 of month 31 of 2025"
    body = {**SEED_001_REVIEW, "date": date_text}
    assert rejected(lambda: verdict_of(message(body), NOW, order)) == reason.format(
        impossible=impossible, forms=FORMS[order]
    )


def test_a_numeric_date_in_the_future_is_refused_saying_how_it_was_read():
    assert rejected(lambda: photo_date("05/12/2026", NOW, "review date")) == (
        "the review date 05/12/2026 lies in the future (read day-first: 2026-12-05)"
    )
    assert photo_date("05/12/2026", NOW, date_order=MONTH_FIRST) == "2026-05-12"
    assert photo_date("2/12/2026", NOW) == "2026-12-02"  # already the 2nd in Kiribati
    assert "future" in rejected(lambda: photo_date("3/12/2026", NOW))


def test_an_order_that_is_not_one_is_an_error_naming_the_orders():
    with pytest.raises(ValueError, match="the date order must be one of day-first, month-first, not 'yearfirst'"):
        photo_date("2025-05-01", NOW, date_order="yearfirst")  # type: ignore[arg-type]


past_dates = st.dates(max_value=NOW.date())


@given(day=past_dates, padded=st.booleans())
def test_any_past_date_written_day_first_reads_back_as_that_date_under_day_first(day: date, padded: bool):
    text = f"{day.day:02}/{day.month:02}/{day.year:04}" if padded else f"{day.day}/{day.month}/{day.year:04}"
    assert photo_date(text, NOW, date_order=DAY_FIRST) == day.isoformat()


@given(day=past_dates, padded=st.booleans())
def test_any_past_date_written_month_first_reads_back_as_that_date_under_month_first(day: date, padded: bool):
    text = f"{day.month:02}/{day.day:02}/{day.year:04}" if padded else f"{day.month}/{day.day}/{day.year:04}"
    assert photo_date(text, NOW, date_order=MONTH_FIRST) == day.isoformat()


def test_the_queue_message_must_be_an_sns_notification():
    envelope = {
        "Type": "Notification",
        "MessageId": "m-9",
        "Timestamp": AT,
        "Message": '{"id": "abc"}',
        "MessageAttributes": {"metadata_type": {"Type": "String", "Value": "Caption"}},
    }
    assert published(json.dumps(envelope)) == Published('{"id": "abc"}', {"metadata_type": "Caption"}, "m-9", AT)
    assert "not an SNS notification" in rejected(lambda: published('{"id": "abc", "value": "raw"}'))
    assert "not an SNS notification" in rejected(lambda: published("plain text"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
command_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id": st.one_of(st.text(max_size=40), json_values), "value": json_values},
        optional={"update": json_values, "date": json_values},
    ),
    st.fixed_dictionaries(
        {
            "id": st.text(max_size=40),
            "update": st.fixed_dictionaries(
                {"status": st.sampled_from(["Pass", "Reject", "", "maybe"]) | json_values},
                optional={"reason": st.text(max_size=40) | json_values},
            ),
        },
        optional={"date": st.text(max_size=25) | json_values},
    ),
)


@given(
    body=command_bodies,
    metadata_type=st.none() | st.sampled_from(sorted(METADATA_FIELDS)) | st.text(max_size=12),
    raw=st.booleans(),
)
def test_any_command_is_parsed_or_rejected_with_a_reason(body, metadata_type, raw):
    sent = message(json.dumps(body)[:-1] if raw and body is not None else body)  # raw: JSON cut short
    for parse in (lambda: edit_of(sent, metadata_type, NOW), lambda: verdict_of(sent, NOW)):
        outcome = parsed_or_reason(parse)
        assert outcome.strip() if isinstance(outcome, str) else outcome.image_id


def parsed_or_reason(parse: Any) -> MetadataEdit | Verdict | str:
    """The command `parse()` makes, or the reason it gives for refusing; any other error escapes."""
    try:
        command: MetadataEdit | Verdict = parse()
    except CommandRejected as rejection:
        return rejection.reason
    return command
