"""DynamoDB: on-demand tables with global secondary indexes, time to live and streams; and items
the program keeps in them.

A change of the table's name, key schema or key attribute types replaces the table (its items go
with it), as on AWS. Global secondary indexes, the stream and time to live change in place, keeping
the items: an index is added, removed, or (when its keys or projection change) removed and added
again, one index per UpdateTable, as AWS allows."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name, wait_until
from harness.deployed.stack_state import ResourceRecord

# How long an index may take to be built or dropped: AWS backfills a new index from every item of
# the table (minutes for a large one); the emulators build it at once.
INDEX_TIMEOUT = 900.0


@dataclass(frozen=True)
class TableSpec:
    """A table: its definition as CreateTable takes it (name, attributes, keys, indexes), the view
    its stream gives (None: no stream), and its time-to-live attribute (None: no time to live)."""

    definition: dict[str, Any]
    stream_view: str | None
    ttl_attribute: str | None


class Table(Provisioner[TableSpec]):
    type_token = "aws:dynamodb/table:Table"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> TableSpec:
        table = physical_name(inputs, name, previous, max_length=255)
        inputs.ignore("billingMode", "PAY_PER_REQUEST")
        definition: dict[str, Any] = {
            "TableName": table,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": a.take("name"), "AttributeType": a.take("type")} for a in inputs.each("attributes")
            ],
            "KeySchema": _key_schema(inputs.take("hashKey"), inputs.take("rangeKey", None)),
        }
        indexes = [_global_index(index) for index in inputs.each("globalSecondaryIndexes")]
        if indexes:
            definition["GlobalSecondaryIndexes"] = indexes
        stream_view = inputs.take("streamViewType", None) if inputs.take("streamEnabled", False) else None
        ttl = inputs.sub("ttl")
        ttl_attribute = ttl.take("attributeName") if ttl and ttl.take("enabled", False) else None
        return TableSpec(definition, stream_view, ttl_attribute)

    def validate(self, where: str, spec: TableSpec) -> None:
        _check_attributes(where, spec.definition)

    def apply(self, ctx: Context, spec: TableSpec, previous: ResourceRecord | None) -> Applied:
        definition, stream_view, ttl_attribute = spec.definition, spec.stream_view, spec.ttl_attribute
        table = definition["TableName"]
        dynamodb = ctx.client("dynamodb")
        if previous is not None and _replaces(previous.outputs["definition"], definition):
            self.delete(ctx, previous)
            previous = None
        elif previous is not None and previous.outputs["definition"] != definition:
            _change_indexes(dynamodb, definition)
        if previous is None:
            stream = {"StreamSpecification": _stream(stream_view)} if stream_view else {}
            dynamodb.create_table(**definition, **stream)
            wait_until(lambda: _status(dynamodb, table) == "ACTIVE", f"table {table} to become ACTIVE")
        elif previous.outputs.get("streamView") != stream_view:
            _change_stream(dynamodb, table, previous.outputs.get("streamView"), stream_view)
        old_ttl_attribute = previous.outputs.get("ttlAttribute") if previous is not None else None
        if old_ttl_attribute != ttl_attribute:
            _change_ttl(dynamodb, table, old_ttl_attribute, ttl_attribute)
        described = dynamodb.describe_table(TableName=table)["Table"]
        return Applied(
            table,
            {
                "name": table,
                "arn": described["TableArn"],
                "streamArn": described.get("LatestStreamArn"),
                "definition": definition,
                "streamView": stream_view,
                "ttlAttribute": ttl_attribute,
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        dynamodb = ctx.client("dynamodb")
        dynamodb.delete_table(TableName=record.id)
        wait_until(lambda: _status(dynamodb, record.id) is None, f"table {record.id} to be deleted")


@dataclass(frozen=True)
class TableItemSpec:
    """An item: its table's name, the names of the table's key attributes, and the item as declared
    (DynamoDB JSON)."""

    table: str
    key_names: list[str]
    text: str

    def item(self) -> Any:
        """The item, parsed."""
        return json.loads(self.text)


class TableItem(Provisioner[TableItemSpec]):
    """One item the program declares in a table (DynamoDB JSON, as the provider takes it): put as
    declared, so an attribute no longer declared goes; moved to another table or key, the old item
    is deleted first; deleted with the resource. The physical id is the provider's:
    `<table>|<hash key>|<hash value>[|<range key>|<range value>]`."""

    type_token = "aws:dynamodb/tableItem:TableItem"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> TableItemSpec:
        table = _table_name(inputs.take("tableName"))
        key_names = [inputs.take("hashKey")] + [k for k in [inputs.take("rangeKey", None)] if k]
        return TableItemSpec(table, key_names, inputs.take("item"))

    def validate(self, where: str, spec: TableItemSpec) -> None:
        try:
            item = spec.item()
        except ValueError as error:
            raise DeployError(f"{where}: 'item' is not JSON: {error}") from None
        if not isinstance(item, dict) or any(not isinstance(item.get(k), dict) for k in spec.key_names):
            raise DeployError(f"{where}: 'item' must be DynamoDB JSON holding its key {', '.join(spec.key_names)}")

    def apply(self, ctx: Context, spec: TableItemSpec, previous: ResourceRecord | None) -> Applied:
        table, key_names, text, item = spec.table, spec.key_names, spec.text, spec.item()
        key = {k: item[k] for k in key_names}
        if previous is not None and (previous.outputs["tableName"], previous.outputs["key"]) != (table, key):
            self.delete(ctx, previous)
        ctx.client("dynamodb").put_item(TableName=table, Item=item)
        values = [part for k in key_names for part in (k, next(iter(key[k].values())))]
        return Applied("|".join([table, *map(str, values)]), {"tableName": table, "key": key, "item": text})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        dynamodb = ctx.client("dynamodb")
        with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):  # gone with its table
            dynamodb.delete_item(TableName=record.outputs["tableName"], Key=record.outputs["key"])


def _table_name(name_or_arn: str) -> str:
    """A table's name, given its name or ARN (`arn:aws:dynamodb:<region>:<account>:table/<name>`)."""
    return name_or_arn.split(":table/", 1)[1] if name_or_arn.startswith("arn:") else name_or_arn


def _stream(view: str | None) -> dict[str, Any]:
    return {"StreamEnabled": True, "StreamViewType": view} if view else {"StreamEnabled": False}


def _change_stream(dynamodb: Any, table: str, old: str | None, new: str | None) -> None:
    """Turn the table's stream on, off, or to another view in place (as AWS does: a view changes by
    turning the stream off, then on again, which starts a new stream with a new ARN)."""
    steps = ([None] if old and new else []) + [new]
    for view in steps:
        dynamodb.update_table(TableName=table, StreamSpecification=_stream(view))
        wait_until(lambda: _status(dynamodb, table) == "ACTIVE", f"table {table} to be ACTIVE again")


def _change_ttl(dynamodb: Any, table: str, old: str | None, new: str | None) -> None:
    """Turn time to live on, off, or to another attribute (AWS takes one off before another on)."""
    if old:
        dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": old})
    if new:
        dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": new})


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def _global_index(index: Inputs) -> dict[str, Any]:
    keys = [{"AttributeName": k.take("attributeName"), "KeyType": k.take("keyType")} for k in index.each("keySchemas")]
    if not keys:
        keys = _key_schema(index.take("hashKey"), index.take("rangeKey", None))
    projection: dict[str, Any] = {"ProjectionType": index.take("projectionType")}
    if non_key := index.take("nonKeyAttributes", None):
        projection["NonKeyAttributes"] = non_key
    if len([k for k in keys if k["KeyType"] == "HASH"]) != 1:
        raise DeployError(f"{index.where}: an index needs exactly one HASH key here")
    return {"IndexName": index.take("name"), "KeySchema": keys, "Projection": projection}


def _check_attributes(where: str, definition: Mapping[str, Any]) -> None:
    """Refuse attributes that no key uses and keys on undeclared attributes, naming them (AWS and
    the Pulumi provider refuse both; an unused one would otherwise be recorded but never applied)."""
    declared = {a["AttributeName"] for a in definition["AttributeDefinitions"]}
    keyed = _key_attributes(definition)
    if unused := sorted(declared - keyed):
        raise DeployError(f"{where}: attribute(s) {', '.join(unused)} are declared but no table or index key uses them")
    if undeclared := sorted(keyed - declared):
        raise DeployError(f"{where}: key attribute(s) {', '.join(undeclared)} are not declared in 'attributes'")


def _key_attributes(table: Mapping[str, Any]) -> set[str]:
    """The attributes a table definition or description keys on: its own key and its indexes'."""
    indexes = table.get("GlobalSecondaryIndexes", [])
    return {key["AttributeName"] for schema in (table, *indexes) for key in schema["KeySchema"]}


def _attribute_types(table: Mapping[str, Any]) -> dict[str, str]:
    """The type (S, N, B) of each attribute a table definition or description declares."""
    return {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}


def _table_identity(definition: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a table cannot change in place: its name, key schema and the types of its key attributes."""
    types = _attribute_types(definition)
    keys = definition["KeySchema"]
    return definition["TableName"], keys, [types.get(key["AttributeName"]) for key in keys]


def _replaces(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether going from the `old` definition to the `new` one needs a new table."""
    return _table_identity(old) != _table_identity(new)


def _index_shapes(table: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each global secondary index of a table definition or description, by name, as what makes it
    that index (key schema, key attribute types, projection) without what AWS adds (status, counts).
    Two indexes of one name with different shapes differ, and only a new index can change that."""
    types = _attribute_types(table)
    return {
        index["IndexName"]: {
            "KeySchema": index["KeySchema"],
            "KeyTypes": [types.get(key["AttributeName"]) for key in index["KeySchema"]],
            "ProjectionType": index["Projection"]["ProjectionType"],
            "NonKeyAttributes": sorted(index["Projection"].get("NonKeyAttributes", [])),
        }
        for index in table.get("GlobalSecondaryIndexes", [])
    }


def _change_indexes(dynamodb: Any, definition: Mapping[str, Any]) -> None:
    """Make the live table's global secondary indexes the declared ones, keeping its items: first
    drop each index not declared or declared otherwise, then add each declared index it lacks. The
    live table, not the last record, is compared, so a deploy that stopped half way is completed."""
    table = definition["TableName"]
    live = _index_shapes(_settled(dynamodb, table, f"table {table} and its indexes to be ACTIVE"))
    wanted = _index_shapes(definition)
    for name, shape in live.items():
        if wanted.get(name) != shape:
            _delete_index(dynamodb, table, name)
    for index in definition.get("GlobalSecondaryIndexes", []):
        name = index["IndexName"]
        if live.get(name) != wanted[name]:
            _create_index(dynamodb, definition, index)


def _delete_index(dynamodb: Any, table: str, index: str) -> None:
    """Drop one global secondary index and wait until it is gone."""
    dynamodb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index}}])
    _settled(dynamodb, table, f"index {index} of table {table} to be deleted", lambda names: index not in names)


def _create_index(dynamodb: Any, definition: Mapping[str, Any], index: Mapping[str, Any]) -> None:
    """Add one global secondary index, with the attribute definitions of every key the table has
    once it exists (the new index's among them), and wait until AWS has built it."""
    table = definition["TableName"]
    described = dynamodb.describe_table(TableName=table)["Table"]
    keyed = _key_attributes(described) | {key["AttributeName"] for key in index["KeySchema"]}
    attributes = [a for a in definition["AttributeDefinitions"] if a["AttributeName"] in keyed]
    dynamodb.update_table(
        TableName=table, AttributeDefinitions=attributes, GlobalSecondaryIndexUpdates=[{"Create": dict(index)}]
    )
    name = index["IndexName"]
    _settled(dynamodb, table, f"index {name} of table {table} to be ACTIVE", lambda names: name in names)


def _settled(
    dynamodb: Any, table: str, what: str, indexes_are: Callable[[set[str]], bool] = lambda _: True
) -> dict[str, Any]:
    """Wait until the table and every index it has are ACTIVE and the names of its indexes satisfy
    `indexes_are`; return the table's description then. A table that is not there is an error."""

    def check() -> dict[str, Any] | None:
        described = _description(dynamodb, table)
        if described is None:
            raise DeployError(f"table {table} is gone (deleted outside the deploy?) while waiting for {what}")
        if described["TableStatus"] != "ACTIVE":
            return None
        indexes = described.get("GlobalSecondaryIndexes", [])
        if any(index["IndexStatus"] != "ACTIVE" for index in indexes):
            return None
        return described if indexes_are({index["IndexName"] for index in indexes}) else None

    return wait_until(check, what, timeout=INDEX_TIMEOUT)


def _description(dynamodb: Any, table: str) -> dict[str, Any] | None:
    """The table's DescribeTable answer, or None when there is no such table."""
    try:
        return cast(dict[str, Any], dynamodb.describe_table(TableName=table)["Table"])
    except dynamodb.exceptions.ResourceNotFoundException:
        return None


def _status(dynamodb: Any, table: str) -> str | None:
    """The table's status (CREATING, ACTIVE, UPDATING, DELETING), or None when there is no such table."""
    described = _description(dynamodb, table)
    return described["TableStatus"] if described is not None else None
