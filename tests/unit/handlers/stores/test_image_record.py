"""The typed image record and the contract name the same fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from handlers.contract import METADATA_FIELDS, VARIANTS, ImagesTable, Record
from handlers.stores.image_record import ImageRecord, VariantFields, VariantRecord, listed_variants, timestamp


def contract_fields() -> set[str]:
    named = {value for name, value in vars(Record).items() if name.isupper()}
    tables = {ImagesTable.KEY, ImagesTable.OWNER, ImagesTable.UPLOADED_AT}
    orders = {Record.order_of(field) for field in set(METADATA_FIELDS.values())}
    return named | tables | orders | {Record.key_of(variant) for variant in VARIANTS}


def test_the_record_types_every_field_the_contract_names_and_no_other() -> None:
    assert set(ImageRecord.__annotations__) == contract_fields()


def test_a_variant_record_lists_the_fields_its_record_types() -> None:
    variant = VariantRecord("optimized", "webp", "images/optimized/x-1-w480.webp", 10, 480, 320, "image/webp")
    assert variant.fields() == VariantFields(
        name="optimized",
        format="webp",
        key=variant.key,
        bytes=10,
        width=480,
        height=320,
        content_type="image/webp",
    )
    assert set(variant.fields()) == set(VariantFields.__annotations__)


def test_a_record_published_before_the_modern_formats_lists_its_two_variants_the_same_way() -> None:
    thumbnail = {
        "key": "images/thumbnail/x-1.png",
        "bytes": 9,
        "width": 256,
        "height": 256,
        "content_type": "image/png",
    }
    optimized = {
        "key": "images/optimized/x-1.png",
        "bytes": 90,
        "width": 900,
        "height": 900,
        "content_type": "image/png",
    }
    earlier = {Record.VARIANTS: {"optimized": optimized, "thumbnail": thumbnail}}
    assert listed_variants(earlier) == [
        {"name": "optimized", "format": "png", **optimized},
        {"name": "thumbnail", "format": "png", **thumbnail},
    ]
    now = [VariantRecord("optimized", "png", **optimized).fields()]
    assert listed_variants({Record.VARIANTS: now}) == now
    assert listed_variants({}) == listed_variants({Record.VARIANTS: "garbled"}) == []


def test_times_are_utc_to_the_millisecond_and_compare_as_strings() -> None:
    earlier = datetime(2025, 12, 5, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert timestamp(earlier) == "2025-12-05T07:00:00.123Z"
    assert timestamp(earlier) < timestamp(earlier + timedelta(milliseconds=1)) < timestamp()
    assert timestamp().endswith("Z") and datetime.fromisoformat(timestamp()).tzinfo == UTC
