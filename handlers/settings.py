"""The functions' settings, from the environment the stack gives them (see components/)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from handlers.imaging import Limits, VariantSizes


class SettingMissing(RuntimeError):
    """An environment variable the function needs is not set, or not a number where one is needed."""


@dataclass(frozen=True)
class Settings:
    images_table: str
    idempotency_table: str
    limits: Limits
    sizes: VariantSizes
    enhance_queue_url: str | None
    notifications_topic_arn: str | None
    max_receive_count: int

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            images_table=_require("IMAGES_TABLE"),
            idempotency_table=_require("IDEMPOTENCY_TABLE"),
            limits=Limits(
                max_bytes=_number("MAX_UPLOAD_BYTES", Limits.max_bytes),
                max_pixels=_number("MAX_PIXELS", Limits.max_pixels),
            ),
            sizes=VariantSizes(
                optimized=_number("OPTIMIZED_EDGE", VariantSizes.optimized),
                thumbnail=_number("THUMBNAIL_EDGE", VariantSizes.thumbnail),
            ),
            enhance_queue_url=os.environ.get("ENHANCE_QUEUE_URL"),
            notifications_topic_arn=os.environ.get("NOTIFICATIONS_TOPIC_ARN"),
            max_receive_count=_number("MAX_RECEIVE_COUNT", 3),
        )


def _require(name: str) -> str:
    return required(os.environ.get(name), name)


def _number(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingMissing(f"environment variable {name} should be a whole number, not {value!r}") from None


def required(value: str | None, name: str) -> str:
    """`value`, the setting of environment variable `name`, which this function cannot do without."""
    if not value:
        raise SettingMissing(f"environment variable {name} is not set")
    return value
