"""What each call the functions make needs from IAM (harness/permissions/needs.py)."""

from __future__ import annotations

import pytest

from harness.permissions.calls import RoleCall
from harness.permissions.needs import Need, Unplaceable, alternatives, needs


def call(service: str, operation: str, **request: object) -> RoleCall:
    return RoleCall(
        "arn:aws:iam::111122223333:role/p-web-role",
        "p-web",
        service,
        operation,
        "eu-west-1",
        "111122223333",
        request=dict(request),
    )


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("GetObject", "s3:GetObject"),
        ("HeadObject", "s3:GetObject"),
        ("PutObject", "s3:PutObject"),
        ("PostObject", "s3:PutObject"),
        ("DeleteObject", "s3:DeleteObject"),
    ],
)
def test_an_object_operation_needs_its_action_on_the_object(operation: str, action: str) -> None:
    assert needs(call("s3", operation, Bucket="b", Key="uploads/o/a.jpg")) == [
        Need(action, "arn:aws:s3:::b/uploads/o/a.jpg")
    ]


def test_a_listing_needs_list_bucket_on_the_bucket_with_its_prefix() -> None:
    assert needs(call("s3", "ListObjectsV2", Bucket="b", Prefix="uploads/x")) == [
        Need("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "uploads/x"})
    ]


def test_deleting_objects_needs_delete_object_on_each() -> None:
    request = {"Objects": [{"Key": "images/a"}, {"Key": "images/b"}]}
    assert needs(call("s3", "DeleteObjects", Bucket="b", Delete=request)) == [
        Need("s3:DeleteObject", "arn:aws:s3:::b/images/a"),
        Need("s3:DeleteObject", "arn:aws:s3:::b/images/b"),
    ]


def test_dynamodb_names_the_table_or_the_index_in_the_callers_region_and_account() -> None:
    table = "arn:aws:dynamodb:eu-west-1:111122223333:table/images"
    assert needs(call("dynamodb", "GetItem", TableName="images")) == [Need("dynamodb:GetItem", table)]
    assert needs(call("dynamodb", "Query", TableName="images", IndexName="by-owner")) == [
        Need("dynamodb:Query", table + "/index/by-owner")
    ]


def test_a_transaction_needs_each_part_by_kind_on_its_table() -> None:
    items = [{"Put": {"TableName": "a"}}, {"ConditionCheck": {"TableName": "b"}}, {"Delete": {"TableName": "a"}}]
    assert [n.action for n in needs(call("dynamodb", "TransactWriteItems", TransactItems=items))] == [
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
    ]


def test_sqs_names_the_queue_of_its_url_and_a_batch_its_single_action() -> None:
    url = "http://sqs.eu-west-1.localhost:4566/111122223333/p-ingest"
    assert needs(call("sqs", "DeleteMessageBatch", QueueUrl=url)) == [
        Need("sqs:DeleteMessage", "arn:aws:sqs:eu-west-1:111122223333:p-ingest")
    ]


def test_a_mail_needs_send_email_on_the_senders_identity_or_its_domains() -> None:
    (need,) = needs(call("ses", "SendEmail", Source="Pictures <pictures@example.com>"))
    keys = {"ses:FromAddress": "pictures@example.com", "ses:FromDisplayName": "Pictures"}
    assert need == Need("ses:SendEmail", "arn:aws:ses:eu-west-1:111122223333:identity/pictures@example.com", keys)
    assert alternatives(need)[1].resource == "arn:aws:ses:eu-west-1:111122223333:identity/example.com"


def test_a_secret_must_be_named_by_its_arn() -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:p-session-key-AbCdEf"
    assert needs(call("secretsmanager", "DescribeSecret", SecretId=arn)) == [Need("secretsmanager:DescribeSecret", arn)]
    with pytest.raises(Unplaceable, match="pass the ARN"):
        needs(call("secretsmanager", "GetSecretValue", SecretId="p-session-key"))


def test_who_am_i_needs_nothing_and_an_unknown_service_cannot_pass_unjudged() -> None:
    assert needs(call("sts", "GetCallerIdentity")) == []
    with pytest.raises(Unplaceable, match="kms:Decrypt: the IAM check does not know this service"):
        needs(call("kms", "Decrypt"))
    with pytest.raises(Unplaceable, match="without TableName"):
        needs(call("dynamodb", "GetItem"))


def test_in_the_sandbox_a_mail_needs_send_email_on_each_recipients_identity_too() -> None:
    mail = call(
        "ses",
        "SendEmail",
        Source="a@example.com",
        Destination={"ToAddresses": ["b@x.org"], "BccAddresses": ["c@y.org"]},
    )
    assert [n.resource.rsplit("/", 1)[1] for n in needs(mail, ses_sandbox=True)] == [
        "a@example.com",
        "b@x.org",
        "c@y.org",
    ]
    assert len(needs(mail)) == 1


def test_the_lambda_services_log_group_creation_is_not_judged_but_its_writes_are() -> None:
    made = RoleCall(
        "arn:aws:iam::1:role/r",
        "session-1",
        "logs",
        "CreateLogGroup",
        "eu-west-1",
        "1",
        True,
        {"logGroupName": "/aws/lambda/f"},
    )
    assert needs(made) == []
    written = RoleCall(
        "arn:aws:iam::1:role/r",
        "session-1",
        "logs",
        "PutLogEvents",
        "eu-west-1",
        "1",
        True,
        {"logGroupName": "/aws/lambda/f", "logStreamName": "s"},
    )
    assert needs(written) == [
        Need("logs:PutLogEvents", "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:log-stream:s")
    ]


def test_a_stream_read_names_the_stream_of_its_iterator_in_the_callers_region() -> None:
    iterator = "000000000000|arn:aws:dynamodb:ddblocal:000000000000:table/images/stream/2026-12-05T02:54:02.739|AAAA"
    (need,) = needs(call("dynamodbstreams", "GetRecords", ShardIterator=iterator))
    assert need == Need(
        "dynamodb:GetRecords", "arn:aws:dynamodb:eu-west-1:111122223333:table/images/stream/2026-12-05T02:54:02.739"
    )
