"""The functions' settings, from the environment the stack gives them (names: handlers/contract.py):
what every stage reads, and how a setting is read, with an error naming what is missing or wrong."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Self

from handlers.contract import DATE_ORDERS, DAY_FIRST, DateOrder, Env

DEFAULT_MAX_RECEIVE_COUNT = 5  # the stack's default (AWS's advice for Lambda), for a function run without one


class SettingMissing(RuntimeError):
    """An environment variable the function needs is not set, or not in the form it needs."""


@dataclass(frozen=True, kw_only=True)
class StageSettings:
    """What every stage reads: its table, the idempotency table, and how often its queue delivers a
    message before the dead-letter queue takes it (the last attempt records the failure). Each kind
    of function adds its own (`ImagingSettings`, `NotifySettings`, `CommandSettings`)."""

    images_table: str
    idempotency_table: str
    max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT

    @classmethod
    def from_environment(cls) -> Self:
        """The settings from the function's environment; SettingMissing naming what is missing or wrong."""
        return cls(**cls.read_environment())

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        """The fields this class reads from the environment, by name (a subclass adds its own)."""
        receive_count = number_setting(Env.MAX_RECEIVE_COUNT)
        return {
            "images_table": required_setting(Env.IMAGES_TABLE),
            "idempotency_table": required_setting(Env.IDEMPOTENCY_TABLE),
            "max_receive_count": DEFAULT_MAX_RECEIVE_COUNT if receive_count is None else receive_count,
        }


def date_order_setting() -> DateOrder:
    """How the commands' numeric dates read (`COMMAND_DATE_ORDER`): day-first when not set."""
    value = os.environ.get(Env.COMMAND_DATE_ORDER)
    if not value:
        return DAY_FIRST
    for order in DATE_ORDERS:
        if value == order:
            return order
    raise SettingMissing(
        f"environment variable {Env.COMMAND_DATE_ORDER} should be {' or '.join(DATE_ORDERS)}, not {value!r}"
    )


def required_setting(name: str) -> str:
    return required(os.environ.get(name), name)


def number_setting(name: str) -> int | None:
    value = os.environ.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise SettingMissing(f"environment variable {name} should be a whole number, not {value!r}") from None


def required_number_setting(name: str) -> int:
    value = number_setting(name)
    if value is None:
        raise SettingMissing(f"environment variable {name} is not set")
    return value


def required(value: str | None, name: str) -> str:
    """`value`, the setting of environment variable `name`, which this function cannot do without."""
    if not value:
        raise SettingMissing(f"environment variable {name} is not set")
    return value
