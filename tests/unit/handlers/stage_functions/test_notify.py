"""The notify handler against moto: record changes from the stream become notices on the topic (upload
outcomes and reviewers' verdicts), posted for the mail stage for owners with an address, each once
(tests/unit/handlers/stage_functions/conftest.py delivers what was posted through the mail stage)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from handlers.contract import Env
from tests.unit.handlers.conftest import fresh
from tests.unit.handlers.records import AWAITING, PASSED, PENDING, PROCESSED, REJECTED, REJECTED_IN_REVIEW, change


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


def test_without_a_mail_queue_nobody_is_mailed(aws, notices, mail, context, monkeypatch):
    monkeypatch.delenv(Env.MAIL_QUEUE_URL)
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
        "Optimized image: images/optimized/i1-v1.jpg (in the images bucket). "
        "Act on the reviewer's note, and upload a new version of the photo.\n\n"
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
