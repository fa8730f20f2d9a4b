"""What the web app works with: the stores over their boto3 clients, and the clock.

`create_app(settings, services)` receives one `Services`; the tests give it moto-backed stores and
a clock they move, the Lambda entry point real ones. A view reaches it through `services()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from flask import current_app

from handlers.web.lockout import LockoutPolicy, Lockouts

if TYPE_CHECKING:
    from handlers.pipeline.records import RecordStore
    from handlers.web.users import UserStore

EXTENSION = "imagepipe"
"""The key of `Services` in `app.extensions`."""


@dataclass(frozen=True)
class Services:
    """The users (and their sign-in failures, in the same table), the image records, and the time.

    `clock` answers seconds since the epoch (`time.time`); sessions' ages and lockouts are measured
    with it, so a test moves time by giving a clock it controls. `lockout` says how repeated
    sign-in failures slow down and lock a user name.
    """

    users: UserStore
    records: RecordStore
    clock: Callable[[], float] = field(default=time.time)
    images_base_url: str | None = None  # where the published variants are served (the CDN); None: not yet
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)

    @property
    def lockouts(self) -> Lockouts:
        """Sign-in failures, kept in the users table."""
        return Lockouts(self.users.table_name, self.users.client, self.lockout)


def services() -> Services:
    """The current app's services (inside a request or an app context)."""
    return cast(Services, current_app.extensions[EXTENSION])
