"""The dates commands carry (a review's `date`, a Date command's `value`), read into ISO 8601.

Two forms are taken:

- ISO 8601: a date (`2025-05-01`) or a date and time (`2025-05-01T14:03:22`, with `Z`, an offset or
  neither), normalised (`Z` becomes `+00:00`);
- numeric, year last: two numbers of 1 or 2 digits and a four-digit year, separated by `/`, `.` or
  `-` (the same one both times): `01/05/2025`, `1/5/2025`, `1.5.2025`, `01-05-2025`. The stack's
  date order (`imagepipe:commandDateOrder`, handlers/contract.py `DATE_ORDERS`) says which number is
  the day: day-first (the default, as the seed-001 family publishes reviews) reads `01/05/2025` as
  1 May 2025, month-first as 5 January 2025. It is recorded as the ISO 8601 date, `2025-05-01`.

The year comes last in a numeric date and first in ISO 8601, so the two never read the same text;
every separator is read in the stack's order (a two-digit year is refused: its century would be a
guess, and so is a time after a numeric date).

A text that is neither, a date that does not exist (`31/02/2025`), and a date in the future are
refused (`DateRefused`) with a reason for the person who sent it: it names the accepted forms and
the order this stack reads. A date only, or a time without an offset, may be today anywhere on
Earth, so it is in the future only once it is tomorrow everywhere.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Final

from handlers.contract import DATE_ORDERS, DAY_FIRST, MONTH_FIRST, DateOrder

# The furthest ahead of UTC a place's clock runs: a date that is "today" somewhere is not in the future.
AHEAD_OF_UTC: Final = timedelta(hours=14)
_NUMERIC: Final = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", re.ASCII)
# How each order writes 1 May 2025, the example the reasons give.
_EXAMPLES: Final[dict[DateOrder, str]] = {
    DAY_FIRST: "day/month/year (01/05/2025 or 1/5/2025)",
    MONTH_FIRST: "month/day/year (05/01/2025 or 5/1/2025)",
}


class DateRefused(ValueError):
    """The text is not a date a command may carry; the message says why, for the person who sent it."""


def accepted_forms(order: DateOrder) -> str:
    """The forms a command's date may take, and the order numeric ones are read in, in words."""
    numeric = _EXAMPLES[order]
    return f"use ISO 8601 (2025-05-01, or a date and time) or {numeric}; this stack reads numeric dates {order}"


def command_date(text: str, order: DateOrder = DAY_FIRST, now: datetime | None = None, what: str = "date") -> str:
    """`text` (a command's `what`, e.g. "review date") as ISO 8601: a date, or a date and time as
    given; numeric dates read in `order`. `DateRefused` when it is not one, or lies in the future."""
    if order not in DATE_ORDERS:
        raise ValueError(f"the date order must be one of {', '.join(DATE_ORDERS)}, not {order!r}")
    now = now or datetime.now(UTC)
    numeric = _NUMERIC.fullmatch(text)
    if numeric:
        return _numeric_date(numeric, order, now, what)
    try:
        given = date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DateRefused(f"the {what} {text!r} is not a date: {accepted_forms(order)}") from None
    if isinstance(given, datetime):
        latest = now if given.tzinfo else (now + AHEAD_OF_UTC).replace(tzinfo=None)
        if given > latest:
            raise DateRefused(f"the {what} {text} lies in the future")
    elif _after_today(given, now):
        raise DateRefused(f"the {what} {text} lies in the future")
    return given.isoformat()


def _numeric_date(numeric: re.Match[str], order: DateOrder, now: datetime, what: str) -> str:
    """The ISO 8601 date a numeric date (matched by `_NUMERIC`) is, read in `order`."""
    text = numeric.group(0)
    first, _, second, year = numeric.groups()
    day, month = (int(first), int(second)) if order == DAY_FIRST else (int(second), int(first))
    try:
        given = date(int(year), month, day)
    except ValueError:
        raise DateRefused(
            f"the {what} {text!r} is not a date: day {day} of month {month} of {year} does not exist; "
            f"{accepted_forms(order)}"
        ) from None
    if _after_today(given, now):
        raise DateRefused(f"the {what} {text} lies in the future (read {order}: {given.isoformat()})")
    return given.isoformat()


def _after_today(day: date, now: datetime) -> bool:
    """Whether `day` is after today everywhere on Earth (the clock furthest ahead of UTC)."""
    return day > (now + AHEAD_OF_UTC).date()
