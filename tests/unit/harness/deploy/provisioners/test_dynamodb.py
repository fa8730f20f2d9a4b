"""DynamoDB tables (keys, global secondary indexes, time to live, streams), provisioned into moto.

A change of stream view turns the stream off and on again (as AWS requires); moto refuses to turn a
stream on again once it was on, so that path is exercised in the emulator (tests/e2e), not here."""

from __future__ import annotations

from typing import Any

import pytest

from harness.deploy.inputs import UnsupportedInput
from harness.deploy.provisioners import dynamodb

TABLE = dynamodb.Table.type_token


def _table(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "billingMode": "PAY_PER_REQUEST",
        "hashKey": "image_id",
        "attributes": [{"name": "image_id", "type": "S"}],
        **extra,
    }


BY_OWNER = {
    "attributes": [{"name": "image_id", "type": "S"}, {"name": "owner", "type": "S"}, {"name": "at", "type": "N"}],
    "globalSecondaryIndexes": [{"name": "by-owner", "hashKey": "owner", "rangeKey": "at", "projectionType": "ALL"}],
}


def _described(moto, name: str) -> dict[str, Any]:
    return moto.client("dynamodb").describe_table(TableName=name)["Table"]


def _table_names(moto, prefix: str) -> list[str]:
    return [name for name in moto.client("dynamodb").list_tables()["TableNames"] if name.startswith(prefix)]


def _ttl(moto, name: str) -> dict[str, str]:
    return moto.client("dynamodb").describe_time_to_live(TableName=name)["TimeToLiveDescription"]


def _keep_an_item(moto, name: str) -> None:
    moto.client("dynamodb").put_item(TableName=name, Item={"image_id": {"S": "kept"}})


def _has_the_item(moto, name: str) -> bool:
    return "Item" in moto.client("dynamodb").get_item(TableName=name, Key={"image_id": {"S": "kept"}})


def test_a_table_is_created_with_its_keys_indexes_ttl_and_stream(moto, provisioned, unique):
    name = unique("records")
    inputs = _table(
        name,
        **BY_OWNER,
        rangeKey="at",
        ttl={"attributeName": "expires", "enabled": True},
        streamEnabled=True,
        streamViewType="NEW_AND_OLD_IMAGES",
    )
    table = provisioned.apply(TABLE, "records", inputs)
    described = _described(moto, name)
    assert (table.id, table.outputs["arn"], table.outputs["streamArn"]) == (
        name,
        described["TableArn"],
        described["LatestStreamArn"],
    )
    assert described["KeySchema"] == [
        {"AttributeName": "image_id", "KeyType": "HASH"},
        {"AttributeName": "at", "KeyType": "RANGE"},
    ]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (index,) = described["GlobalSecondaryIndexes"]
    assert (index["IndexName"], index["Projection"]) == ("by-owner", {"ProjectionType": "ALL"})
    assert index["KeySchema"] == [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "at", "KeyType": "RANGE"},
    ]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert _ttl(moto, name) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def test_an_index_given_by_key_schemas_with_non_key_attributes_is_created(moto, provisioned, unique):
    name = unique("records")
    index = {
        "name": "by-owner",
        "keySchemas": [{"attributeName": "owner", "keyType": "HASH"}],
        "projectionType": "INCLUDE",
        "nonKeyAttributes": ["status"],
    }
    attributes = [{"name": "image_id", "type": "S"}, {"name": "owner", "type": "S"}]
    provisioned.apply(TABLE, "records", _table(name, attributes=attributes, globalSecondaryIndexes=[index]))
    (described,) = _described(moto, name)["GlobalSecondaryIndexes"]
    assert described["KeySchema"] == [{"AttributeName": "owner", "KeyType": "HASH"}]
    assert described["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]}


def test_ttl_is_turned_on_changed_and_off_in_place_keeping_the_items(moto, provisioned, unique):
    name = unique("records")
    first = provisioned.apply(TABLE, "records", _table(name))
    _keep_an_item(moto, name)

    provisioned.apply(TABLE, "records", _table(name, ttl={"attributeName": "expires", "enabled": True}))
    assert _ttl(moto, name) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    provisioned.apply(TABLE, "records", _table(name, ttl={"attributeName": "expires_at", "enabled": True}))
    assert _ttl(moto, name) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    last = provisioned.apply(TABLE, "records", _table(name))
    assert _ttl(moto, name)["TimeToLiveStatus"] == "DISABLED"

    assert last.outputs["arn"] == first.outputs["arn"]
    assert _has_the_item(moto, name)


def test_a_stream_is_turned_on_and_off_in_place_keeping_the_items(moto, provisioned, unique):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name))
    _keep_an_item(moto, name)

    streamed = provisioned.apply(TABLE, "records", _table(name, streamEnabled=True, streamViewType="NEW_IMAGE"))
    assert _described(moto, name)["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert streamed.outputs["streamArn"] == _described(moto, name)["LatestStreamArn"]
    provisioned.apply(TABLE, "records", _table(name))
    assert "StreamSpecification" not in _described(moto, name)
    assert _has_the_item(moto, name)


def test_an_index_change_replaces_the_table(moto, provisioned, unique):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name))
    _keep_an_item(moto, name)
    provisioned.apply(TABLE, "records", _table(name, **BY_OWNER))
    assert [index["IndexName"] for index in _described(moto, name)["GlobalSecondaryIndexes"]] == ["by-owner"]
    assert not _has_the_item(moto, name)  # a new table: the old one's items went with it


def test_a_renamed_table_replaces_the_old_one(moto, provisioned, unique):
    old_name, new_name = unique("before"), unique("after")
    provisioned.apply(TABLE, "records", _table(old_name))
    provisioned.apply(TABLE, "records", _table(new_name))
    assert _table_names(moto, new_name) == [new_name]
    assert _table_names(moto, old_name) == []


def test_a_deleted_table_is_gone(moto, provisioned, unique):
    name = unique("gone")
    provisioned.apply(TABLE, "records", _table(name))
    provisioned.delete(TABLE, "records")
    assert _table_names(moto, name) == []


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"billingMode": "PROVISIONED"}, "'billingMode' = 'PROVISIONED'"),
        ({"pointInTimeRecovery": {"enabled": True}}, "'pointInTimeRecovery'"),
        ({"attributes": [{"name": "image_id", "type": "S", "kind": "x"}]}, r"'attributes\[0\].kind'"),
    ],
)
def test_a_table_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, changes, named):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=rf"^aws:dynamodb/table:Table 'records': .*{named}"):
        provisioned.apply(TABLE, "records", _table(name, **changes))
    assert _table_names(moto, name) == []
