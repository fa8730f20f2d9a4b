"""The stack's settings, read once from Pulumi config and checked before anything is declared.

Every setting lives under the `imagepipe:` namespace of `Pulumi.<stack>.yaml`; the README has the
table. A value of the wrong type or out of range stops the program with a message naming the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi

from components.web_tier_config import WebTierConfig, WebTierError
from handlers.contract import (
    DATE_ORDERS,
    DAY_FIRST,
    DEFAULT_FORMATS,
    DEFAULT_SRCSET_WIDTHS,
    DUPLICATE_SCOPES,
    MAX_SRCSET_WIDTHS,
    MODERN_FORMATS,
)
from handlers.pipeline.mail_digest import MAX_DIGEST_SECONDS

NAMESPACE = "imagepipe"

T = TypeVar("T")

_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_OWNER = re.compile(r"^[^/]{1,255}$")  # a key's second segment: uploads/<owner>/<file name>
_RUNTIMES = ("python3.11", "python3.12", "python3.13")
SNAP_START_RUNTIMES = ("python3.12", "python3.13")  # Lambda SnapStart for Python starts at 3.12
_ARCHITECTURES = ("x86_64", "arm64")
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# SES's sending rate for an account (mails a second): in its sandbox, and once out of it at first.
SANDBOX_SENDING_RATE = 1.0
SENDING_RATE = 14.0
# A name the CDN answers to: DNS labels, the first one possibly a wildcard (`*.example.com`).
_ALIAS = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# CloudFront takes certificates from ACM in us-east-1 only.
_CDN_CERTIFICATE = re.compile(r"^arn:aws:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")


class ConfigError(ValueError):
    """A stack setting is missing, of the wrong type or out of range."""


@dataclass(frozen=True)
class StackConfig:
    """What one stack of imagepipe is: its names, limits and Lambda settings."""

    name_prefix: str
    # The stack's AWS region (`aws:region`, else AWS_REGION / AWS_DEFAULT_REGION as the provider reads
    # them): part of the names IAM and CloudFront keep account-wide (`account_wide_name`).
    region: str = "us-east-1"
    images_bucket_name: str | None = None
    force_destroy: bool = False
    lambda_runtime: str = "python3.11"
    lambda_architecture: str = "x86_64"
    # Lambda SnapStart: each function's init (imports, SDK clients, the web app) runs once when a
    # version is published, and cold starts resume from its snapshot (handlers/runtime/snapstart.py).
    lambda_snap_start: bool = False
    max_upload_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 50_000_000
    optimized_edge: int = 1600
    thumbnail_edge: int = 256
    # Published besides JPEG/PNG: these formats, and the optimized image in these narrower widths
    # (for srcset); each variant keeps the photo's copyright notice (and nothing else) when asked.
    image_formats: tuple[str, ...] = DEFAULT_FORMATS
    srcset_widths: tuple[int, ...] = DEFAULT_SRCSET_WIDTHS
    keep_copyright: bool = True
    # Whose earlier images an upload is compared with to flag it a duplicate: its owner's, or all.
    duplicates_across: str = "owner"
    # Receives of a stage's message before SQS parks it in the dead-letter queue. AWS advises at least
    # 5 for a queue Lambda consumes: a receive whose invocation was throttled counts too, so fewer can
    # park work that never failed (README, "Alerts and retries").
    max_receive_count: int = 5
    log_retention_days: int = 14
    # Commands: how a numeric date in a review or a Date command reads (01/05/2025 is 1 May day-first,
    # as the seed-001 family publishes them, and 5 January month-first); ISO 8601 reads one way.
    command_date_order: str = DAY_FIRST
    # Mail: sent from `sender_email` (an SES identity the stack verifies) to the owners listed.
    sender_email: str | None = None
    owner_emails: Mapping[str, str] = field(default_factory=dict)
    # Whether the account's SES is in its sandbox (a new account's is), where it mails verified
    # addresses only: the stack then verifies the owners' addresses too, and may send to any
    # identity of the account (a web user's address, once verified).
    ses_sandbox: bool = True
    # An owner's mails within this many seconds go out as one digest (0: each at once; an upload's
    # rejection always goes at once), sent at most `mail_rate` a second (SES's sending rate: 1 in the
    # sandbox, 14 for a new account out of it, when not set).
    mail_digest_seconds: int = 60
    mail_rate: float | None = None
    # Alarms: evaluated over this many seconds, each state change sent to the alerts topic and
    # (through SNS e-mail subscriptions) to these addresses.
    alarm_period_seconds: int = 60
    alert_emails: tuple[str, ...] = ()
    # CDN: its price class, and optionally names of the stack's own (with the ACM certificate in
    # us-east-1 covering them); without them the distribution's own name and certificate.
    cdn_price_class: str = "PriceClass_100"
    cdn_aliases: tuple[str, ...] = ()
    cdn_certificate_arn: str | None = None
    # Which tier serves the web app, and the instances tier's network, balancer and fleet.
    web_tier: WebTierConfig = field(default_factory=WebTierConfig)

    def __post_init__(self) -> None:
        """Check the settings group by group, in the order of the fields: the first wrong one stops
        the program (ConfigError, naming its key)."""
        _check_names(self)
        _check_lambda(self)
        _check_limits(self)
        _check_variants(self)
        _check_commands(self)
        _check_mail(self)
        _check_alarms(self)
        _check_cdn(self)

    def resource_name(self, suffix: str) -> str:
        """The physical name of one of this stack's resources, e.g. `imagepipe-dev-ingest`."""
        return f"{self.name_prefix}-{suffix}"

    @property
    def mail_sending_rate(self) -> float:
        """Mails a second the stack sends at most: `mail_rate`, else SES's default for the account."""
        if self.mail_rate is not None:
            return self.mail_rate
        return SANDBOX_SENDING_RATE if self.ses_sandbox else SENDING_RATE

    @property
    def account_wide_prefix(self) -> str:
        """The prefix of the names an account holds once for all its regions (IAM roles, CloudFront's
        policies), e.g. `imagepipe-dev-eu-west-1`: two stacks of one prefix in two regions of an
        account would otherwise take each other's."""
        return f"{self.name_prefix}-{self.region}"

    @classmethod
    def load(cls) -> StackConfig:
        """Read the current stack's `imagepipe:` settings; the defaults are the class's."""
        config = pulumi.Config(NAMESPACE)
        defaults = cls(name_prefix=f"imagepipe-{_safe_stack_name(pulumi.get_stack())}")
        try:
            return cls(
                name_prefix=config.get("namePrefix") or defaults.name_prefix,
                region=_region(),
                images_bucket_name=config.get("imagesBucketName"),
                force_destroy=_or(config.get_bool("forceDestroy"), defaults.force_destroy),
                lambda_runtime=config.get("lambdaRuntime") or defaults.lambda_runtime,
                lambda_architecture=config.get("lambdaArchitecture") or defaults.lambda_architecture,
                lambda_snap_start=_or(config.get_bool("lambdaSnapStart"), defaults.lambda_snap_start),
                max_upload_bytes=_or(config.get_int("maxUploadBytes"), defaults.max_upload_bytes),
                max_pixels=_or(config.get_int("maxPixels"), defaults.max_pixels),
                optimized_edge=_or(config.get_int("optimizedEdge"), defaults.optimized_edge),
                thumbnail_edge=_or(config.get_int("thumbnailEdge"), defaults.thumbnail_edge),
                image_formats=_listed(config, "imageFormats", defaults.image_formats),
                srcset_widths=_listed(config, "srcsetWidths", defaults.srcset_widths),
                keep_copyright=_boolean(config.get("keepCopyright"), defaults.keep_copyright),
                duplicates_across=config.get("duplicatesAcross") or defaults.duplicates_across,
                max_receive_count=_or(config.get_int("maxReceiveCount"), defaults.max_receive_count),
                log_retention_days=_or(config.get_int("logRetentionDays"), defaults.log_retention_days),
                command_date_order=config.get("commandDateOrder") or defaults.command_date_order,
                sender_email=config.get("senderEmail"),
                owner_emails=_or(_object(config, "ownerEmails"), {}),
                ses_sandbox=_boolean(config.get("sesSandbox"), defaults.ses_sandbox),
                mail_digest_seconds=_or(config.get_int("mailDigestSeconds"), defaults.mail_digest_seconds),
                mail_rate=config.get_float("mailRate"),
                alarm_period_seconds=_or(config.get_int("alarmPeriodSeconds"), defaults.alarm_period_seconds),
                alert_emails=_addresses(_or(_object(config, "alertEmails"), [])),
                cdn_price_class=config.get("cdnPriceClass") or defaults.cdn_price_class,
                cdn_aliases=_names(_or(_object(config, "cdnAliases"), [])),
                cdn_certificate_arn=config.get("cdnCertificateArn"),
                web_tier=WebTierConfig.load(config),
            )
        except (pulumi.ConfigTypeError, WebTierError) as error:
            raise ConfigError(str(error)) from None


def _check_names(config: StackConfig) -> None:
    """The stack's name prefix and, when set, its bucket's name."""
    _check(
        bool(_NAME_PREFIX.match(config.name_prefix)),
        "namePrefix",
        f"{config.name_prefix!r} must be 3-32 characters of a-z, 0-9 and '-', starting with a letter",
    )
    _check_if_set(
        _BUCKET_NAME,
        config.images_bucket_name,
        "imagesBucketName",
        f"{config.images_bucket_name!r} is not a valid S3 bucket name",
    )


def _check_lambda(config: StackConfig) -> None:
    """The functions' runtime, architecture and SnapStart (which needs a runtime that has it)."""
    _check(
        config.lambda_runtime in _RUNTIMES,
        "lambdaRuntime",
        f"{config.lambda_runtime!r} is not one of {', '.join(_RUNTIMES)}",
    )
    _check(
        config.lambda_architecture in _ARCHITECTURES,
        "lambdaArchitecture",
        f"{config.lambda_architecture!r} is not one of {', '.join(_ARCHITECTURES)}",
    )
    _check(
        isinstance(config.lambda_snap_start, bool),
        "lambdaSnapStart",
        f"must be true or false, not {config.lambda_snap_start!r}",
    )
    _check(
        not config.lambda_snap_start or config.lambda_runtime in SNAP_START_RUNTIMES,
        "lambdaSnapStart",
        f"needs imagepipe:lambdaRuntime {' or '.join(SNAP_START_RUNTIMES)} (Lambda SnapStart for Python starts "
        f"at 3.12), not {config.lambda_runtime!r}",
    )


def _check_limits(config: StackConfig) -> None:
    """The limits on uploads and images, the variants' sizes, deliveries and log retention."""
    _check(
        1 <= config.max_upload_bytes <= 1024**3,
        "maxUploadBytes",
        f"{config.max_upload_bytes} must be between 1 byte and 1 GiB",
    )
    _check(1 <= config.max_pixels <= 500_000_000, "maxPixels", f"{config.max_pixels} must be between 1 and 500000000")
    _check(
        16 <= config.thumbnail_edge <= config.optimized_edge <= 8192,
        "thumbnailEdge/optimizedEdge",
        f"need 16 <= thumbnailEdge ({config.thumbnail_edge}) <= optimizedEdge ({config.optimized_edge}) <= 8192",
    )
    _check(
        1 <= config.max_receive_count <= 1000,
        "maxReceiveCount",
        f"{config.max_receive_count} must be between 1 and 1000",
    )
    _check(
        config.log_retention_days in _RETENTION_DAYS,
        "logRetentionDays",
        f"{config.log_retention_days} is not a CloudWatch Logs retention period",
    )


def _check_variants(config: StackConfig) -> None:
    """The formats and widths the variants are published in, and the copyright notice's keeping."""
    formats = config.image_formats
    _check(
        all(name in MODERN_FORMATS for name in formats) and len(set(formats)) == len(formats),
        "imageFormats",
        f"{list(formats)} must list each of {', '.join(MODERN_FORMATS)} at most once (JPEG/PNG are always published)",
    )
    widths = config.srcset_widths
    _check(
        all(isinstance(w, int) and not isinstance(w, bool) and 16 <= w < config.optimized_edge for w in widths)
        and len(set(widths)) == len(widths) <= MAX_SRCSET_WIDTHS,
        "srcsetWidths",
        f"{list(widths)} must be at most {MAX_SRCSET_WIDTHS} different widths in px, each 16 or more and below "
        f"optimizedEdge ({config.optimized_edge}: the optimized image itself is the widest)",
    )
    _check(
        isinstance(config.keep_copyright, bool),
        "keepCopyright",
        f"must be true or false, not {config.keep_copyright!r}",
    )
    _check(
        config.duplicates_across in DUPLICATE_SCOPES,
        "duplicatesAcross",
        f"{config.duplicates_across!r} is not one of {', '.join(DUPLICATE_SCOPES)} (whose earlier images an "
        "upload is compared with: its owner's, or every owner's)",
    )


def _check_commands(config: StackConfig) -> None:
    """How numeric dates in commands read."""
    _check(
        config.command_date_order in DATE_ORDERS,
        "commandDateOrder",
        f"{config.command_date_order!r} is not one of {', '.join(DATE_ORDERS)} (how numeric dates in commands "
        "read: 01/05/2025 is 1 May 2025 day-first, 5 January 2025 month-first)",
    )


def _check_mail(config: StackConfig) -> None:
    """The sender, the owners' addresses and the SES sandbox, and that owners need a sender."""
    _check_if_set(_EMAIL, config.sender_email, "senderEmail", f"{config.sender_email!r} is not an e-mail address")
    _check(
        isinstance(config.owner_emails, Mapping),
        "ownerEmails",
        f"must be a map of owner to e-mail address, not {config.owner_emails!r}",
    )
    for owner, address in config.owner_emails.items():
        _check(
            isinstance(owner, str) and bool(_OWNER.match(owner)),
            "ownerEmails",
            f"{owner!r} is not an owner name (the part of uploads/<owner>/<file> between the slashes)",
        )
        _check(
            isinstance(address, str) and bool(_EMAIL.match(address)),
            "ownerEmails",
            f"the address of {owner!r}, {address!r}, is not an e-mail address",
        )
    _check(
        isinstance(config.ses_sandbox, bool),
        "sesSandbox",
        f"must be true or false (whether the account's SES is still in its sandbox), not {config.ses_sandbox!r}",
    )
    _check(
        config.sender_email is not None or not config.owner_emails,
        "senderEmail",
        "is needed to mail the owners listed in imagepipe:ownerEmails",
    )
    _check(
        isinstance(config.mail_digest_seconds, int) and 0 <= config.mail_digest_seconds <= MAX_DIGEST_SECONDS,
        "mailDigestSeconds",
        f"must be 0 to {MAX_DIGEST_SECONDS} seconds (an owner's mails within it go as one digest; 0: each at "
        f"once), not {config.mail_digest_seconds!r}",
    )
    _check(
        config.mail_rate is None or (isinstance(config.mail_rate, int | float) and 0 < config.mail_rate <= 1000),
        "mailRate",
        f"must be a number of mails a second above 0 (the account's SES sending rate), not {config.mail_rate!r}",
    )


def _check_alarms(config: StackConfig) -> None:
    """The alarms' period and the addresses alerts go to."""
    _check(
        config.alarm_period_seconds in (10, 30)
        or (config.alarm_period_seconds % 60 == 0 and 60 <= config.alarm_period_seconds <= 86400),
        "alarmPeriodSeconds",
        f"{config.alarm_period_seconds} must be 10, 30 or a multiple of 60 up to 86400",
    )
    _check_each(
        _EMAIL,
        config.alert_emails,
        "alertEmails",
        f"must be a list of e-mail addresses, not {list(config.alert_emails)!r}",
    )


def _check_cdn(config: StackConfig) -> None:
    """The CDN's price class, and its aliases with the certificate that covers them."""
    _check(
        config.cdn_price_class in PRICE_CLASSES,
        "cdnPriceClass",
        f"{config.cdn_price_class!r} is not one of {', '.join(PRICE_CLASSES)}",
    )
    _check_each(
        _ALIAS,
        config.cdn_aliases,
        "cdnAliases",
        f"must be a list of domain names (lower case), not {list(config.cdn_aliases)!r}",
    )
    _check_if_set(
        _CDN_CERTIFICATE,
        config.cdn_certificate_arn,
        "cdnCertificateArn",
        f"{config.cdn_certificate_arn!r} is not the ARN of an ACM certificate in us-east-1 (CloudFront's region)",
    )
    _check(
        bool(config.cdn_aliases) == (config.cdn_certificate_arn is not None),
        "cdnAliases/cdnCertificateArn",
        "go together: the aliases need a certificate covering them, and a certificate is for aliases",
    )


def _region() -> str:
    region = pulumi.Config("aws").get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region or not _REGION.match(region):
        raise ConfigError(f"aws:region: the stack's AWS region (e.g. eu-west-1) is needed, not {region!r}")
    return region


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_RETENTION_DAYS = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
)


def _check(ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise ConfigError(f"{NAMESPACE}:{key}: {problem}")


def _check_if_set(pattern: re.Pattern[str], value: str | None, key: str, problem: str) -> None:
    """A setting that may be unset: when set, it must match `pattern`."""
    if value is not None:
        _check(bool(pattern.match(value)), key, problem)


def _check_each(pattern: re.Pattern[str], values: tuple[str, ...], key: str, problem: str) -> None:
    """A list setting: a tuple of texts, each matching `pattern`."""
    _check(
        isinstance(values, tuple) and all(isinstance(value, str) and pattern.match(value) for value in values),
        key,
        problem,
    )


def _object(config: pulumi.Config, key: str) -> Any:
    try:
        return config.get_object(key)
    except Exception as error:  # pulumi raises a bare JSON error for a value that is not JSON
        raise ConfigError(f"{NAMESPACE}:{key}: {error}") from None


def _addresses(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{NAMESPACE}:alertEmails: must be a list of e-mail addresses, not {value!r}")
    return tuple(value)


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{NAMESPACE}:cdnAliases: must be a list of domain names, not {value!r}")
    return tuple(value)


def _boolean(value: str | None, default: bool) -> Any:
    """`true` or `false` (any case) as a bool, the default when unset; any other text as it is,
    for the check that names the setting to refuse it."""
    if value is None:
        return default
    return {"true": True, "false": False}.get(value.strip().lower(), value)


def _listed(config: pulumi.Config, key: str, default: tuple[Any, ...]) -> tuple[Any, ...]:
    """A list setting as a tuple (the default when unset); anything but a list stops the program."""
    value = _object(config, key)
    if value is None:
        return default
    if not isinstance(value, list):
        raise ConfigError(f"{NAMESPACE}:{key}: must be a list, not {value!r}")
    return tuple(value)


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


def _safe_stack_name(stack: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", stack.lower()).strip("-") or "stack"
