"""DynamoDB: on-demand tables with global secondary indexes, time to live and streams."""

from __future__ import annotations

from typing import Any

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name, wait_until
from harness.deploy.state import ResourceRecord


class Table(Provisioner):
    type_token = "aws:dynamodb/table:Table"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
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

        inputs.check_all_taken()
        dynamodb = ctx.client("dynamodb")
        if previous is not None and previous.outputs["definition"] != definition:
            self.delete(ctx, previous)  # key and index changes replace the table here
            previous = None
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


def _status(dynamodb: Any, table: str) -> str | None:
    try:
        return dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]
    except dynamodb.exceptions.ResourceNotFoundException:
        return None
