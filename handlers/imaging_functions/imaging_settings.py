"""The imaging functions' settings: every stage's, the limits uploads are held to and the sizes of
the variants (the imaging defaults where the stack sets none), and, for ingest, where accepted uploads
go. Out of range, a limit or size fails the function at import rather than on its first upload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handlers.contract import Env
from handlers.imaging import Limits, VariantSizes
from handlers.runtime.settings import SettingMissing, StageSettings, number_setting, required_setting


@dataclass(frozen=True, kw_only=True)
class ImagingSettings(StageSettings):
    limits: Limits = field(default_factory=Limits)
    sizes: VariantSizes = field(default_factory=VariantSizes)

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        given = {
            name: value
            for name, value in (
                ("max_bytes", number_setting(Env.MAX_UPLOAD_BYTES)),
                ("max_pixels", number_setting(Env.MAX_PIXELS)),
                ("optimized", number_setting(Env.OPTIMIZED_EDGE)),
                ("thumbnail", number_setting(Env.THUMBNAIL_EDGE)),
            )
            if value is not None
        }
        try:
            limits = Limits(**{name: given[name] for name in ("max_bytes", "max_pixels") if name in given})
            sizes = VariantSizes(**{name: given[name] for name in ("optimized", "thumbnail") if name in given})
        except ValueError as error:
            names = (Env.MAX_UPLOAD_BYTES, Env.MAX_PIXELS, Env.OPTIMIZED_EDGE, Env.THUMBNAIL_EDGE)
            raise SettingMissing(f"{', '.join(names[:-1])} or {names[-1]} is out of range: {error}") from None
        return {**super().read_environment(), "limits": limits, "sizes": sizes}


@dataclass(frozen=True, kw_only=True)
class IngestSettings(ImagingSettings):
    enhance_queue_url: str

    @classmethod
    def read_environment(cls) -> dict[str, Any]:
        return {**super().read_environment(), "enhance_queue_url": required_setting(Env.ENHANCE_QUEUE_URL)}
