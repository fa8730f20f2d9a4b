"""The commands' date order (`imagepipe:commandDateOrder`): read from the stack's config, checked, and
given to every function that reads commands: the metadata and review stages, and the web function
(its edits and verdicts are commands, read by the same code)."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from handlers.contract import Env
from tests.unit.components.conftest import Recorded, run_program

FUNCTION = "aws:lambda/function:Function"
COMMAND_READERS = ("metadata", "review", "web-function")


def _orders(program: Recorded) -> dict[str, str | None]:
    """Each function's COMMAND_DATE_ORDER (None: not given)."""
    return {
        name: function["environment"]["variables"].get(Env.COMMAND_DATE_ORDER)
        for name, function in program.of_type(FUNCTION).items()
    }


def test_by_default_the_functions_that_read_commands_read_numeric_dates_day_first(program):
    orders = _orders(program)
    assert {name: orders[name] for name in COMMAND_READERS} == dict.fromkeys(COMMAND_READERS, "day-first")
    assert {name for name, order in orders.items() if order is not None} == set(COMMAND_READERS)


def test_month_first_reaches_every_function_that_reads_commands():
    orders = _orders(run_program({"imagepipe:commandDateOrder": "month-first"}))
    assert {name: orders[name] for name in COMMAND_READERS} == dict.fromkeys(COMMAND_READERS, "month-first")


def test_a_value_that_is_neither_order_stops_the_program_naming_the_setting():
    with pytest.raises(
        ConfigError, match="imagepipe:commandDateOrder: 'DD/MM/YYYY' is not one of day-first, month-first"
    ):
        run_program({"imagepipe:commandDateOrder": "DD/MM/YYYY"})
