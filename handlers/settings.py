"""The functions' settings, from the environment the stack gives them (see components/)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from handlers.imaging import Limits, VariantSizes


class SettingMissing(RuntimeError):
    """An environment variable the function needs is not set, or not in the form it needs."""


@dataclass(frozen=True)
class Settings:
    images_table: str
    idempotency_table: str
    limits: Limits
    sizes: VariantSizes
    enhance_queue_url: str | None
    notifications_topic_arn: str | None
    max_receive_count: int
    sender_email: str | None = None
    owner_emails: dict[str, str] = field(default_factory=dict)

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
            sender_email=os.environ.get("SENDER_EMAIL") or None,
            owner_emails=_addresses("OWNER_EMAILS"),
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


def _addresses(name: str) -> dict[str, str]:
    """A JSON object of owner → e-mail address (absent: nobody)."""
    value = os.environ.get(name)
    if not value:
        return {}
    try:
        addresses = json.loads(value)
    except json.JSONDecodeError:
        addresses = None
    if not isinstance(addresses, dict) or not all(isinstance(v, str) for v in addresses.values()):
        raise SettingMissing(f"environment variable {name} should be a JSON object of owner to address, not {value!r}")
    return addresses


def required(value: str | None, name: str) -> str:
    """`value`, the setting of environment variable `name`, which this function cannot do without."""
    if not value:
        raise SettingMissing(f"environment variable {name} is not set")
    return value
