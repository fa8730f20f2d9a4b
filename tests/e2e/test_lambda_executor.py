"""The host-process Lambda executor inside the emulator: functions created directly with boto3
(.zip packages built here), invoked synchronously, concurrently and through an SQS event source
mapping with partial batch failures. Everything a test makes here is named for it alone and removed
after it by the fixture that made it, whatever became of the test."""

from __future__ import annotations

import contextlib
import io
import json
import textwrap
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.emulator import layout
from harness.polling import wait_until

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)

APP = textwrap.dedent(
    """
    import json, os, sys, time
    import boto3

    def handler(event, context):
        action = event.get("action")
        if action == "echo":
            return {"event": event, "pid": os.getpid(), "request_id": context.aws_request_id}
        if action == "env":
            return dict(os.environ)
        if action == "sleep":
            time.sleep(event["seconds"])
            return {"pid": os.getpid(), "function": context.function_name}
        if action == "log":
            print("token", event["token"])
            print(json.dumps({"level": "INFO", "message": "structured", "token": event["token"]}))
            print("to stderr", event["token"], file=sys.stderr)
            return "logged"
        if action == "notify":
            boto3.client("sqs").send_message(QueueUrl=event["queue"], MessageBody=event["token"])
            return "notified"
        if action == "aws":
            s3 = boto3.client("s3")
            s3.create_bucket(Bucket=event["bucket"])
            return sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
        return None
    """
)

BATCH_APP = textwrap.dedent(
    """
    import json, os
    import boto3

    sqs = boto3.client("sqs")

    def handler(event, context):
        failures = []
        for record in event["Records"]:
            sqs.send_message(
                QueueUrl=os.environ["RESULTS_QUEUE"],
                MessageBody=json.dumps({
                    "body": record["body"],
                    "receive_count": int(record["attributes"]["ApproximateReceiveCount"]),
                    "batch_size": len(event["Records"]),
                }),
            )
            if record["body"].startswith("fail"):
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}
    """
)


STREAM_APP = textwrap.dedent(
    """
    import json, os
    import boto3

    sqs = boto3.client("sqs")

    def handler(event, context):
        for record in event["Records"]:
            sqs.send_message(
                QueueUrl=os.environ["RESULTS_QUEUE"],
                MessageBody=json.dumps([record["eventName"], record["dynamodb"]["Keys"]["k"]["S"]]),
            )
    """
)


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _name() -> str:
    return f"ipx-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def role_arn(emulator) -> str:
    """The functions' role, made for this module and deleted after it."""
    iam = emulator.client("iam")
    name = f"imagepipe-e2e-executor-{uuid.uuid4().hex[:8]}"
    yield iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.delete_role(RoleName=name)


def _state(lam, name: str) -> dict:
    return lam.get_function(FunctionName=name)["Configuration"]


@pytest.fixture
def make_function(emulator, role_arn):
    """make_function(files, handler=..., runtime=..., ...) -> function name, Active unless
    wait=False; every function made is deleted afterwards, with its logs."""
    lam, logs = emulator.client("lambda"), emulator.client("logs")
    created: list[str] = []

    def make(
        files: dict[str, str] | None = None,
        *,
        handler: str = "app.handler",
        runtime: str = "python3.11",
        timeout: int = 3,
        memory: int = 128,
        environment: dict[str, str] | None = None,
        architectures: list[str] | None = None,
        wait: bool = True,
    ) -> str:
        name = _name()
        created.append(name)
        lam.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=role_arn,
            Handler=handler,
            Code={"ZipFile": _zip(files or {"app.py": APP})},
            Timeout=timeout,
            MemorySize=memory,
            Environment={"Variables": environment or {}},
            Architectures=architectures or ["x86_64"],
        )
        if wait:
            state = wait_until(
                lambda: (s := _state(lam, name))["State"] != "Pending" and s,
                timeout=60,
                interval=0.05,
                what=f"{name} to leave Pending",
            )
            assert state["State"] == "Active", state.get("StateReason")
        return name

    yield make
    for name in created:
        with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
            lam.delete_function(FunctionName=name)
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
            logs.delete_log_group(logGroupName=f"/aws/lambda/{name}")
        if emulator.embedded:
            layout().lambda_log(name).unlink(missing_ok=True)


@pytest.fixture
def make_queue(emulator):
    """make_queue(**attributes) -> (url, arn); queues made are deleted afterwards."""
    sqs = emulator.client("sqs")
    created: list[str] = []

    def make(**attributes: str) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=_name(), Attributes=attributes)["QueueUrl"]
        created.append(url)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    yield make
    for url in created:
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
            sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def make_table(emulator):
    """make_table(**create_table_arguments) -> (name, stream ARN or None); tables made are deleted
    afterwards."""
    dynamodb = emulator.client("dynamodb")
    created: list[str] = []

    def make(**arguments) -> tuple[str, str | None]:
        name = _name()
        created.append(name)
        table = dynamodb.create_table(TableName=name, **arguments)["TableDescription"]
        return name, table.get("LatestStreamArn")

    yield make
    for name in created:
        with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
            dynamodb.delete_table(TableName=name)


@pytest.fixture
def make_mapping(emulator, make_function, make_queue, make_table):
    """make_mapping(**create_event_source_mapping_arguments) -> its UUID once Enabled; mappings made
    are deleted afterwards, before the functions, queues and tables they join (hence those fixtures)."""
    lam = emulator.client("lambda")
    created: list[str] = []

    def make(**arguments) -> str:
        mapping = lam.create_event_source_mapping(**arguments)["UUID"]
        created.append(mapping)
        wait_until(
            lambda: lam.get_event_source_mapping(UUID=mapping)["State"] == "Enabled",
            timeout=30,
            interval=0.1,
            what="the mapping",
        )
        return mapping

    yield make
    for mapping in created:
        with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
            lam.delete_event_source_mapping(UUID=mapping)


def invoke(emulator, name: str, event: dict, **kwargs) -> tuple[dict | None, object]:
    response = emulator.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event), **kwargs)
    return response.get("FunctionError"), json.loads(response["Payload"].read() or b"null")


def receive_all(sqs, url: str) -> list:
    """The JSON bodies waiting in the queue at `url` (up to ten; waits up to a second), deleted."""
    bodies = []
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        bodies.append(json.loads(message["Body"]))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_invoke_returns_the_handlers_result(emulator, make_function):
    name = make_function()
    error, body = invoke(emulator, name, {"action": "echo", "value": [1, "ü", None]})
    assert error is None
    assert body["event"] == {"action": "echo", "value": [1, "ü", None]}
    assert len(body["request_id"]) == 36


def test_the_functions_environment_is_applied(emulator, make_function):
    name = make_function(environment={"GREETING": "hi", "TABLE_NAME": "images"}, memory=256, timeout=7)
    error, env = invoke(emulator, name, {"action": "env"})
    assert error is None
    assert env["GREETING"] == "hi" and env["TABLE_NAME"] == "images"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "7"
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_REGION"] == emulator.region
    if emulator.embedded:
        assert env["AWS_ENDPOINT_URL"] == emulator.endpoint_url
        leaked = [
            k
            for k in env
            if k.startswith(("IMAGEPIPE", "GATEWAY_", "LAMBDA_RUNTIME_EXECUTOR", "FILESYSTEM_ROOT", "JAVA_TOOL"))
        ]
        assert leaked == []
    # the function's boto3 reaches the emulator with the credentials it was given
    s3, bucket = emulator.client("s3"), _name()
    try:
        error, buckets = invoke(emulator, name, {"action": "aws", "bucket": bucket})
        assert error is None and bucket in buckets
    finally:
        with contextlib.suppress(s3.exceptions.NoSuchBucket):
            s3.delete_bucket(Bucket=bucket)


def test_new_code_and_configuration_take_effect(emulator, make_function):
    lam = emulator.client("lambda")
    name = make_function()
    assert invoke(emulator, name, {"action": "echo"})[1]["event"] == {"action": "echo"}

    def updated():
        return _state(lam, name).get("LastUpdateStatus") == "Successful"

    lam.update_function_code(
        FunctionName=name, ZipFile=_zip({"app.py": "def handler(event, context):\n    return 'v2'\n"})
    )
    wait_until(updated, timeout=30, interval=0.05, what="the code update")
    assert invoke(emulator, name, {}) == (None, "v2")
    lam.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"GREETING": "v3"}}, Handler="app2.handler"
    )
    wait_until(updated, timeout=30, interval=0.05, what="the configuration update")
    lam.update_function_code(
        FunctionName=name,
        ZipFile=_zip({"app2.py": "import os\ndef handler(e, c):\n    return os.environ['GREETING']\n"}),
    )
    wait_until(updated, timeout=30, interval=0.05, what="the second code update")
    assert invoke(emulator, name, {}) == (None, "v3")


def test_timeout_is_enforced_with_the_aws_error(emulator, make_function):
    # 3 s: long enough for a fresh worker to start on a busy machine, far shorter than the sleep.
    name = make_function(timeout=3)
    started = time.monotonic()
    error, body = invoke(emulator, name, {"action": "sleep", "seconds": 30})
    elapsed = time.monotonic() - started
    assert error == "Unhandled"
    assert body["errorMessage"].endswith("Task timed out after 3.00 seconds")
    assert elapsed < 30  # ended by the timeout, not by the end of the sleep
    error, body = invoke(emulator, name, {"action": "echo"})  # a fresh worker answers
    assert error is None and body["event"] == {"action": "echo"}


def test_asynchronous_invocation_runs(emulator, make_function, make_queue):
    name = make_function()
    results_url, _ = make_queue()
    token = uuid.uuid4().hex
    response = emulator.client("lambda").invoke(
        FunctionName=name,
        InvocationType="Event",
        Payload=json.dumps({"action": "notify", "queue": results_url, "token": token}),
    )
    assert response["StatusCode"] == 202
    sqs = emulator.client("sqs")
    seen = wait_until(
        lambda: sqs.receive_message(QueueUrl=results_url, WaitTimeSeconds=1).get("Messages"),
        timeout=30,
        interval=0,
        what="the async run",
    )
    assert seen[0]["Body"] == token


def test_two_functions_and_concurrent_invocations_all_complete(emulator, make_function):
    first, second = make_function(), make_function()
    calls = [(first, {"action": "sleep", "seconds": 0.5})] * 6 + [(second, {"action": "sleep", "seconds": 0.2})] * 2
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        results = list(pool.map(lambda call: invoke(emulator, *call), calls))
    assert [error for error, _ in results] == [None] * len(calls)
    assert [body["function"] for _, body in results] == [first] * 6 + [second] * 2
    assert len({body["pid"] for _, body in results[:6]}) > 1  # several environments ran at once


def test_logs_reach_cloudwatch_and_the_harness_log_file(emulator, make_function):
    name = make_function()
    token = uuid.uuid4().hex
    error, body = invoke(emulator, name, {"action": "log", "token": token})
    assert error is None and body == "logged"
    logs = emulator.client("logs")

    def messages():
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return None
        text = "".join(event["message"] for event in events)
        return text if "REPORT RequestId" in text else None

    text = wait_until(messages, timeout=20, interval=0.1, what="the function's log events")
    assert f"token {token}" in text
    assert f'"token": "{token}"' in text
    assert f"to stderr {token}" in text
    assert "START RequestId: " in text and "END RequestId: " in text
    if emulator.embedded:
        log_file = layout().lambda_log(name)
        content = wait_until(
            lambda: log_file.exists() and log_file.read_text(), timeout=10, interval=0.05, what=str(log_file)
        )
        assert f"token {token}" in content and "REPORT RequestId: " in content


def test_sqs_batch_with_partial_failures_redelivers_then_parks_in_the_dlq(
    emulator, make_function, make_queue, make_mapping
):
    sqs = emulator.client("sqs")
    dlq_url, dlq_arn = make_queue()
    queue_url, queue_arn = make_queue(
        VisibilityTimeout="1",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
    )
    results_url, _ = make_queue()
    name = make_function({"app.py": BATCH_APP}, environment={"RESULTS_QUEUE": results_url}, timeout=10)
    make_mapping(
        FunctionName=name,
        EventSourceArn=queue_arn,
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    bodies = ["ok-1", "ok-2", "ok-3", "ok-4", "fail-1"]
    sqs.send_message_batch(
        QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
    )

    seen: list[dict] = []

    def drain_results():
        seen.extend(receive_all(sqs, results_url))
        return seen

    parked: list[str] = []

    def fail_parked():
        drain_results()
        for message in sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", []):
            parked.append(message["Body"])
        return parked

    wait_until(fail_parked, timeout=60, interval=0.2, what="fail-1 to end in the DLQ")
    drain_results()

    assert parked == ["fail-1"]
    by_body: dict[str, list[int]] = {}
    for item in seen:
        by_body.setdefault(item["body"], []).append(item["receive_count"])
    assert {body: counts for body, counts in by_body.items() if body.startswith("ok")} == {
        "ok-1": [1],
        "ok-2": [1],
        "ok-3": [1],
        "ok-4": [1],
    }
    assert by_body["fail-1"] == [1, 2]  # redelivered once, then parked after maxReceiveCount
    assert max(item["batch_size"] for item in seen) > 1  # delivered as a batch


def test_dynamodb_stream_mapping_delivers_the_changes_in_order(
    emulator, make_function, make_queue, make_table, make_mapping
):
    dynamodb, sqs = emulator.client("dynamodb"), emulator.client("sqs")
    table, stream_arn = make_table(
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    results_url, _ = make_queue()
    name = make_function({"app.py": STREAM_APP}, environment={"RESULTS_QUEUE": results_url})
    make_mapping(FunctionName=name, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON", BatchSize=10)
    dynamodb.put_item(TableName=table, Item={"k": {"S": "a"}, "v": {"N": "1"}})
    dynamodb.put_item(TableName=table, Item={"k": {"S": "b"}, "v": {"N": "1"}})
    dynamodb.update_item(
        TableName=table,
        Key={"k": {"S": "a"}},
        UpdateExpression="SET v = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    dynamodb.delete_item(TableName=table, Key={"k": {"S": "b"}})
    seen: list = []
    wait_until(
        lambda: seen.extend(receive_all(sqs, results_url)) or len(seen) >= 4,
        timeout=60,
        interval=0.1,
        what="4 stream records",
    )
    assert seen == [["INSERT", "a"], ["INSERT", "b"], ["MODIFY", "a"], ["REMOVE", "b"]]


@pytest.mark.parametrize(
    ("runtime", "architecture", "expected"),
    [
        ("python3.12", "x86_64", "runtime python3.12 is not available"),
        ("python3.11", "arm64", "architecture arm64 cannot run on this x86_64 host"),
    ],
)
def test_what_the_host_cannot_run_fails_with_a_reason(emulator, make_function, runtime, architecture, expected):
    if not emulator.embedded:
        pytest.skip("the reason is the embedded emulator's executor's")
    lam = emulator.client("lambda")
    name = make_function(runtime=runtime, architectures=[architecture], wait=False)
    state = wait_until(
        lambda: (s := _state(lam, name))["State"] != "Pending" and s,
        timeout=60,
        interval=0.05,
        what=f"{name} to settle",
    )
    assert state["State"] == "Failed"
    assert expected in state["StateReason"]
    assert name in state["StateReason"] and "python3.11" in state["StateReason"]
