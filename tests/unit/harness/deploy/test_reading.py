"""Provisioners read a resource's inputs into a spec before anything is applied: `read` without any
AWS endpoint, and `provision` against a stand-in endpoint that records what would be called, so
that an input left unread, or a spec refused as a whole, is seen to stop the resource first."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import MagicMock

import pytest

from harness.deploy.inputs import DeployError, Inputs, UnsupportedInput
from harness.deploy.provisioners import Context, dynamodb, lambda_, s3, sns, sqs
from harness.deployed.stack_state import ResourceRecord

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:events"


@dataclass
class Recorded:
    """Stands in for an AWS endpoint: each client asked for is a MagicMock, kept by service."""

    region: str = "us-east-1"
    clients: dict[str, MagicMock] = field(default_factory=dict)

    def client(self, service: str) -> MagicMock:
        return self.clients.setdefault(service, MagicMock(name=service))


@pytest.fixture
def endpoint() -> Recorded:
    return Recorded()


@pytest.fixture
def ctx(endpoint: Recorded) -> Context:
    return Context(endpoint)


def _inputs(type_token: str, name: str, values: dict[str, Any]) -> Inputs:
    return Inputs(values, f"{type_token} {name!r}")


def _record(type_token: str, name: str, outputs: dict[str, Any]) -> ResourceRecord:
    return ResourceRecord(type_token, name, "id", "", outputs)


def test_a_queue_is_read_into_its_name_and_sqs_attributes():
    values = {"name": "work", "visibilityTimeoutSeconds": 90.0, "delaySeconds": 0}
    spec = sqs.Queue().read("work", _inputs(sqs.Queue.type_token, "work", values), None)
    assert spec == sqs.QueueSpec("work", {"VisibilityTimeout": "90", "DelaySeconds": "0"})


def test_an_undeclared_name_is_the_one_given_last_time_else_made_from_the_logical_name():
    topic = sns.Topic.type_token
    previous = _record(topic, "events", {"name": "events-1a2b3c4"})
    assert sns.Topic().read("events", _inputs(topic, "events", {}), previous) == sns.TopicSpec("events-1a2b3c4")
    assert re.fullmatch(r"events-[0-9a-f]{7}", sns.Topic().read("events", _inputs(topic, "events", {}), None).name)
    bucket = s3.Bucket().read("Images", _inputs(s3.Bucket.type_token, "Images", {}), None)
    assert re.fullmatch(r"images-[0-9a-f]{7}", bucket.bucket) and bucket.force_destroy is False


def test_a_table_is_read_into_its_definition_stream_view_and_time_to_live_attribute():
    values = {
        "name": "records",
        "hashKey": "image_id",
        "attributes": [{"name": "image_id", "type": "S"}],
        "streamEnabled": True,
        "streamViewType": "NEW_IMAGE",
        "ttl": {"attributeName": "expires", "enabled": True},
    }
    spec = dynamodb.Table().read("records", _inputs(dynamodb.Table.type_token, "records", values), None)
    assert spec.definition == {
        "TableName": "records",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "image_id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "image_id", "KeyType": "HASH"}],
    }
    assert (spec.stream_view, spec.ttl_attribute) == ("NEW_IMAGE", "expires")


def test_a_permission_keeps_the_statement_id_made_last_time_while_its_prefix_stays():
    permission = lambda_.Permission.type_token
    values = {"statementIdPrefix": "api-", "function": "web", "action": "lambda:InvokeFunction"}
    values |= {"principal": "apigateway.amazonaws.com", "sourceArn": "arn:aws:execute-api:us-east-1:1:a/*"}
    previous = _record(permission, "api", {"statementId": "api-0123abcd", "statementIdPrefix": "api-"})
    kept = lambda_.Permission().read("api", _inputs(permission, "api", values), previous)
    assert (kept.statement_id, kept.prefix) == ("api-0123abcd", "api-")
    assert kept.granted == {
        "FunctionName": "web",
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": "arn:aws:execute-api:us-east-1:1:a/*",
    }
    made = lambda_.Permission().read("api", _inputs(permission, "api", {**values, "statementIdPrefix": "web-"}), None)
    assert re.fullmatch(r"web-[0-9a-f]{8}", made.statement_id)


def test_a_read_spec_is_applied_with_what_was_read(ctx, endpoint):
    policy = json.dumps({"Statement": []})
    inputs = _inputs(sns.TopicPolicy.type_token, "policy", {"arn": TOPIC_ARN, "policy": policy})
    applied = sns.TopicPolicy().provision(ctx, "policy", inputs, None)
    assert (applied.id, applied.outputs) == (TOPIC_ARN, {"arn": TOPIC_ARN, "policy": policy})
    endpoint.clients["sns"].set_topic_attributes.assert_called_once_with(
        TopicArn=TOPIC_ARN, AttributeName="Policy", AttributeValue=policy
    )


def test_an_input_left_unread_is_refused_before_any_aws_call(ctx, endpoint):
    values = {"arn": TOPIC_ARN, "policy": "{}", "deliveryPolicy": "{}"}
    inputs = _inputs(sns.TopicPolicy.type_token, "policy", values)
    with pytest.raises(UnsupportedInput, match=r"^aws:sns/topicPolicy:TopicPolicy 'policy': .*'deliveryPolicy'"):
        sns.TopicPolicy().provision(ctx, "policy", inputs, None)
    assert endpoint.clients == {}


def test_a_spec_refused_as_a_whole_is_refused_before_any_aws_call_and_after_unread_inputs(ctx, endpoint):
    cors = s3.BucketCorsConfiguration()
    where = f"{cors.type_token} 'cors'"
    with pytest.raises(DeployError, match=rf"^{re.escape(where)}: a CORS configuration needs at least one rule$"):
        cors.provision(ctx, "cors", _inputs(cors.type_token, "cors", {"bucket": "images", "corsRules": []}), None)
    with pytest.raises(UnsupportedInput, match=r"'tags'"):
        cors.provision(ctx, "cors", _inputs(cors.type_token, "cors", {"bucket": "images", "tags": {"a": "b"}}), None)
    assert endpoint.clients == {}
