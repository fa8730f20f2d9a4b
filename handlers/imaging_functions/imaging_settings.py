"""The imaging functions' settings: every stage's and the limits uploads are held to (the imaging
defaults where the stack sets none); for ingest, where accepted uploads go; for enhance, how uploads
are published (the variants' sizes, formats and widths, and whether they keep the copyright notice).
Out of range, a setting fails the function at import rather than on its first upload."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, cast

from handlers.contract import DUPLICATE_SCOPES, Env, ImageFormat
from handlers.imaging import Limits, Outputs, VariantSizes
from handlers.imaging_functions.publishing import Publishing
from handlers.runtime.settings import SettingMissing, StageSettings, number_setting, required_setting

_FLAGS = {"true": True, "false": False}


@dataclass(frozen=True, kw_only=True)
class ImagingSettings(StageSettings):
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        given = _numbers(max_bytes=Env.MAX_UPLOAD_BYTES, max_pixels=Env.MAX_PIXELS)
        try:
            limits = Limits(**given)
        except ValueError as error:
            raise SettingMissing(f"{Env.MAX_UPLOAD_BYTES} or {Env.MAX_PIXELS} is out of range: {error}") from None
        return {**super().read_environment(), "limits": limits}


@dataclass(frozen=True, kw_only=True)
class IngestSettings(ImagingSettings):
    enhance_queue_url: str

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        return {**super().read_environment(), "enhance_queue_url": required_setting(Env.ENHANCE_QUEUE_URL)}


@dataclass(frozen=True, kw_only=True)
class EnhanceSettings(ImagingSettings):
    fingerprints_table: str  # where the images an upload may look like are found
    publishing: Publishing = field(default_factory=Publishing)
    duplicates_across_owners: bool = False

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        given = _numbers(optimized=Env.OPTIMIZED_EDGE, thumbnail=Env.THUMBNAIL_EDGE)
        try:
            sizes = VariantSizes(**given)
        except ValueError as error:
            raise SettingMissing(f"{Env.OPTIMIZED_EDGE} or {Env.THUMBNAIL_EDGE} is out of range: {error}") from None
        formats, widths = _listed(Env.IMAGE_FORMATS), _listed(Env.SRCSET_WIDTHS)
        defaults = Outputs()
        try:
            chosen = Outputs(
                defaults.formats if formats is None else tuple(cast("ImageFormat", name) for name in formats),
                defaults.widths if widths is None else tuple(_whole(width, Env.SRCSET_WIDTHS) for width in widths),
            )
        except ValueError as error:
            raise SettingMissing(f"{Env.IMAGE_FORMATS} or {Env.SRCSET_WIDTHS} is wrong: {error}") from None
        keep = os.environ.get(Env.KEEP_COPYRIGHT, "true")
        if keep not in _FLAGS:
            raise SettingMissing(f"environment variable {Env.KEEP_COPYRIGHT} should be true or false, not {keep!r}")
        scope = os.environ.get(Env.DUPLICATES_SCOPE) or "owner"
        if scope not in DUPLICATE_SCOPES:
            raise SettingMissing(
                f"environment variable {Env.DUPLICATES_SCOPE} should be {' or '.join(DUPLICATE_SCOPES)}, not {scope!r}"
            )
        return {
            **super().read_environment(),
            "fingerprints_table": required_setting(Env.FINGERPRINTS_TABLE),
            "publishing": Publishing(sizes, chosen, _FLAGS[keep]),
            "duplicates_across_owners": scope == "all",
        }


def _numbers(**names: str) -> dict[str, int]:
    """The whole numbers set in the environment variables `names` (field → variable) that are set."""
    return {name: value for name, variable in names.items() if (value := number_setting(variable)) is not None}


def _listed(variable: str) -> list[str] | None:
    """The comma-separated items of `variable` (an empty setting: none), or None when it is not set."""
    value = os.environ.get(variable)
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def _whole(item: str, variable: str) -> int:
    if not item.isdigit():
        raise SettingMissing(f"environment variable {variable} should list whole numbers, not {item!r}")
    return int(item)
