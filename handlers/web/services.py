"""What the web app works with: the stores over their boto3 clients, the images bucket, and the clock.

`create_app(settings, services)` receives one `Services`; the tests give it moto-backed stores and
a clock they move, the Lambda entry point real ones. A view reaches it through `services()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Generic, TypeVar, cast

from flask import current_app

from handlers.contract import DAY_FIRST, DateOrder
from handlers.stores.lockouts import LockoutPolicy, Lockouts
from handlers.web.errors import ApiError

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_s3 import S3Client

    from handlers.pipeline.command_desk import Commands
    from handlers.stores.image_store import ImageStore
    from handlers.stores.user_store import UserStore

T = TypeVar("T")

EXTENSION = "imagepipe"
"""The key of `Services` in `app.extensions`."""

DEFAULT_MAX_UPLOAD_BYTES: Final = 25 * 1024 * 1024
"""The pipeline's byte limit when the stack sets none (`handlers.imaging.Limits.max_bytes`, which the
web tier does not import: it would load Pillow; a test keeps the two equal)."""
SIGNATURE_VERSION: Final = "s3v4"
"""How the S3 client signs: presigned POSTs with `x-amz-*` fields (SigV2 is retired on AWS)."""


@dataclass(frozen=True)
class Bucket:
    """The images bucket: its name and an S3 client for it."""

    name: str
    s3: S3Client


@dataclass(frozen=True)
class Services:
    """The users (and their sign-in failures, in the same table), the image records, the images
    bucket, and the time.

    `clock` answers seconds since the epoch (`time.time`); sessions' ages, lockouts and the publish
    time of the API's commands are measured with it, so a test moves time by giving a clock it
    controls. `lockout` says how repeated sign-in failures slow down and lock a user name.

    `images_bucket` (the stack's `IMAGES_BUCKET`) is where uploads go and deletions are made, through
    an S3 client that signs with s3v4 (`s3_client()` makes one): either `s3`, a client made already
    (the tests' moto-backed ones), or `s3_factory`, called on first need (`bucket_or_none()`) and at
    most once. The deployed app gives the factory: making an S3 client loads S3's service model and
    endpoint ruleset, botocore's largest, and only uploads, deletions and the dashboard page's policy
    need it; the image list, sign-in and health do not, and made on first need it leaves their first
    request sooner (docs/benchmarks.md, "Design figures"). Without a bucket or a client the upload
    and delete endpoints answer 503.
    `max_upload_bytes` is the stack's `MAX_UPLOAD_BYTES`, the largest upload a presigned POST allows.
    """

    users: UserStore
    records: ImageStore
    clock: Callable[[], float] = field(default=time.time)
    images_base_url: str | None = None  # where the published variants are served (the CDN); None: not yet
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    s3: S3Client | None = None
    images_bucket: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    s3_factory: Callable[[], S3Client] | None = None
    date_order: DateOrder = DAY_FIRST  # how numeric dates in edits and verdicts read (the commands' setting)
    _s3: _Once[S3Client] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if isinstance(self.max_upload_bytes, bool) or not isinstance(self.max_upload_bytes, int):
            raise TypeError(f"max_upload_bytes must be an int, not {self.max_upload_bytes!r}")
        if self.max_upload_bytes < 1:
            raise ValueError(f"max_upload_bytes must be at least 1, not {self.max_upload_bytes}")
        if self.s3 is not None and self.s3_factory is not None:
            raise ValueError("give the S3 client (s3) or a way to make it (s3_factory), not both")
        if self.s3 is not None:
            _signing_s3v4(self.s3)
        if self.s3_factory is not None:
            factory = self.s3_factory
            object.__setattr__(self, "_s3", _Once(lambda: _signing_s3v4(factory())))

    @property
    def lockouts(self) -> Lockouts:
        """Sign-in failures, kept in the users table."""
        return Lockouts(self.users.table_name, self.users.client, self.lockout)

    @property
    def commands(self) -> Commands:
        """Edits and verdicts, applied as the metadata and review stages apply them."""
        from handlers.pipeline.command_desk import Commands

        return Commands(self.records)

    def bucket_or_none(self) -> Bucket | None:
        """The images bucket and its S3 client, the client made now if it is the first need (the
        factory's, once per app); None when this stack gave the app no bucket or no client."""
        if not self.images_bucket:
            return None
        if self.s3 is not None:
            return Bucket(self.images_bucket, self.s3)
        if self._s3 is not None:
            return Bucket(self.images_bucket, self._s3.get())
        return None

    @property
    def bucket(self) -> Bucket:
        """The images bucket (see `bucket_or_none`); a 503 `ApiError` when this stack gave the app none."""
        found = self.bucket_or_none()
        if found is None:
            raise ApiError("this stack gives the web app no images bucket", status=503, error="unavailable")
        return found


class _Once(Generic[T]):
    """What `make()` answers, made on the first `get()` and kept; a lock keeps threads that ask at
    once (gunicorn's) from making two. A `make()` that raises keeps nothing: the next `get()` tries again."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: list[T] = []

    def get(self) -> T:
        if not self._made:
            with self._lock:
                if not self._made:
                    self._made.append(self._make())
        return self._made[0]


def _signing_s3v4(client: S3Client) -> S3Client:
    """`client`, if it signs with s3v4; a ValueError if not (presigned POSTs need it)."""
    if getattr(client.meta.config, "signature_version", None) != SIGNATURE_VERSION:
        raise ValueError(f"the S3 client must sign with {SIGNATURE_VERSION} (see services.s3_client)")
    return client


def s3_client(endpoint_url: str | None = None, config: Config | None = None) -> S3Client:
    """An S3 client that signs with s3v4, as presigned POSTs need: at `endpoint_url` (None: AWS's,
    or `AWS_ENDPOINT_URL`), with `config`'s other settings (e.g. path-style addressing)."""
    import boto3
    from botocore.config import Config

    signing = Config(signature_version=SIGNATURE_VERSION)
    return boto3.client("s3", endpoint_url=endpoint_url, config=config.merge(signing) if config else signing)


def services() -> Services:
    """The current app's services (inside a request or an app context)."""
    return cast(Services, current_app.extensions[EXTENSION])
