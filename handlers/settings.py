"""The functions' settings, from the environment the stack gives them (names: handlers/contract.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from handlers.contract import DATE_ORDERS, DAY_FIRST, DateOrder, Env

if TYPE_CHECKING:
    from handlers.imaging import Limits, VariantSizes


DEFAULT_MAX_RECEIVE_COUNT = 3  # SQS redrive's usual figure, for a function run without a queue setting


class SettingMissing(RuntimeError):
    """An environment variable the function needs is not set, or not in the form it needs."""


@dataclass(frozen=True)
class Settings:
    """Every stage's settings. The image limits and sizes (None: the imaging defaults) become
    `limits` and `sizes` on first use, so a stage that handles no pixels never loads Pillow."""

    images_table: str
    idempotency_table: str
    enhance_queue_url: str | None
    notifications_topic_arn: str | None
    max_receive_count: int
    command_rejections_url: str | None = None
    command_date_order: DateOrder = DAY_FIRST  # commands: how numeric dates read
    sender_email: str | None = None
    images_base_url: str | None = None  # where the variants are served (the CDN): links in notices
    users_table: str | None = None  # notify: the users' own addresses, and the stack's owners' (addresses.py)
    max_upload_bytes: int | None = None
    max_pixels: int | None = None
    optimized_edge: int | None = None
    thumbnail_edge: int | None = None

    @cached_property
    def limits(self) -> Limits:
        from handlers.imaging import Limits

        return Limits(**_given(max_bytes=self.max_upload_bytes, max_pixels=self.max_pixels))

    @cached_property
    def sizes(self) -> VariantSizes:
        from handlers.imaging import VariantSizes

        return VariantSizes(**_given(optimized=self.optimized_edge, thumbnail=self.thumbnail_edge))

    def check_imaging(self) -> None:
        """Make `limits` and `sizes` now, for a stage that needs them: out of range, the function
        fails at import rather than on its first upload."""
        try:
            self.limits, self.sizes  # noqa: B018 - made (and checked) for their side effect
        except ValueError as error:
            names = (Env.MAX_UPLOAD_BYTES, Env.MAX_PIXELS, Env.OPTIMIZED_EDGE, Env.THUMBNAIL_EDGE)
            raise SettingMissing(f"{', '.join(names[:-1])} or {names[-1]} is out of range: {error}") from None

    @classmethod
    def from_environment(cls) -> Settings:
        receive_count = _number(Env.MAX_RECEIVE_COUNT)
        return cls(
            images_table=_require(Env.IMAGES_TABLE),
            idempotency_table=_require(Env.IDEMPOTENCY_TABLE),
            enhance_queue_url=os.environ.get(Env.ENHANCE_QUEUE_URL),
            notifications_topic_arn=os.environ.get(Env.NOTIFICATIONS_TOPIC_ARN),
            max_receive_count=DEFAULT_MAX_RECEIVE_COUNT if receive_count is None else receive_count,
            command_rejections_url=os.environ.get(Env.COMMAND_REJECTIONS_URL),
            command_date_order=_date_order(),
            sender_email=os.environ.get(Env.SENDER_EMAIL) or None,
            images_base_url=os.environ.get(Env.IMAGES_BASE_URL) or None,
            users_table=os.environ.get(Env.USERS_TABLE) or None,
            max_upload_bytes=_number(Env.MAX_UPLOAD_BYTES),
            max_pixels=_number(Env.MAX_PIXELS),
            optimized_edge=_number(Env.OPTIMIZED_EDGE),
            thumbnail_edge=_number(Env.THUMBNAIL_EDGE),
        )


@dataclass(frozen=True)
class WebFunctionSettings:
    """The web function's settings: the tables, the session key's secret, the bucket uploads go to
    with their byte limit, where the variants are served (the CDN), and how numeric dates in edits
    and verdicts read (the commands' setting)."""

    images_table: str
    users_table: str
    session_secret_arn: str
    images_bucket: str
    max_upload_bytes: int
    images_base_url: str
    command_date_order: DateOrder = DAY_FIRST

    @classmethod
    def from_environment(cls) -> WebFunctionSettings:
        return cls(
            images_table=_require(Env.IMAGES_TABLE),
            users_table=_require(Env.USERS_TABLE),
            session_secret_arn=_require(Env.SESSION_SECRET_ARN),
            images_bucket=_require(Env.IMAGES_BUCKET),
            max_upload_bytes=_required_number(Env.MAX_UPLOAD_BYTES),
            images_base_url=_require(Env.IMAGES_BASE_URL),
            command_date_order=_date_order(),
        )


def _date_order() -> DateOrder:
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


def _require(name: str) -> str:
    return required(os.environ.get(name), name)


def _number(name: str) -> int | None:
    value = os.environ.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise SettingMissing(f"environment variable {name} should be a whole number, not {value!r}") from None


def _required_number(name: str) -> int:
    value = _number(name)
    if value is None:
        raise SettingMissing(f"environment variable {name} is not set")
    return value


def _given(**values: int | None) -> dict[str, int]:
    return {name: value for name, value in values.items() if value is not None}


def required(value: str | None, name: str) -> str:
    """`value`, the setting of environment variable `name`, which this function cannot do without."""
    if not value:
        raise SettingMissing(f"environment variable {name} is not set")
    return value
