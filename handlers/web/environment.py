"""The app as a deployed function runs it: settings from the environment the stack gives, stores over
the execution environment's boto3 clients, the session key from Secrets Manager.

The Lambda entry point (handlers/web/lambda_entry.py) makes it on the first request; outside Lambda, the same app
runs under gunicorn: `gunicorn 'handlers.web.environment:app_from_environment()'` with the same
variables set and AWS credentials in the usual places.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import boto3

from handlers.contract import DAY_FIRST, DateOrder, Env
from handlers.runtime.settings import date_order_setting, required_number_setting, required_setting
from handlers.runtime.snapstart import snap_starting
from handlers.stores.image_store import ImageStore
from handlers.stores.user_store import UserStore
from handlers.web.app import WebSettings, create_app
from handlers.web.services import Services, s3_client
from handlers.web.session_key import session_key

if TYPE_CHECKING:
    from flask import Flask
    from mypy_boto3_secretsmanager import SecretsManagerClient


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
            images_table=required_setting(Env.IMAGES_TABLE),
            users_table=required_setting(Env.USERS_TABLE),
            session_secret_arn=required_setting(Env.SESSION_SECRET_ARN),
            images_bucket=required_setting(Env.IMAGES_BUCKET),
            max_upload_bytes=required_number_setting(Env.MAX_UPLOAD_BYTES),
            images_base_url=required_setting(Env.IMAGES_BASE_URL),
            command_date_order=date_order_setting(),
        )


def app_from_environment(settings: WebFunctionSettings | None = None) -> Flask:
    """The web app for `settings` (read from the environment when not given)."""
    settings = settings or WebFunctionSettings.from_environment()
    dynamodb = boto3.client("dynamodb")
    services = Services(
        users=UserStore(settings.users_table, dynamodb),
        records=ImageStore(settings.images_table, dynamodb),
        images_base_url=settings.images_base_url,
        images_bucket=settings.images_bucket,
        max_upload_bytes=settings.max_upload_bytes,
        date_order=settings.command_date_order,
        # Upload forms are signed by this client: s3v4, at the endpoint the function is given (AWS's,
        # or the emulator's through AWS_ENDPOINT_URL), so the form's URL is one its users reach. It
        # is made on first need (an upload, a deletion, the dashboard page), not here: the image
        # list, sign-in and health then do not pay for it (handlers/web/services.py).
        s3_factory=s3_client,
    )
    if snap_starting():  # what init makes is in the snapshot, free to every restored copy
        services.bucket_or_none()
    web = WebSettings(
        secret_key=read_session_key(settings),
        # Cookies are https-only where the site is (the CDN's URL says); a local edge serves plain http.
        secure_cookies=urlparse(settings.images_base_url).scheme == "https",
    )
    return create_app(web, services)


def read_session_key(settings: WebFunctionSettings) -> bytes:
    """The session key as Secrets Manager holds it now (made first if the secret has none yet)."""
    return session_key(_secrets_manager(), settings.session_secret_arn)


@functools.cache
def _secrets_manager() -> SecretsManagerClient:
    return boto3.client("secretsmanager")
