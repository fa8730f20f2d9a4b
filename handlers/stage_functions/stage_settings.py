"""The settings of the stage functions besides every stage's: where notify publishes and mails
from, and where the commands function parks the commands it refuses and how their dates read."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from handlers.contract import DAY_FIRST, DateOrder, Env
from handlers.runtime.settings import StageSettings, date_order_setting, required_setting


@dataclass(frozen=True, kw_only=True)
class NotifySettings(StageSettings):
    notifications_topic_arn: str
    sender_email: str | None = None  # no sender: notices are published, not mailed
    images_base_url: str | None = None  # where the variants are served (the CDN): links in notices
    users_table: str | None = None  # the users' own addresses, and the stack's owners' (stores/addresses.py)

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        return {
            **super().read_environment(),
            "notifications_topic_arn": required_setting(Env.NOTIFICATIONS_TOPIC_ARN),
            "sender_email": os.environ.get(Env.SENDER_EMAIL) or None,
            "images_base_url": os.environ.get(Env.IMAGES_BASE_URL) or None,
            "users_table": os.environ.get(Env.USERS_TABLE) or None,
        }


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
