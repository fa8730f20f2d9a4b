"""The typed image record and the contract name the same fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from handlers.contract import METADATA_FIELDS, VARIANTS, ImagesTable, Record
from handlers.stores.image_record import ImageRecord, VariantFields, VariantRecord, timestamp


def contract_fields() -> set[str]:
    named = {value for name, value in vars(Record).items() if name.isupper()}
    tables = {ImagesTable.KEY, ImagesTable.OWNER, ImagesTable.UPLOADED_AT}
    orders = {Record.order_of(field) for field in set(METADATA_FIELDS.values())}
    return named | tables | orders | {Record.key_of(variant) for variant in VARIANTS}


def test_the_record_types_every_field_the_contract_names_and_no_other() -> None:
    assert set(ImageRecord.__annotations__) == contract_fields()


def test_a_variant_record_lists_the_fields_its_record_types() -> None:
    variant = VariantRecord("images/optimized/x-1.jpg", 10, 3, 2, "image/jpeg")
    assert variant.fields() == VariantFields(key=variant.key, bytes=10, width=3, height=2, content_type="image/jpeg")
    assert set(variant.fields()) == set(VariantFields.__annotations__)


def test_times_are_utc_to_the_millisecond_and_compare_as_strings() -> None:
    earlier = datetime(2025, 12, 5, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert timestamp(earlier) == "2025-12-05T07:00:00.123Z"
    assert timestamp(earlier) < timestamp(earlier + timedelta(milliseconds=1)) < timestamp()
    assert timestamp().endswith("Z") and datetime.fromisoformat(timestamp()).tzinfo == UTC
