"""The settings of the stage functions besides every stage's: where notify publishes and posts
mail, how the mail stage sends it, and where the commands function parks the commands it refuses
and how their dates read."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from handlers.contract import DAY_FIRST, DateOrder, Env
from handlers.runtime.settings import (
    SettingMissing,
    StageSettings,
    date_order_setting,
    number_setting,
    required_setting,
)


@dataclass(frozen=True, kw_only=True)
class NotifySettings(StageSettings):
    notifications_topic_arn: str
    mail_queue_url: str | None = None  # no mail queue: notices are published, not mailed
    images_base_url: str | None = None  # where the variants are served (the CDN): links in notices
    users_table: str | None = None  # the users' own addresses, and the stack's owners' (stores/addresses.py)
    mail_outbox_table: str | None = None  # where notices wait for their digest
    mail_digest_seconds: int = 0  # 0: every mail at once (handlers/pipeline/mail_digest.py)

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        return {
            **super().read_environment(),
            "notifications_topic_arn": required_setting(Env.NOTIFICATIONS_TOPIC_ARN),
            "mail_queue_url": os.environ.get(Env.MAIL_QUEUE_URL) or None,
            "images_base_url": os.environ.get(Env.IMAGES_BASE_URL) or None,
            "users_table": os.environ.get(Env.USERS_TABLE) or None,
            "mail_outbox_table": os.environ.get(Env.MAIL_OUTBOX_TABLE) or None,
            "mail_digest_seconds": number_setting(Env.MAIL_DIGEST_SECONDS) or 0,
        }


@dataclass(frozen=True, kw_only=True)
class MailSettings(StageSettings):
    sender_email: str  # the verified SES address mail comes from
    mail_outbox_table: str  # where digests' notices wait
    mail_rate: float = 1.0  # mails a second this function sends at most

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        return {
            **super().read_environment(),
            "sender_email": required_setting(Env.SENDER_EMAIL),
            "mail_outbox_table": required_setting(Env.MAIL_OUTBOX_TABLE),
            "mail_rate": rate_setting(Env.MAIL_RATE),
        }


def rate_setting(name: str) -> float:
    """A rate above 0 (a second), 1 when not set."""
    value = os.environ.get(name) or "1"
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not 0 < rate < float("inf"):
        raise SettingMissing(f"environment variable {name} should be a number of mails a second above 0, not {value!r}")
    return rate


@dataclass(frozen=True, kw_only=True)
class RemovalSettings(StageSettings):
    fingerprints_table: str  # a deleted image's fingerprint is forgotten there

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        return {**super().read_environment(), "fingerprints_table": required_setting(Env.FINGERPRINTS_TABLE)}


@dataclass(frozen=True, kw_only=True)
class CommandSettings(StageSettings):
    command_rejections_url: str
    command_date_order: DateOrder = DAY_FIRST  # how numeric dates read

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        date_order = date_order_setting()  # a wrong one is named even when more is missing
        return {
            **super().read_environment(),
            "command_rejections_url": required_setting(Env.COMMAND_REJECTIONS_URL),
            "command_date_order": date_order,
        }
