"""The notify handler against moto: record changes from the stream become notices on the topic (upload
outcomes and reviewers' verdicts), mailed to owners with an address, each once."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer

from handlers.contract import Env
from tests.unit.handlers.conftest import fresh
from tests.unit.handlers.records import AWAITING, PASSED, PENDING, PROCESSED, REJECTED_IN_REVIEW

_serialize = TypeSerializer().serialize
REJECTED = {**PENDING, "image_id": "i2", "status": "rejected", "reason": "the file is empty"}  # fmt: skip


def change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """One stream record as the event source mapping delivers it (NEW_AND_OLD_IMAGES)."""
    images = {}
    if old is not None:
        images["OldImage"] = {k: _serialize(v) for k, v in old.items()}
    if new is not None:
        images["NewImage"] = {k: _serialize(v) for k, v in new.items()}
    image_id = (new or old)["image_id"]
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": "MODIFY" if old and new else ("INSERT" if new else "REMOVE"),
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/images/stream/2026-11-22T00:00:00.000",
        "dynamodb": {
            "Keys": {"image_id": {"S": image_id}},
            "SequenceNumber": str(uuid.uuid4().int)[:21],
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            **images,
        },
    }


@pytest.fixture
def notices(aws, monkeypatch):
    """The notifications topic, with a queue subscribed raw to read what is published."""
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="notifications")["TopicArn"]
    queue_url = aws.sqs.create_queue(QueueName="notices")["QueueUrl"]
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv(Env.NOTIFICATIONS_TOPIC_ARN, topic)

    def received() -> list[tuple[dict[str, Any], dict[str, str]]]:
        messages = aws.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        return [
            (json.loads(m["Body"]), {k: v["StringValue"] for k, v in m.get("MessageAttributes", {}).items()})
            for m in messages
        ]

    return received


def test_outcomes_are_published_with_status_and_owner_attributes(aws, notices, context):
    notify = fresh("handlers.stage_functions.notify")
    event = {"Records": [change(None, PENDING), change(PENDING, PROCESSED), change(None, REJECTED)]}
    assert notify.handler(event, context) == {"batchItemFailures": []}

    published = sorted(notices(), key=lambda notice: notice[0]["image_id"])
    assert [(body["image_id"], body["status"], attributes) for body, attributes in published] == [
        ("i1", "processed", {"status": "processed", "owner": "ann"}),
        ("i2", "rejected", {"status": "rejected", "owner": "ann"}),
    ]
    assert published[1][0]["text"] == "cat.jpg was rejected and removed: the file is empty."


def test_a_retried_batch_publishes_no_notice_twice(aws, notices, context):
    notify = fresh("handlers.stage_functions.notify")
    event = {"Records": [change(PENDING, PROCESSED)]}
    notify.handler(event, context)
    notify.handler(event, context)
    assert len(notices()) == 1


def test_a_change_that_cannot_be_published_fails_alone_in_its_batch(aws, notices, context, monkeypatch):
    notify = fresh("handlers.stage_functions.notify")
    good, bad = change(PENDING, PROCESSED), change(None, REJECTED)

    def publish(notice):
        if notice.status == "rejected":
            raise ConnectionError("SNS is unreachable")
        return "message-id"

    monkeypatch.setattr(notify.stage.worker.notifier, "publish", publish)
    response = notify.handler({"Records": [good, bad]}, context)
    assert response == {"batchItemFailures": [{"itemIdentifier": bad["dynamodb"]["SequenceNumber"]}]}


def test_without_its_topic_the_function_fails_at_import(aws, monkeypatch):
    from handlers.runtime.settings import SettingMissing

    monkeypatch.delenv(Env.NOTIFICATIONS_TOPIC_ARN, raising=False)
    with pytest.raises(SettingMissing, match="NOTIFICATIONS_TOPIC_ARN is not set"):
        fresh("handlers.stage_functions.notify")


@pytest.fixture
def mail(aws, monkeypatch):
    """SES with a verified sender; the users table holding the stack's address for ann (not bob), as
    the program writes it from imagepipe:ownerEmails. Returns the sent mail."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from tests.unit.tables import create_users_table

    boto3.client("ses").verify_email_identity(EmailAddress="pipeline@example.com")
    create_users_table(aws.dynamodb, "users")
    aws.dynamodb.put_item(TableName="users", Item={"username": {"S": "owner#ann"}, "email": {"S": "ann@example.com"}})
    monkeypatch.setenv(Env.SENDER_EMAIL, "pipeline@example.com")
    monkeypatch.setenv(Env.USERS_TABLE, "users")
    return lambda: ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def test_an_owner_with_an_address_gets_each_outcome_by_mail_once(aws, notices, mail, context):
    notify = fresh("handlers.stage_functions.notify")
    bobs = {**REJECTED, "image_id": "i3", "owner": "bob", "source_key": "uploads/bob/x.jpg"}
    event = {"Records": [change(PENDING, PROCESSED), change(None, bobs)]}
    notify.handler(event, context)
    notify.handler(event, context)  # retried: nothing twice
    (sent,) = mail()
    assert sent.source == "pipeline@example.com" and sent.destinations["ToAddresses"] == ["ann@example.com"]
    assert sent.subject == "imagepipe: your image is ready"
    assert sent.body.startswith("Hello ann,\n\ncat.jpg is processed.")
    assert len(notices()) == 2  # both published, whether mailed or not


def test_the_ready_mail_and_the_processed_notice_link_both_variants_on_the_cdn(
    aws, notices, mail, context, monkeypatch
):
    cdn = "https://d111111abcdef8.cloudfront.net"
    monkeypatch.setenv(Env.IMAGES_BASE_URL, cdn)
    notify = fresh("handlers.stage_functions.notify")
    notify.handler({"Records": [change(PENDING, PROCESSED)]}, context)
    optimized, thumbnail = f"{cdn}/images/optimized/i1-v1.jpg", f"{cdn}/images/thumbnail/i1-v1.jpg"
    (sent,) = mail()
    assert sent.body == (
        f"Hello ann,\n\ncat.jpg is processed. Optimized image: {optimized}. Thumbnail: {thumbnail}.\n\n"
        "(imagepipe, about your upload uploads/ann/cat.jpg)\n"
    )
    ((body, _),) = notices()
    assert body["text"] == f"cat.jpg is processed. Optimized image: {optimized}. Thumbnail: {thumbnail}."
    assert (body["link"], body["thumbnail_link"]) == (optimized, thumbnail)
    assert (body["optimized_key"], body["thumbnail_key"]) == (
        "images/optimized/i1-v1.jpg",
        "images/thumbnail/i1-v1.jpg",
    )


def test_a_user_of_the_web_tier_gets_mail_at_the_address_they_gave(aws, notices, mail, context):
    from handlers.stores.user_store import UserStore

    users = UserStore("users", aws.dynamodb)
    users.add("ann", "a long password", email="ann@users.example")  # preferred over the stack's setting
    users.add("bob", "a long password", email="bob@users.example")  # the stack lists no address for bob
    users.add("cy", "a long password")  # no address anywhere: not mailed
    notify = fresh("handlers.stage_functions.notify")
    owned = [{**PROCESSED, "image_id": f"i-{owner}", "owner": owner} for owner in ("ann", "bob", "cy")]
    notify.handler({"Records": [change(PENDING, record) for record in owned]}, context)
    assert sorted(sent.destinations["ToAddresses"][0] for sent in mail()) == ["ann@users.example", "bob@users.example"]


def test_a_user_without_an_address_is_mailed_at_the_stacks_and_a_changed_one_counts_at_once(
    aws, notices, mail, context
):
    from handlers.stores.user_store import UserStore

    UserStore("users", aws.dynamodb).add("ann", "a long password")  # gave none: the stack's address stands
    notify = fresh("handlers.stage_functions.notify")
    notify.handler({"Records": [change(PENDING, PROCESSED)]}, context)
    aws.dynamodb.put_item(TableName="users", Item={"username": {"S": "owner#ann"}, "email": {"S": "ann@new.example"}})
    notify.handler({"Records": [change(PENDING, {**PROCESSED, "upload_version": "v2"})]}, context)  # a warm function
    assert [sent.destinations["ToAddresses"] for sent in mail()] == [["ann@example.com"], ["ann@new.example"]]


def test_without_a_sender_nobody_is_mailed(aws, notices, mail, context, monkeypatch):
    monkeypatch.delenv(Env.SENDER_EMAIL)
    notify = fresh("handlers.stage_functions.notify")
    notify.handler({"Records": [change(PENDING, PROCESSED)]}, context)
    assert mail() == [] and len(notices()) == 1


def test_a_verdict_is_published_once_with_filterable_attributes_and_mailed_to_the_owner_once(
    aws, notices, mail, context
):
    notify = fresh("handlers.stage_functions.notify")
    event = {"Records": [change(PROCESSED, AWAITING), change(AWAITING, REJECTED_IN_REVIEW)]}
    assert notify.handler(event, context) == {"batchItemFailures": []}
    assert notify.handler(event, context) == {"batchItemFailures": []}  # the batch redelivered
    notify.handler({"Records": [change(AWAITING, REJECTED_IN_REVIEW)]}, context)  # the same change, read again

    ((body, attributes),) = notices()
    assert attributes == {"kind": "review", "verdict": "rejected", "owner": "ann"}
    assert (body["kind"], body["verdict"], body["reason"]) == ("review", "rejected", "the horizon is tilted")
    assert body["image_id"] == "i1" and body["link"] == "images/optimized/i1-v1.jpg"
    (sent,) = mail()
    assert sent.destinations["ToAddresses"] == ["ann@example.com"]
    assert sent.subject == "imagepipe: your photo was rejected in review"
    assert sent.body == (
        'Hello ann,\n\ncat.jpg ("Sunset at Inch") was rejected in review: the horizon is tilted. '
        "Optimized image: images/optimized/i1-v1.jpg (in the images bucket).\n\n"
        "(imagepipe, about your upload uploads/ann/cat.jpg)\n"
    )


def test_a_reviewer_changing_their_mind_is_a_second_notice_and_mail(aws, notices, mail, context):
    notify = fresh("handlers.stage_functions.notify")
    passed_again = {**PASSED, "reviewed_at": "2026-11-22T12:00:00+00:00", "review_order": "m3"}
    notify.handler({"Records": [change(AWAITING, PASSED)]}, context)
    notify.handler({"Records": [change(PASSED, REJECTED_IN_REVIEW)]}, context)
    notify.handler({"Records": [change(REJECTED_IN_REVIEW, passed_again)]}, context)
    notify.handler({"Records": [change(passed_again, {**passed_again, "caption": "Inch"})]}, context)  # an edit

    assert sorted(attributes["verdict"] for _, attributes in notices()) == ["passed", "passed", "rejected"]
    assert [sent.subject for sent in mail()] == [
        "imagepipe: your photo passed review",
        "imagepipe: your photo was rejected in review",
        "imagepipe: your photo passed review",
    ]


def test_a_subscription_to_rejected_uploads_gets_no_review_rejections(aws, notices, context):
    sns = boto3.client("sns")
    topic = sns.list_topics()["Topics"][0]["TopicArn"]

    def subscribed(name: str, policy: dict[str, Any]):
        url = aws.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes = {"RawMessageDelivery": "true", "FilterPolicy": json.dumps(policy)}
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        return lambda: [
            json.loads(m["Body"])
            for m in aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        ]

    rejected_uploads = subscribed("rejected-uploads", {"status": ["rejected"]})
    verdicts = subscribed("verdicts", {"kind": ["review"]})
    review_rejections = subscribed("review-rejections", {"kind": ["review"], "verdict": ["rejected"]})
    notify = fresh("handlers.stage_functions.notify")
    event = {"Records": [change(None, REJECTED), change(AWAITING, REJECTED_IN_REVIEW), change(AWAITING, PASSED)]}
    notify.handler(event, context)

    assert [(body["kind"], body["image_id"]) for body in rejected_uploads()] == [("outcome", "i2")]
    assert sorted(body["verdict"] for body in verdicts()) == ["passed", "rejected"]
    assert [(body["kind"], body["reason"]) for body in review_rejections()] == [("review", "the horizon is tilted")]
    assert len(notices()) == 3  # the unfiltered subscription gets all


def _metrics_flushed(out: str) -> dict[str, float]:
    """The metrics the handler flushed (CloudWatch embedded metric format, on stdout), summed by name."""
    counted: dict[str, float] = {}
    for line in out.splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if not isinstance(blob, dict) or "_aws" not in blob:
            continue
        for definition in blob["_aws"]["CloudWatchMetrics"]:
            for metric in definition["Metrics"]:
                values = blob[metric["Name"]]
                counted[metric["Name"]] = counted.get(metric["Name"], 0) + sum(
                    values if isinstance(values, list) else [values]
                )
    return counted


def _refusals_logged(caplog) -> list[tuple[str, str, str, str]]:
    """Each refusal the handler logged: (refusal, why, to, image id)."""
    return [
        (record.refusal, record.why, record.to, record.image_id)
        for record in caplog.records
        if record.getMessage() == "notice not mailed: SES refused it"
    ]


def test_a_mail_ses_refuses_for_its_unverified_sender_is_logged_counted_and_the_change_succeeds(
    aws, notices, mail, context, monkeypatch, capsys, caplog
):
    monkeypatch.setenv(Env.SENDER_EMAIL, "unverified@example.com")  # moto's SES refuses it: MessageRejected
    notify = fresh("handlers.stage_functions.notify")
    event = {"Records": [change(PENDING, PROCESSED)]}
    capsys.readouterr()
    assert notify.handler(event, context) == {"batchItemFailures": []}
    assert mail() == [] and len(notices()) == 1  # the notice is still published
    out = capsys.readouterr().out
    ((refusal, why, to, image_id),) = _refusals_logged(caplog)
    assert (refusal, to, image_id) == ("MessageRejected", "ann@example.com", "i1")
    assert "not verified" in why
    assert _metrics_flushed(out)["NoticesMailRefused"] == 1
    assert "NoticesMailed" not in _metrics_flushed(out)


def _refusing(notify, *errors: tuple[str, int, str]):
    """The function's SES client answering its next SendEmail calls with these errors (code, HTTP
    status, message), as SES would; nothing else may be called on it."""
    from botocore.stub import Stubber

    stubber = Stubber(notify.stage.worker.mailer.ses)
    for code, status, message in errors:
        stubber.add_client_error(
            "send_email", service_error_code=code, service_message=message, http_status_code=status
        )
    stubber.activate()
    return stubber


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "MessageRejected",
            "Email address is not verified. The following identities failed the check: ann@example.com",
        ),
        ("MessageRejected", "Address blacklisted."),
        ("MailFromDomainNotVerifiedException", "MAIL FROM domain is not verified"),
        ("AccountSendingPausedException", "Sending is paused for this account."),
        ("ConfigurationSetDoesNotExist", "Configuration set <imagepipe> does not exist."),
        ("ConfigurationSetSendingPausedException", "Sending is paused for this configuration set."),
    ],
)
def test_a_refused_mail_is_not_tried_again_and_its_change_succeeds(
    aws, notices, mail, context, capsys, caplog, code, message
):
    notify = fresh("handlers.stage_functions.notify")
    notify.stage.prepare()
    stubber = _refusing(notify, (code, 400, message))
    event = {"Records": [change(PENDING, PROCESSED)]}
    capsys.readouterr()
    assert notify.handler(event, context) == {"batchItemFailures": []}
    assert notify.handler(event, context) == {"batchItemFailures": []}  # redelivered: not sent again
    stubber.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert [(refusal, why) for refusal, why, _, _ in _refusals_logged(caplog)] == [(code, message)]
    assert _metrics_flushed(out)["NoticesMailRefused"] == 1
    assert len(notices()) == 1


@pytest.mark.parametrize(
    ("code", "status"), [("Throttling", 400), ("ServiceUnavailable", 503), ("InternalFailure", 500)]
)
def test_throttling_and_ses_faults_fail_the_change_to_be_retried_and_the_retry_mails_it(
    aws, notices, mail, context, caplog, code, status
):
    notify = fresh("handlers.stage_functions.notify")
    notify.stage.prepare()
    stubber = _refusing(notify, (code, status, "try again"))
    event = {"Records": [change(None, PENDING), change(PENDING, PROCESSED)]}  # a pending record calls for nothing
    failed = notify.handler(event, context)
    assert failed == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["dynamodb"]["SequenceNumber"]}]}
    assert _refusals_logged(caplog) == []
    stubber.deactivate()
    assert notify.handler(event, context) == {"batchItemFailures": []}
    assert [sent.destinations["ToAddresses"] for sent in mail()] == [["ann@example.com"]]
    assert len(notices()) == 1  # published once, before the mail failed


def test_the_refusals_are_the_errors_ses_documents_for_sendemail():
    import botocore.session

    from handlers.pipeline.notices import MAIL_REFUSALS

    operation = botocore.session.get_session().get_service_model("ses").operation_model("SendEmail")
    documented = {shape.metadata["error"]["code"] for shape in operation.error_shapes}
    assert documented == MAIL_REFUSALS
    assert all(shape.metadata["error"]["senderFault"] for shape in operation.error_shapes)
