"""DynamoDB tables (keys, global secondary indexes, time to live, streams), provisioned into moto.

A change of stream view turns the stream off and on again (as AWS requires); moto refuses to turn a
stream on again once it was on, so that path is exercised in the emulator (tests/e2e), not here.

Global secondary indexes change in place through UpdateTable, which moto implements. moto builds or
drops an index at once (its IndexStatus is ACTIVE from the start; AWS shows CREATING or DELETING for
a while), so the waits return on their first look here; and moto would take several index updates
in one call where AWS takes one, so that the provisioner sends one per call is shown by recording
the UpdateTable requests the client sends, not by moto refusing more."""

from __future__ import annotations

import contextlib
import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
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

# The two indexes of the images table (by owner, by review status, both newest first), by key schemas.
IMAGE_ID, OWNER, STATUS, AT = (
    {"name": name, "type": kind} for name, kind in [("image_id", "S"), ("owner", "S"), ("status", "S"), ("at", "N")]
)


def _newest_first(index: str, hash_key: str, projection: str = "ALL") -> dict[str, Any]:
    """An index given the way the program gives one: `hash_key`, then `at` as range key."""
    keys = [{"attributeName": hash_key, "keyType": "HASH"}, {"attributeName": "at", "keyType": "RANGE"}]
    return {"name": index, "keySchemas": keys, "projectionType": projection}


OWNER_INDEX = {"attributes": [IMAGE_ID, OWNER, AT], "globalSecondaryIndexes": [_newest_first("by-owner", "owner")]}
BOTH_INDEXES = {
    "attributes": [IMAGE_ID, OWNER, STATUS, AT],
    "globalSecondaryIndexes": [_newest_first("by-owner", "owner"), _newest_first("by-status", "status")],
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


def _keep_an_indexed_item(moto, name: str) -> None:
    """The item `kept`, with the attributes both indexes key on (owner ann, status awaiting, at 7)."""
    item = {"image_id": {"S": "kept"}, "owner": {"S": "ann"}, "status": {"S": "awaiting"}, "at": {"N": "7"}}
    moto.client("dynamodb").put_item(TableName=name, Item=item)


def _found_by(moto, name: str, index: str, attribute: str, value: str) -> list[str]:
    """The image ids a Query of `index` finds for `attribute` = `value` (a string)."""
    answer = moto.client("dynamodb").query(
        TableName=name,
        IndexName=index,
        KeyConditionExpression="#k = :v",
        ExpressionAttributeNames={"#k": attribute},
        ExpressionAttributeValues={":v": {"S": value}},
    )
    return [item["image_id"]["S"] for item in answer["Items"]]


def _indexes(moto, name: str) -> dict[str, dict[str, Any]]:
    """The table's global secondary indexes by name, each as its key schema and projection."""
    described = _described(moto, name).get("GlobalSecondaryIndexes", [])
    return {i["IndexName"]: {"KeySchema": i["KeySchema"], "Projection": i["Projection"]} for i in described}


@contextlib.contextmanager
def _table_updates_sent(moto) -> Iterator[list[dict[str, Any]]]:
    """The UpdateTable requests (their parameters) the shared dynamodb client sends meanwhile."""
    sent: list[dict[str, Any]] = []
    events = moto.client("dynamodb").meta.events
    event, hook = "provide-client-params.dynamodb.UpdateTable", uuid.uuid4().hex
    events.register(event, lambda params, **_: sent.append(copy.deepcopy(params)), unique_id=hook)
    try:
        yield sent
    finally:
        events.unregister(event, unique_id=hook)


def _attribute_definitions(moto, name: str) -> dict[str, str]:
    return {a["AttributeName"]: a["AttributeType"] for a in _described(moto, name)["AttributeDefinitions"]}


NEWEST_BY_OWNER = {
    "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "ALL"},
}
NEWEST_BY_STATUS = {
    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "ALL"},
}


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


def test_an_index_is_added_in_place_keeping_the_items(moto, provisioned, unique):
    name = unique("records")
    first = provisioned.apply(TABLE, "records", _table(name, **OWNER_INDEX))
    _keep_an_indexed_item(moto, name)

    added = provisioned.apply(TABLE, "records", _table(name, **BOTH_INDEXES))
    assert _indexes(moto, name) == {"by-owner": NEWEST_BY_OWNER, "by-status": NEWEST_BY_STATUS}
    assert _attribute_definitions(moto, name) == {"image_id": "S", "owner": "S", "status": "S", "at": "N"}
    assert _found_by(moto, name, "by-status", "status", "awaiting") == ["kept"]  # built from the items there
    assert _found_by(moto, name, "by-owner", "owner", "ann") == ["kept"]
    assert added.outputs["arn"] == first.outputs["arn"]
    assert _has_the_item(moto, name)


def test_indexes_are_added_to_a_table_without_any(moto, provisioned, unique):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name))
    _keep_an_indexed_item(moto, name)

    provisioned.apply(TABLE, "records", _table(name, **BOTH_INDEXES))
    assert _indexes(moto, name) == {"by-owner": NEWEST_BY_OWNER, "by-status": NEWEST_BY_STATUS}
    assert _found_by(moto, name, "by-status", "status", "awaiting") == ["kept"]
    assert _has_the_item(moto, name)


def test_an_index_is_removed_in_place_keeping_the_items(moto, provisioned, unique):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name, **BOTH_INDEXES))
    _keep_an_indexed_item(moto, name)

    provisioned.apply(TABLE, "records", _table(name, **OWNER_INDEX))
    assert _indexes(moto, name) == {"by-owner": NEWEST_BY_OWNER}
    assert _found_by(moto, name, "by-owner", "owner", "ann") == ["kept"]
    provisioned.apply(TABLE, "records", _table(name))
    assert _indexes(moto, name) == {}
    assert _has_the_item(moto, name)


@pytest.mark.parametrize(
    ("index", "shape"),
    [
        pytest.param(
            _newest_first("by-owner", "owner", projection="KEYS_ONLY"),
            {**NEWEST_BY_OWNER, "Projection": {"ProjectionType": "KEYS_ONLY"}},
            id="projection",
        ),
        pytest.param(
            {"name": "by-owner", "hashKey": "owner", "projectionType": "ALL"},
            {**NEWEST_BY_OWNER, "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}]},
            id="key-schema",
        ),
    ],
)
def test_a_changed_index_is_made_again_in_place_keeping_the_items(moto, provisioned, unique, index, shape):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name, **BOTH_INDEXES))
    _keep_an_indexed_item(moto, name)

    changed = {**BOTH_INDEXES, "globalSecondaryIndexes": [index, _newest_first("by-status", "status")]}
    record = provisioned.apply(TABLE, "records", _table(name, **changed))
    assert _indexes(moto, name) == {"by-owner": shape, "by-status": NEWEST_BY_STATUS}
    assert _found_by(moto, name, "by-owner", "owner", "ann") == ["kept"]
    assert _has_the_item(moto, name)
    assert record.outputs["definition"]["GlobalSecondaryIndexes"][0] == {"IndexName": "by-owner", **shape}


def test_indexes_change_one_per_update_drops_first_each_with_the_attributes_then_keyed(moto, provisioned, unique):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name, **OWNER_INDEX))

    changed = {
        **BOTH_INDEXES,
        "globalSecondaryIndexes": [
            _newest_first("by-owner", "owner", projection="KEYS_ONLY"),
            _newest_first("by-status", "status"),
        ],
    }
    with _table_updates_sent(moto) as sent:
        provisioned.apply(TABLE, "records", _table(name, **changed))
    steps = [
        (
            [
                (operation, update["IndexName"])
                for change in call["GlobalSecondaryIndexUpdates"]
                for operation, update in change.items()
            ],
            [a["AttributeName"] for a in call.get("AttributeDefinitions", [])],
        )
        for call in sent
    ]
    assert steps == [
        ([("Delete", "by-owner")], []),
        ([("Create", "by-owner")], ["image_id", "owner", "at"]),
        ([("Create", "by-status")], ["image_id", "owner", "status", "at"]),
    ]


def test_an_index_whose_key_attribute_changes_type_is_made_again(moto, provisioned, unique):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name, **BOTH_INDEXES))
    _keep_an_item(moto, name)

    retyped = {**BOTH_INDEXES, "attributes": [IMAGE_ID, OWNER, {"name": "status", "type": "N"}, AT]}
    provisioned.apply(TABLE, "records", _table(name, **retyped))
    assert _attribute_definitions(moto, name)["status"] == "N"  # sent only with the new index
    assert _indexes(moto, name) == {"by-owner": NEWEST_BY_OWNER, "by-status": NEWEST_BY_STATUS}
    assert _has_the_item(moto, name)


def test_a_deploy_stopped_between_dropping_and_adding_an_index_is_completed(moto, provisioned, unique):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name, **BOTH_INDEXES))
    _keep_an_indexed_item(moto, name)
    # What a deploy changing by-status leaves when it stops after the drop: its record not updated.
    moto.client("dynamodb").update_table(
        TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-status"}}]
    )

    changed = {
        **BOTH_INDEXES,
        "globalSecondaryIndexes": [
            _newest_first("by-owner", "owner"),
            _newest_first("by-status", "status", projection="KEYS_ONLY"),
        ],
    }
    provisioned.apply(TABLE, "records", _table(name, **changed))
    assert _indexes(moto, name) == {
        "by-owner": NEWEST_BY_OWNER,
        "by-status": {**NEWEST_BY_STATUS, "Projection": {"ProjectionType": "KEYS_ONLY"}},
    }
    assert _found_by(moto, name, "by-status", "status", "awaiting") == ["kept"]
    assert _has_the_item(moto, name)


def test_the_definition_recorded_after_an_index_change_is_what_the_next_deploy_compares(moto, provisioned, unique):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name, **OWNER_INDEX))
    added = provisioned.apply(TABLE, "records", _table(name, **BOTH_INDEXES))
    assert added.outputs["definition"]["AttributeDefinitions"] == [
        {"AttributeName": attribute, "AttributeType": kind}
        for attribute, kind in [("image_id", "S"), ("owner", "S"), ("status", "S"), ("at", "N")]
    ]
    with _table_updates_sent(moto) as sent:
        provisioned.apply(TABLE, "records", _table(name, **BOTH_INDEXES))
    assert sent == []  # the same declaration again: nothing to change
    with _table_updates_sent(moto) as sent:
        provisioned.apply(TABLE, "records", _table(name, **OWNER_INDEX))
    assert [call["GlobalSecondaryIndexUpdates"] for call in sent] == [[{"Delete": {"IndexName": "by-status"}}]]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"hashKey": "owner", "attributes": [OWNER, STATUS, AT]}, id="hash-key"),
        pytest.param({"rangeKey": "at"}, id="range-key"),
        pytest.param({"attributes": [{"name": "image_id", "type": "N"}, OWNER, STATUS, AT]}, id="hash-key-type"),
    ],
)
def test_a_table_key_change_replaces_the_table(moto, provisioned, unique, changes):
    name = unique("records")
    provisioned.apply(TABLE, "records", _table(name, **BOTH_INDEXES))
    _keep_an_indexed_item(moto, name)

    provisioned.apply(TABLE, "records", _table(name, **{**BOTH_INDEXES, **changes}))
    assert _described(moto, name)["KeySchema"][0]["AttributeName"] == changes.get("hashKey", "image_id")
    assert _indexes(moto, name) == {"by-owner": NEWEST_BY_OWNER, "by-status": NEWEST_BY_STATUS}
    assert moto.client("dynamodb").scan(TableName=name)["Items"] == []  # a new table: the items went with the old


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


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"attributes": [IMAGE_ID, OWNER]}, "attribute.s. owner are declared but no table or index key uses them"),
        ({**OWNER_INDEX, "attributes": [IMAGE_ID, AT]}, r"key attribute\(s\) owner are not declared in 'attributes'"),
    ],
)
def test_attributes_must_be_exactly_those_the_keys_use(moto, provisioned, unique, changes, named):
    name = unique("strict")
    with pytest.raises(DeployError, match=rf"^aws:dynamodb/table:Table 'records': {named}"):
        provisioned.apply(TABLE, "records", _table(name, **changes))
    assert _table_names(moto, name) == []


ITEM = dynamodb.TableItem.type_token


def _users_table(provisioned, unique) -> str:
    name = unique("users")
    provisioned.apply(
        TABLE, name, {**_table(name, hashKey="username"), "attributes": [{"name": "username", "type": "S"}]}
    )
    return name


def _item(moto, table: str, username: str) -> dict[str, Any] | None:
    return moto.client("dynamodb").get_item(TableName=table, Key={"username": {"S": username}}).get("Item")


def test_an_item_is_put_as_declared_changed_moved_to_another_key_and_deleted(moto, provisioned, unique):
    import json

    table = _users_table(provisioned, unique)
    declared = {"username": {"S": "owner#ann"}, "email": {"S": "ann@example.com"}, "note": {"S": "old"}}
    applied = provisioned.apply(ITEM, "ann", {"tableName": table, "hashKey": "username", "item": json.dumps(declared)})
    assert applied.id == f"{table}|username|owner#ann"
    assert _item(moto, table, "owner#ann") == declared

    changed = {"username": {"S": "owner#ann"}, "email": {"S": "ann@home.example"}}  # `note` no longer declared
    provisioned.apply(ITEM, "ann", {"tableName": table, "hashKey": "username", "item": json.dumps(changed)})
    assert _item(moto, table, "owner#ann") == changed

    moved = {"username": {"S": "owner#anna"}, "email": {"S": "ann@home.example"}}
    arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}"  # the provider takes a name or an ARN
    provisioned.apply(ITEM, "ann", {"tableName": arn, "hashKey": "username", "item": json.dumps(moved)})
    assert (_item(moto, table, "owner#ann"), _item(moto, table, "owner#anna")) == (None, moved)

    provisioned.delete(ITEM, "ann")
    assert _item(moto, table, "owner#anna") is None


@pytest.mark.parametrize(
    "item", ["not json", '["a list"]', '{"email": {"S": "no key"}}', '{"username": "not DynamoDB JSON"}']
)
def test_an_item_that_is_not_dynamodb_json_with_its_key_stops_the_deploy_naming_it(moto, provisioned, unique, item):
    table = _users_table(provisioned, unique)
    with pytest.raises(DeployError, match=r"^aws:dynamodb/tableItem:TableItem 'bad': 'item' "):
        provisioned.apply(ITEM, "bad", {"tableName": table, "hashKey": "username", "item": item})
    assert moto.client("dynamodb").scan(TableName=table)["Items"] == []


def test_an_item_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique):
    table = _users_table(provisioned, unique)
    inputs = {"tableName": table, "hashKey": "username", "item": '{"username": {"S": "x"}}', "region": "eu-west-1"}
    with pytest.raises(UnsupportedInput, match=r"^aws:dynamodb/tableItem:TableItem 'x': .*'region'"):
        provisioned.apply(ITEM, "x", inputs)
