"""NoticeTap against moto: a queue subscribed with a filter policy for as long as the tap is open."""

from __future__ import annotations

import json

import boto3
import pytest

from harness.aws import AwsTarget
from harness.notice_tap import NoticeTap


@pytest.fixture
def topic(mocked_aws):
    return boto3.client("sns", region_name="us-east-1").create_topic(Name="notifications")["TopicArn"]


def _publish(topic: str, owner: str, status: str) -> None:
    boto3.client("sns", region_name="us-east-1").publish(
        TopicArn=topic,
        Message=json.dumps({"owner": owner, "status": status}),
        MessageAttributes={
            k: {"DataType": "String", "StringValue": v} for k, v in {"owner": owner, "status": status}.items()
        },
    )


def test_the_tap_sees_what_its_filter_admits_and_leaves_nothing_behind(topic):
    target = AwsTarget(None, "us-east-1")
    with NoticeTap(target, topic, {"owner": ["ann"]}) as tap:
        _publish(topic, "ann", "processed")
        _publish(topic, "bob", "processed")
        _publish(topic, "ann", "rejected")
        received = tap.received(wait_seconds=0)
    assert [(message["status"], attributes) for message, attributes in received] == [
        ("processed", {"owner": "ann", "status": "processed"}),
        ("rejected", {"owner": "ann", "status": "rejected"}),
    ]
    sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_reading_outside_the_with_block_is_refused(topic):
    with pytest.raises(RuntimeError, match="inside its `with` block"):
        NoticeTap(AwsTarget(None, "us-east-1"), topic, {}).received()


def test_sent_mail_is_none_where_the_endpoint_keeps_none():
    import socket

    from harness.notice_tap import sent_mail

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert sent_mail(f"http://127.0.0.1:{port}") is None


def _message(source: str, to: list[str], **destination: list[str]) -> dict:
    return {
        "Id": f"m-{len(to)}-{source}",
        "Source": source,
        "Subject": "imagepipe: your image is ready",
        "Destination": {"ToAddresses": to, **destination},
        "Body": {"text_part": "Hello"},
    }


def test_the_sandbox_refuses_mail_from_or_to_an_address_neither_verified_nor_at_a_verified_domain():
    from harness.notice_tap import sandbox_refusals

    verified = {"imagepipe@example.com", "ann@example.com", "studio.example"}
    fine = [
        _message("imagepipe@example.com", ["ann@example.com"]),
        _message("Imagepipe <imagepipe@example.com>", ["Ann@Example.com", "bob@studio.example"]),  # names, case, domain
    ]
    assert sandbox_refusals(fine, verified) == []
    (to_bob,) = sandbox_refusals([_message("imagepipe@example.com", ["bob@example.com"])], verified)
    assert to_bob.endswith("to bob@example.com ('imagepipe: your image is ready'): not verified: bob@example.com")
    (copied,) = sandbox_refusals(
        [_message("imagepipe@example.com", ["ann@example.com"], BccAddresses=["cy@elsewhere.example"])], verified
    )
    assert copied.endswith("not verified: cy@elsewhere.example")
    (from_other,) = sandbox_refusals([_message("noreply@example.com", ["ann@example.com"])], verified)
    assert from_other.endswith("not verified: noreply@example.com")


@pytest.fixture
def emulated_mail():
    """A loopback endpoint answering GET /_aws/ses as LocalStack does, with the mail put in its list."""
    import http.server
    import threading

    kept: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"messages": kept}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", kept
    finally:
        server.shutdown()
        server.server_close()


def test_sent_mail_in_the_sandbox_fails_naming_a_mail_to_an_address_that_is_not_verified(mocked_aws, emulated_mail):
    from harness.notice_tap import UnverifiedMail, sent_mail

    endpoint, kept = emulated_mail
    ses = boto3.client("ses", region_name="us-east-1")
    ses.verify_email_identity(EmailAddress="imagepipe@example.com")
    ses.verify_email_identity(EmailAddress="ann@example.com")
    sandbox = AwsTarget(None, "us-east-1")
    kept.append(_message("imagepipe@example.com", ["ann@example.com"]))
    assert sent_mail(endpoint, sandbox=sandbox) == kept

    kept.append(_message("imagepipe@example.com", ["bob@example.com"]))
    with pytest.raises(UnverifiedMail, match=r"(?s)imagepipe:sesSandbox is on.*not verified: bob@example\.com"):
        sent_mail(endpoint, sandbox=sandbox)
    assert sent_mail(endpoint) == kept  # out of the sandbox SES sends it

    ses.verify_domain_identity(Domain="example.com")
    assert sent_mail(endpoint, sandbox=sandbox) == kept  # bob is at a verified domain now


def test_alarm_mail_is_the_alarm_notifications_mailed_to_one_address(monkeypatch):
    import harness.notice_tap as notice_tap

    def mail(to: str, text: str, id_: str) -> dict:
        return {
            "Id": id_,
            "Source": "admin@localstack.com",
            "Destination": {"ToAddresses": [to]},
            "Body": {"text_part": text},
        }

    alarm = {"AlarmName": "imagepipe-local-ingest-errors", "OldStateValue": "OK", "NewStateValue": "ALARM"}
    kept = [
        mail("ops@example.com", json.dumps(alarm), "m1"),
        mail("ann@example.com", json.dumps(alarm), "m2"),  # another address
        mail("ops@example.com", "Your photo was processed", "m3"),  # not a notification
        mail("ops@example.com", json.dumps({"owner": "ann"}), "m4"),  # JSON, but no alarm's
    ]
    monkeypatch.setattr(notice_tap, "sent_mail", lambda endpoint, sandbox=None: kept)
    assert notice_tap.alarm_mail("http://emulator", "ops@example.com") == [{**alarm, "MailId": "m1"}]
    monkeypatch.setattr(notice_tap, "sent_mail", lambda endpoint, sandbox=None: None)
    assert notice_tap.alarm_mail("http://emulator", "ops@example.com") is None
