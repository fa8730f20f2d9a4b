"""The program as a whole: what `__main__.py` declares for the `local` stack, checked resource by resource."""

from __future__ import annotations

import json

import pytest

from components.routes import ROUTES, UPLOADS_CREATED, UPLOADS_REMOVED
from components.stage_queue import FOURTEEN_DAYS
from handlers.contract import Env, ImagesTable
from harness.deploy import Project
from harness.permissions.evaluation import Request, decide, statements_of
from tests.unit.components.conftest import ROOT, Recorded, run_program

QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def test_no_resource_is_declared_outside_a_component(program):
    for typ, name in program.resources:
        if typ.startswith("aws:"):
            assert program.parents.get((typ, name), "").startswith("imagepipe:"), (
                f"{typ} {name} has no component parent"
            )


def test_every_stage_queue_redrives_to_its_own_dead_letter_queue(program):
    queues = program.of_type(QUEUE)
    stage_queues = {name: q for name, q in queues.items() if name.endswith("-queue")}
    assert set(stage_queues) == {
        *(f"{stage}-queue" for stage in ("ingest", "enhance", "removal", "metadata", "review")),
        "notify-mail-queue",
    }
    for name, queue in stage_queues.items():
        redrive = json.loads(queue["redrivePolicy"])
        dead_letters = queues[f"{name}-dlq"]
        assert redrive == {
            "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:000000000000:{dead_letters['name']}",
            "maxReceiveCount": 5,
        }
        assert dead_letters["messageRetentionSeconds"] == FOURTEEN_DAYS


def test_every_stage_queue_retries_as_aws_advises_for_lambda(program):
    # AWS's advice for a queue a Lambda function consumes: a visibility timeout of at least six times
    # the function's timeout (Lambda may retry a throttled batch within it), and a redrive policy that
    # parks a message only after at least 5 receives (a throttled receive counts too).
    queues = {queue["name"]: queue for queue in program.of_type(QUEUE).values()}
    functions = {ARN.format(service="lambda", name=f["name"]): f for f in program.of_type(FUNCTION).values()}
    consumers = {
        mapping["eventSourceArn"].rsplit(":", 1)[1]: functions[mapping["functionName"]]
        for mapping in program.of_type("aws:lambda/eventSourceMapping:EventSourceMapping").values()
        if mapping["eventSourceArn"].startswith("arn:aws:sqs:")
    }
    redriven = {name for name, queue in queues.items() if "redrivePolicy" in queue}
    assert set(consumers) == redriven, "every queue a function consumes redrives to a dead-letter queue, and only those"
    assert "imagepipe-local-notify-mail" in consumers  # the mail stage's queue (notify-mail-queue) too
    for name, function in consumers.items():
        queue = queues[name]
        assert queue["visibilityTimeoutSeconds"] >= 6 * function["timeout"], name
        assert json.loads(queue["redrivePolicy"])["maxReceiveCount"] >= 5, name


def _event_routes(program) -> dict[str, dict]:
    """The events topic's subscriptions, by the route whose stage their queue is (`<prefix>-<route name>`)."""
    events = ARN.format(service="sns", name="imagepipe-local-events")
    subscriptions = program.of_type("aws:sns/topicSubscription:TopicSubscription")
    by_route: dict[str, dict] = {}
    for name, subscription in subscriptions.items():
        if subscription["topic"] != events:
            continue
        queue = subscription["endpoint"].rsplit(":", 1)[1]
        named = [route.name for route in ROUTES if queue == f"imagepipe-local-{route.name}"]
        assert named, f"{name} feeds {queue} from the events topic: every such route is one of components/routes.py"
        assert named[0] not in by_route, f"two subscriptions of the events topic take route {named[0]}"
        by_route[named[0]] = subscription
    return by_route


def test_every_subscription_of_the_events_topic_is_a_route_with_its_policy_scope_and_delivery(program):
    # The command routes join this check by themselves once the program subscribes their queues.
    subscribed = _event_routes(program)
    assert {UPLOADS_CREATED.name, UPLOADS_REMOVED.name} <= set(subscribed)
    for route in ROUTES:
        if route.name in subscribed:
            subscription = subscribed[route.name]
            assert json.loads(subscription["filterPolicy"]) == route.filter_policy
            assert subscription["filterPolicyScope"] == route.scope
            assert subscription["rawMessageDelivery"] is route.raw_message_delivery


def test_the_upload_routes_are_deployed_as_they_always_were(program):
    subscribed = _event_routes(program)
    assert subscribed["ingest"]["filterPolicy"] == '{"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}}'
    assert subscribed["removal"]["filterPolicy"] == '{"Records": {"eventName": [{"prefix": "ObjectRemoved:"}]}}'
    for stage in ("ingest", "removal"):
        assert subscribed[stage]["filterPolicyScope"] == "MessageBody"
        assert subscribed[stage]["rawMessageDelivery"] is True


def test_the_ingest_queue_admits_only_the_events_topic(program):
    policy = json.loads(program.one("aws:sqs/queuePolicy:QueuePolicy", "ingest-queue-from-topic")["policy"])
    (statement,) = policy["Statement"]
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(":imagepipe-local-events")


def test_the_bucket_announces_uploads_only_under_the_uploads_prefix(program):
    notification = program.one("aws:s3/bucketNotification:BucketNotification", "filter-uploads")
    (topic,) = notification["topics"]
    assert topic["filterPrefix"] == "uploads/"
    assert sorted(topic["events"]) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert topic["topicArn"].endswith(":imagepipe-local-events")
    policy = json.loads(program.one("aws:sns/topicPolicy:TopicPolicy", "filter-events-from-bucket")["policy"])
    assert policy["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:s3:::imagepipe-local-images"


@pytest.mark.parametrize(
    ("account", "allowed"), [("000000000000", True), ("999999999999", False)], ids=["ours", "another-account"]
)
def test_only_our_accounts_bucket_of_that_name_may_publish_to_the_events_topic(program, account, allowed):
    """As AWS's example policy for S3 event notifications has it: `aws:SourceAccount` besides the
    bucket's ARN, which names no account (issue 21, item 7)."""
    topic_policy = program.one("aws:sns/topicPolicy:TopicPolicy", "filter-events-from-bucket")
    context = {"aws:SourceArn": "arn:aws:s3:::imagepipe-local-images", "aws:SourceAccount": account}
    request = Request("sns:Publish", topic_policy["arn"], "s3.amazonaws.com", context)
    assert decide(statements_of(topic_policy["policy"]), request).allowed is allowed


def test_the_bucket_is_private_and_refuses_plain_http(program):
    block = program.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "storage-images-private")
    assert all(
        block[flag] for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    (policy,) = program.of_type("aws:s3/bucketPolicy:BucketPolicy").values()  # a bucket has one policy
    statements = json.loads(policy["policy"])["Statement"]
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == "arn:aws:s3:::imagepipe-local-images/images/*"


def _grants(program, function: str) -> dict[str, set[str]]:
    """action → resources the function's role policy allows."""
    document = json.loads(program.one(ROLE_POLICY, f"{function}-policy")["policy"])
    grants: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in statement["Action"]:
            grants.setdefault(action, set()).update(resources)
    return grants


ARN = "arn:aws:{service}:us-east-1:000000000000:{name}"
STREAM = "arn:aws:dynamodb:us-east-1:000000000000:imagepipe-local-images/stream/mocked"
COMMON = {
    "logs:CreateLogStream": "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/imagepipe-local-{stage}:*",
    "sqs:ReceiveMessage": "arn:aws:sqs:us-east-1:000000000000:imagepipe-local-{stage}",
}


def test_ingest_may_do_exactly_what_it_needs(program):
    grants = _grants(program, "ingest")
    images = ARN.format(service="dynamodb", name="imagepipe-local-images")
    idempotency = ARN.format(service="dynamodb", name="imagepipe-local-idempotency")
    assert grants == {
        "logs:CreateLogStream": {COMMON["logs:CreateLogStream"].format(stage="ingest")},
        "logs:PutLogEvents": {COMMON["logs:CreateLogStream"].format(stage="ingest")},
        "sqs:ReceiveMessage": {COMMON["sqs:ReceiveMessage"].format(stage="ingest")},
        "sqs:DeleteMessage": {COMMON["sqs:ReceiveMessage"].format(stage="ingest")},
        "sqs:GetQueueAttributes": {COMMON["sqs:ReceiveMessage"].format(stage="ingest")},
        "sqs:ChangeMessageVisibility": {COMMON["sqs:ReceiveMessage"].format(stage="ingest")},
        "s3:GetObject": {"arn:aws:s3:::imagepipe-local-images/uploads/*"},
        "s3:DeleteObject": {"arn:aws:s3:::imagepipe-local-images/uploads/*"},
        "s3:ListBucket": {"arn:aws:s3:::imagepipe-local-images"},
        "dynamodb:GetItem": {images, idempotency},
        "dynamodb:PutItem": {images, idempotency},
        "dynamodb:UpdateItem": {images, idempotency},
        "dynamodb:DeleteItem": {idempotency},
        "sqs:SendMessage": {ARN.format(service="sqs", name="imagepipe-local-enhance")},
    }
    document = json.loads(program.one(ROLE_POLICY, "ingest-policy")["policy"])
    (listing,) = [s for s in document["Statement"] if s["Action"] == ["s3:ListBucket"]]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["uploads/*"]}}  # a gone upload: 404, not 403


def test_enhance_may_do_exactly_what_it_needs(program):
    grants = _grants(program, "enhance")
    images = ARN.format(service="dynamodb", name="imagepipe-local-images")
    idempotency = ARN.format(service="dynamodb", name="imagepipe-local-idempotency")
    fingerprints = ARN.format(service="dynamodb", name="imagepipe-local-fingerprints")
    bucket = "arn:aws:s3:::imagepipe-local-images"
    assert grants == {
        "logs:CreateLogStream": {COMMON["logs:CreateLogStream"].format(stage="enhance")},
        "logs:PutLogEvents": {COMMON["logs:CreateLogStream"].format(stage="enhance")},
        "sqs:ReceiveMessage": {COMMON["sqs:ReceiveMessage"].format(stage="enhance")},
        "sqs:DeleteMessage": {COMMON["sqs:ReceiveMessage"].format(stage="enhance")},
        "sqs:GetQueueAttributes": {COMMON["sqs:ReceiveMessage"].format(stage="enhance")},
        "sqs:ChangeMessageVisibility": {COMMON["sqs:ReceiveMessage"].format(stage="enhance")},
        "s3:GetObject": {f"{bucket}/uploads/*"},
        "s3:DeleteObject": {f"{bucket}/uploads/*", f"{bucket}/images/*"},
        "s3:PutObject": {f"{bucket}/images/*"},
        "s3:ListBucket": {bucket},
        "dynamodb:GetItem": {images, idempotency},
        "dynamodb:UpdateItem": {images, idempotency},
        "dynamodb:PutItem": {idempotency},
        "dynamodb:DeleteItem": {idempotency, fingerprints},
        "dynamodb:Query": {fingerprints},  # by band, never a Scan
        "dynamodb:BatchWriteItem": {fingerprints},
    }
    document = json.loads(program.one(ROLE_POLICY, "enhance-policy")["policy"])
    (listing,) = [s for s in document["Statement"] if s["Action"] == ["s3:ListBucket"]]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["images/*", "uploads/*"]}}


def test_removal_may_do_exactly_what_it_needs(program):
    assert _grants(program, "removal") == {
        "logs:CreateLogStream": {COMMON["logs:CreateLogStream"].format(stage="removal")},
        "logs:PutLogEvents": {COMMON["logs:CreateLogStream"].format(stage="removal")},
        "sqs:ReceiveMessage": {COMMON["sqs:ReceiveMessage"].format(stage="removal")},
        "sqs:DeleteMessage": {COMMON["sqs:ReceiveMessage"].format(stage="removal")},
        "sqs:GetQueueAttributes": {COMMON["sqs:ReceiveMessage"].format(stage="removal")},
        "sqs:ChangeMessageVisibility": {COMMON["sqs:ReceiveMessage"].format(stage="removal")},
        "s3:DeleteObject": {"arn:aws:s3:::imagepipe-local-images/images/*"},
        "dynamodb:UpdateItem": {
            ARN.format(service="dynamodb", name="imagepipe-local-images"),
            ARN.format(service="dynamodb", name="imagepipe-local-idempotency"),
        },
        "dynamodb:GetItem": {ARN.format(service="dynamodb", name="imagepipe-local-idempotency")},
        "dynamodb:PutItem": {ARN.format(service="dynamodb", name="imagepipe-local-idempotency")},
        "dynamodb:DeleteItem": {ARN.format(service="dynamodb", name="imagepipe-local-idempotency")},
        "dynamodb:BatchWriteItem": {ARN.format(service="dynamodb", name="imagepipe-local-fingerprints")},
    }


def test_functions_consume_their_queue_reporting_partial_batch_failures(program):
    mappings = program.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    queued = ("ingest", "enhance", "removal", "metadata", "review")
    assert set(mappings) == {*(f"{stage}-source" for stage in queued), "notify-source", "notify-mail-source"}
    for stage in queued:
        mapping = mappings[f"{stage}-source"]
        assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["eventSourceArn"].endswith(f":imagepipe-local-{stage}")
        # uploads one per invocation (commands up to ten), started as soon as they arrive
        assert (mapping["batchSize"], mapping["maximumBatchingWindowInSeconds"]) == (
            10 if stage in ("metadata", "review") else 1,
            1,
        )


def test_notify_reads_the_records_stream_and_parks_what_it_cannot_publish(program):
    table = program.one("aws:dynamodb/table:Table", "storage-records")
    assert (table["streamEnabled"], table["streamViewType"]) == (True, "NEW_AND_OLD_IMAGES")
    mapping = program.one("aws:lambda/eventSourceMapping:EventSourceMapping", "notify-source")
    assert mapping["eventSourceArn"] == STREAM
    assert mapping["startingPosition"] == "LATEST"
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (mapping["maximumRetryAttempts"], mapping["bisectBatchOnFunctionError"]) == (3, True)
    failures = ARN.format(service="sqs", name="imagepipe-local-notify-failures")
    assert mapping["destinationConfig"] == {"onFailure": {"destinationArn": failures}}
    assert program.one(QUEUE, "notify-failures")["messageRetentionSeconds"] == FOURTEEN_DAYS
    function = program.one(FUNCTION, "notify")
    assert function["handler"] == "handlers.stage_functions.notify.handler"
    topic = ARN.format(service="sns", name="imagepipe-local-notifications")
    assert function["environment"]["variables"][Env.NOTIFICATIONS_TOPIC_ARN] == topic
    assert program.outputs["notifications_topic_arn"] == topic


def test_notify_mails_from_a_verified_sender_to_the_owners_configured(program):
    assert program.one("aws:ses/emailIdentity:EmailIdentity", "notify-sender")["email"] == "imagepipe@example.com"
    variables = program.one(FUNCTION, "notify")["environment"]["variables"]
    assert variables[Env.USERS_TABLE] == "imagepipe-local-users"  # the owners' addresses are items there
    assert variables[Env.MAIL_QUEUE_URL].endswith("/imagepipe-local-notify-mail")  # the mail stage sends
    assert program.one(FUNCTION, "notify-mail")["environment"]["variables"][Env.SENDER_EMAIL] == "imagepipe@example.com"
    owners = {
        json.loads(item["item"])["username"]["S"]: json.loads(item["item"])["email"]["S"]
        for item in program.of_type("aws:dynamodb/tableItem:TableItem").values()
        if item["tableName"] == "imagepipe-local-users" and item["hashKey"] == "username"
    }
    assert owners == {"owner#demo": "demo@example.com", "owner#mail-e2e": "mail-e2e@example.com"}
    document = json.loads(program.one(ROLE_POLICY, "notify-mail-policy")["policy"])
    (sending,) = [s for s in document["Statement"] if s["Action"] == ["ses:SendEmail"]]
    # The local stack is in the SES sandbox (the default): recipients' identities are authorized too.
    assert sending["Resource"] == ARN.format(service="ses", name="identity/*")
    assert sending["Condition"] == {"StringEquals": {"ses:FromAddress": "imagepipe@example.com"}}


def test_notify_and_the_mail_stage_may_do_exactly_what_they_need(program):
    idempotency = ARN.format(service="dynamodb", name="imagepipe-local-idempotency")
    outbox = ARN.format(service="dynamodb", name="imagepipe-local-notify-mail-outbox")
    mail_queue = ARN.format(service="sqs", name="imagepipe-local-notify-mail")
    assert _grants(program, "notify") == {
        "logs:CreateLogStream": {COMMON["logs:CreateLogStream"].format(stage="notify")},
        "logs:PutLogEvents": {COMMON["logs:CreateLogStream"].format(stage="notify")},
        "dynamodb:DescribeStream": {STREAM},
        "dynamodb:GetRecords": {STREAM},
        "dynamodb:GetShardIterator": {STREAM},
        "dynamodb:ListStreams": {STREAM},
        "sqs:SendMessage": {ARN.format(service="sqs", name="imagepipe-local-notify-failures"), mail_queue},
        "sns:Publish": {ARN.format(service="sns", name="imagepipe-local-notifications")},
        "dynamodb:GetItem": {idempotency, ARN.format(service="dynamodb", name="imagepipe-local-users")},
        "dynamodb:PutItem": {idempotency, outbox},
        "dynamodb:UpdateItem": {idempotency},
        "dynamodb:DeleteItem": {idempotency},
    }
    assert _grants(program, "notify-mail") == {
        "ses:SendEmail": {ARN.format(service="ses", name="identity/*")},  # from the sender's address only
        "logs:CreateLogStream": {COMMON["logs:CreateLogStream"].format(stage="notify-mail")},
        "logs:PutLogEvents": {COMMON["logs:CreateLogStream"].format(stage="notify-mail")},
        **{action: {mail_queue} for action in QUEUE_CONSUMER_ACTIONS},
        "dynamodb:GetItem": {idempotency},
        "dynamodb:PutItem": {idempotency, outbox},
        "dynamodb:UpdateItem": {idempotency},
        "dynamodb:DeleteItem": {idempotency},
        "dynamodb:Query": {outbox},
        "dynamodb:BatchWriteItem": {outbox},
    }


def test_functions_get_the_settings_the_handlers_read(program):
    functions = program.of_type(FUNCTION)
    ingest, enhance = functions["ingest"], functions["enhance"]
    assert ingest["handler"] == "handlers.imaging_functions.ingest.handler"
    assert enhance["handler"] == "handlers.imaging_functions.enhance.handler"
    for function in (ingest, enhance):
        variables = function["environment"]["variables"]
        assert variables[Env.IMAGES_TABLE] == "imagepipe-local-images"
        assert variables[Env.IDEMPOTENCY_TABLE] == "imagepipe-local-idempotency"
        assert variables[Env.MAX_UPLOAD_BYTES] == str(25 * 1024 * 1024)
        assert variables[Env.MAX_PIXELS] == "50000000"
        assert function["runtime"] == "python3.11"
        assert function["architectures"] == ["x86_64"]
    assert ingest["environment"]["variables"][Env.ENHANCE_QUEUE_URL].endswith("/imagepipe-local-enhance")
    assert enhance["environment"]["variables"][Env.OPTIMIZED_EDGE] == "1600"
    assert enhance["environment"]["variables"][Env.THUMBNAIL_EDGE] == "256"
    published = {name: enhance["environment"]["variables"][name] for name in (Env.IMAGE_FORMATS, Env.SRCSET_WIDTHS)}
    assert published == {Env.IMAGE_FORMATS: "webp,avif", Env.SRCSET_WIDTHS: "480,960"}
    assert enhance["environment"]["variables"][Env.KEEP_COPYRIGHT] == "true"


def test_the_records_table_is_keyed_by_image_and_indexed_by_owner_and_by_review(program):
    table = program.one("aws:dynamodb/table:Table", "storage-records")
    assert table["hashKey"] == "image_id"
    assert table["billingMode"] == "PAY_PER_REQUEST"
    indexes = {index["name"]: index for index in table["globalSecondaryIndexes"]}
    assert set(indexes) == {ImagesTable.OWNER_INDEX, ImagesTable.REVIEW_INDEX}
    for name, hash_key in ((ImagesTable.OWNER_INDEX, "owner"), (ImagesTable.REVIEW_INDEX, "review_status")):
        assert indexes[name]["keySchemas"] == [
            {"attributeName": hash_key, "keyType": "HASH"},
            {"attributeName": "uploaded_at", "keyType": "RANGE"},
        ]
        assert indexes[name]["projectionType"] == "ALL"
    assert {a["name"] for a in table["attributes"]} == {"image_id", "owner", "uploaded_at", "review_status"}
    idempotency = program.one("aws:dynamodb/table:Table", "storage-idempotency")
    assert idempotency["hashKey"] == "id"
    assert idempotency["ttl"] == {"attributeName": "expiration", "enabled": True}


ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_every_function_and_dead_letter_queue_has_an_alarm_to_the_alerts_topic(program):
    alarms = {inputs["name"]: inputs for inputs in program.of_type(ALARM).values()}
    assert set(alarms) == {
        *(
            f"imagepipe-local-{stage}-{kind}"
            for stage in ("ingest", "enhance", "removal", "notify", "mail", "metadata", "review", "web")
            for kind in ("errors", "throttles")
        ),
        *(
            f"imagepipe-local-{stage}-dlq-parked"
            for stage in ("ingest", "enhance", "removal", "mail", "metadata", "review")
        ),
        "imagepipe-local-notify-failures-parked",
        "imagepipe-local-command-rejections-rejected",
        "imagepipe-local-api-5xx",
        "imagepipe-local-api-latency",
    }
    alerts = ARN.format(service="sns", name="imagepipe-local-alerts")
    for alarm in alarms.values():
        # The topic hears every change into ALARM and into OK (the mail subscriptions filter them);
        # no alarm tells it of INSUFFICIENT_DATA.
        assert alarm["alarmActions"] == alarm["okActions"] == [alerts]
        assert "insufficientDataActions" not in alarm
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["period"] == 10 and alarm["treatMissingData"] == "notBreaching"
        if "-api-" not in alarm["name"]:
            assert alarm["threshold"] == 1
    errors = alarms["imagepipe-local-enhance-errors"]
    assert (errors["namespace"], errors["metricName"], errors["statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    assert errors["dimensions"] == {"FunctionName": "imagepipe-local-enhance"}
    parked = alarms["imagepipe-local-notify-failures-parked"]
    assert (parked["namespace"], parked["metricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert parked["dimensions"] == {"QueueName": "imagepipe-local-notify-failures"}
    assert program.outputs["alerts_topic_arn"] == alerts
    api_dimensions = {"ApiName": "imagepipe-local-api", "Stage": "live"}
    five_xx, latency = alarms["imagepipe-local-api-5xx"], alarms["imagepipe-local-api-latency"]
    assert (five_xx["namespace"], five_xx["metricName"], five_xx["statistic"]) == (
        "AWS/ApiGateway",
        "5XXError",
        "Average",
    )
    assert five_xx["dimensions"] == latency["dimensions"] == api_dimensions
    assert five_xx["threshold"] == 0.05
    assert (latency["metricName"], latency["extendedStatistic"], latency["threshold"]) == ("Latency", "p95", 3000)
    assert "statistic" not in latency


def test_the_alert_addresses_subscribe_to_the_alerts_topic_by_mail_through_the_alert_filter(program):
    mail = program.one("aws:sns/topicSubscription:TopicSubscription", "alarms-mail-0")
    assert (mail["protocol"], mail["endpoint"]) == ("email", "ops@example.com")
    assert mail["topic"] == ARN.format(service="sns", name="imagepipe-local-alerts")
    assert mail["filterPolicyScope"] == "MessageBody"
    assert json.loads(mail["filterPolicy"]) == {"$or": [{"NewStateValue": ["ALARM"]}, {"OldStateValue": ["ALARM"]}]}


def test_the_stack_exports_what_the_harness_contract_names(program):
    assert {"images_bucket", "images_table", "events_topic_arn", "notifications_topic_arn"} <= set(program.outputs)
    assert {"api_url", "cdn_url", "users_table", "region"} <= set(program.outputs)
    assert program.outputs["images_bucket"] == "imagepipe-local-images"
    assert program.outputs["images_table"] == "imagepipe-local-images"
    assert program.outputs["users_table"] == "imagepipe-local-users"
    assert program.outputs["api_url"] == "https://api-id.execute-api.us-east-1.amazonaws.com/live"
    assert program.outputs["cdn_url"] == "https://d111111abcdef8.cloudfront.net"
    assert program.outputs["region"] == "us-east-1"


def test_the_web_function_may_do_exactly_what_it_needs(program):
    images = ARN.format(service="dynamodb", name="imagepipe-local-images")
    users = ARN.format(service="dynamodb", name="imagepipe-local-users")
    secret = ARN.format(service="secretsmanager", name="imagepipe-local-session-key")
    uploads = "arn:aws:s3:::imagepipe-local-images/uploads/*"
    assert _grants(program, "web-function") == {
        "logs:CreateLogStream": {COMMON["logs:CreateLogStream"].format(stage="web")},
        "logs:PutLogEvents": {COMMON["logs:CreateLogStream"].format(stage="web")},
        "dynamodb:GetItem": {images, users},
        "dynamodb:UpdateItem": {images, users},
        "dynamodb:Query": {f"{images}/index/*"},  # lists are queries on an index; no Scan anywhere
        "dynamodb:PutItem": {users},
        "dynamodb:DeleteItem": {users},
        "secretsmanager:GetSecretValue": {secret},
        "secretsmanager:DescribeSecret": {secret},  # a secret without a value yet (issue 21, item 1)
        "secretsmanager:PutSecretValue": {secret},
        "s3:PutObject": {uploads},  # what a presigned upload form signed by the function may do
        "s3:DeleteObject": {uploads},
        "s3:ListBucket": {"arn:aws:s3:::imagepipe-local-images"},  # under uploads/ only (below)
    }
    document = json.loads(program.one(ROLE_POLICY, "web-function-policy")["policy"])
    (listing,) = [s for s in document["Statement"] if s["Action"] == ["s3:ListBucket"]]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["uploads/*"]}}


def test_the_web_function_is_told_its_tables_secret_bucket_limit_and_the_cdn(program):
    web = program.of_type(FUNCTION)["web-function"]
    assert web["handler"] == "handlers.web.lambda_entry.handler"
    assert web["environment"]["variables"] == {
        Env.IMAGES_TABLE: "imagepipe-local-images",
        Env.USERS_TABLE: "imagepipe-local-users",
        Env.SESSION_SECRET_ARN: ARN.format(service="secretsmanager", name="imagepipe-local-session-key"),
        Env.IMAGES_BUCKET: "imagepipe-local-images",
        Env.MAX_UPLOAD_BYTES: str(25 * 1024 * 1024),
        Env.IMAGES_BASE_URL: "https://d111111abcdef8.cloudfront.net",
        Env.COMMAND_DATE_ORDER: "day-first",
        Env.SERVICE_NAME: "web",
    }
    notify = program.of_type(FUNCTION)["notify"]
    assert notify["environment"]["variables"][Env.IMAGES_BASE_URL] == "https://d111111abcdef8.cloudfront.net"


def test_every_path_and_method_of_the_api_goes_to_the_web_function(program):
    methods = program.of_type("aws:apigateway/method:Method")
    integrations = program.of_type("aws:apigateway/integration:Integration")
    (proxy,) = program.of_type("aws:apigateway/resource:Resource").values()
    assert proxy["pathPart"] == "{proxy+}" and proxy["parentId"] == "imagepipe-local-api-root"
    assert {m["resourceId"] for m in methods.values()} == {"imagepipe-local-api-root", "web-proxy-id"}
    assert all((m["httpMethod"], m["authorization"]) == ("ANY", "NONE") for m in methods.values())
    web_arn = ARN.format(service="lambda", name="imagepipe-local-web")
    for integration in integrations.values():
        assert (integration["type"], integration["integrationHttpMethod"]) == ("AWS_PROXY", "POST")
        assert web_arn in integration["uri"]
    permission = program.one("aws:lambda/permission:Permission", "web-invoked-by-api")
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["sourceArn"] == "arn:aws:execute-api:us-east-1:000000000000:imagepipe-local-api-id/*/*"
    (stage,) = program.of_type("aws:apigateway/stage:Stage").values()
    assert stage["stageName"] == "live"
    (api,) = program.of_type("aws:apigateway/restApi:RestApi").values()
    assert api["binaryMediaTypes"] == ["*/*"]  # the function's base64 answers reach clients as bytes


def test_the_dashboard_may_post_upload_forms_to_the_bucket_and_nothing_else(program):
    (cors,) = program.of_type("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").values()
    assert cors["bucket"] == "imagepipe-local-images"
    (rule,) = cors["corsRules"]
    assert rule["allowedMethods"] == ["POST"]
    assert rule["allowedOrigins"] == ["https://d111111abcdef8.cloudfront.net"]


def test_users_expire_their_sign_in_failures_and_the_session_key_is_a_secret(program):
    users = program.one("aws:dynamodb/table:Table", "users-table")
    assert users["hashKey"] == "username" and users["ttl"] == {"attributeName": "expires_at", "enabled": True}
    secret = program.one("aws:secretsmanager/secret:Secret", "users-session-key")
    assert secret["name"] == "imagepipe-local-session-key"
    assert secret["recoveryWindowInDays"] == 0  # its name free at once for a stack made again
    assert not program.of_type("aws:secretsmanager/secretVersion:SecretVersion")  # the key is never in the program


def test_a_stack_kept_on_destroy_frees_its_secrets_name_at_once_too():
    """forceDestroy off (an AWS stack): `pulumi destroy` then `up` must work (issue 21, item 6)."""
    kept = run_program({"imagepipe:forceDestroy": "false"})
    assert kept.one("aws:secretsmanager/secret:Secret", "users-session-key")["recoveryWindowInDays"] == 0


QUEUE_CONSUMER_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
)


def test_commands_may_do_exactly_what_they_need(program):
    images = ARN.format(service="dynamodb", name="imagepipe-local-images")
    idempotency = ARN.format(service="dynamodb", name="imagepipe-local-idempotency")
    rejections = ARN.format(service="sqs", name="imagepipe-local-command-rejections")
    for stage in ("metadata", "review"):
        queue = COMMON["sqs:ReceiveMessage"].format(stage=stage)
        logs = COMMON["logs:CreateLogStream"].format(stage=stage)
        assert _grants(program, stage) == {
            "logs:CreateLogStream": {logs},
            "logs:PutLogEvents": {logs},
            **{action: {queue} for action in QUEUE_CONSUMER_ACTIONS},
            "dynamodb:GetItem": {images, idempotency},
            "dynamodb:UpdateItem": {images, idempotency},
            "dynamodb:PutItem": {idempotency},
            "dynamodb:DeleteItem": {idempotency},
            "sqs:SendMessage": {rejections},
        }


def test_commands_are_handled_by_their_entry_points_and_park_in_the_rejections_queue(program):
    functions = program.of_type(FUNCTION)
    assert functions["metadata"]["handler"] == "handlers.stage_functions.commands.metadata_handler"
    assert functions["review"]["handler"] == "handlers.stage_functions.commands.review_handler"
    rejections = program.one(QUEUE, "commands-rejections")
    assert rejections["messageRetentionSeconds"] == FOURTEEN_DAYS
    url = "https://sqs.us-east-1.amazonaws.com/000000000000/imagepipe-local-command-rejections"
    for stage in ("metadata", "review"):
        assert functions[stage]["environment"]["variables"][Env.COMMAND_REJECTIONS_URL] == url
    assert program.outputs["command_rejections_url"] == url
    alarm = program.one("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-command-rejections-rejected")
    assert alarm["dimensions"] == {"QueueName": "imagepipe-local-command-rejections"}


# pulumi-aws's endpoint keys of the services a module's resources call, where they differ from its name.
# The launch template resolves its image through SSM; the prefix-list lookup is EC2's.
ENDPOINT_KEYS = {"cloudwatch": {"cloudwatch", "logs"}, "lb": {"elbv2"}, "ec2": {"ec2", "ssm"}}


@pytest.mark.parametrize("stack", ["local", "local-instances"])
def test_the_local_stacks_name_an_endpoint_for_every_service_the_program_uses(stack):
    """`pulumi up --stack local` sends each service's calls to the endpoint Pulumi.local.yaml names
    for it, or to AWS (issue 21, item 8: API Gateway, Secrets Manager and CloudFront had none)."""
    config = Project(ROOT).stack_config(stack)
    (endpoints,) = json.loads(config["aws:endpoints"])
    declared = run_program(config)
    modules = {typ.split(":")[1].split("/")[0] for typ, _ in declared.resources if typ.startswith("aws:")}
    wanted = set().union(*(ENDPOINT_KEYS.get(module, {module}) for module in modules))
    assert wanted - set(endpoints) == set()


# Resource types whose names an AWS account holds once for all its regions.
ACCOUNT_WIDE = ("aws:iam/", "aws:cloudfront/")


def _account_wide_names(program: Recorded) -> set[tuple[str, str]]:
    return {
        (typ, inputs["name"])
        for (typ, _), inputs in program.resources.items()
        if typ.startswith(ACCOUNT_WIDE) and "name" in inputs and typ != "aws:iam/rolePolicy:RolePolicy"
    }


def test_two_stacks_of_one_prefix_in_two_regions_name_nothing_account_wide_alike(program):
    """IAM roles and CloudFront's policies are named once per account (issue 21's region risk); a
    role's inline policy is named within its role."""
    elsewhere = run_program({"aws:region": "eu-west-1"})
    here, there = _account_wide_names(program), _account_wide_names(elsewhere)
    assert len(here) == len(there) >= 10
    assert here.isdisjoint(there)
