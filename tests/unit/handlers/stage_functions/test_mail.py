"""The mail stage against moto, fed by the notify stage: each mail sent once, a digest per owner and
window, an upload's rejection at once, both parts, SES's refusals and its throttling."""

from __future__ import annotations

import json

import pytest

from handlers.contract import Env
from tests.unit.handlers.conftest import fresh, sqs_batch
from tests.unit.handlers.records import AWAITING, PASSED, PENDING, PROCESSED, REJECTED, REJECTED_IN_REVIEW, change

CDN = "https://d111111abcdef8.cloudfront.net"


@pytest.fixture
def undelayed(monkeypatch):
    """Digests' messages not delayed (moto would hold them for real seconds); the windows stand."""
    import handlers.pipeline.mail_digest as mail_digest

    monkeypatch.setattr(mail_digest, "digest_delay", lambda now, seconds: 0)


@pytest.fixture
def digests(notices, mail, monkeypatch, undelayed):
    """A digest window of an hour: everything the tests post falls in one (unless at an hour's turn)."""
    monkeypatch.setenv(Env.MAIL_DIGEST_SECONDS, "3600")
    monkeypatch.setenv(Env.IMAGES_BASE_URL, CDN)
    return fresh("handlers.stage_functions.notify")


def _processed(number: int, owner: str = "ann") -> dict:
    return {
        **PROCESSED,
        "image_id": f"i{number}",
        "owner": owner,
        "file_name": f"photo {number}.jpg",
        "source_key": f"uploads/{owner}/photo {number}.jpg",
        "thumbnail_key": f"images/thumbnail/i{number}-v1.jpg",
    }


def test_an_owners_outcomes_within_the_window_go_as_one_digest_with_a_row_each(digests, mail, context):
    records = [_processed(n) for n in range(1, 31)]
    digests.handler({"Records": [change(PENDING, record) for record in records]}, context)
    digests.handler({"Records": [change(PROCESSED, REJECTED_IN_REVIEW)]}, context)
    (sent,) = mail()
    assert sent.to == ["ann@example.com"]
    assert sent.subject == "imagepipe: news of 31 of your photos (30 ready, 1 rejected in review)"
    assert sent.body.startswith("Hello ann,\n\n31 of your photos have news:\n\n- photo 1.jpg is processed.")
    assert sent.body.count("\n- ") == 31
    for number in range(1, 31):
        assert f'<img src="{CDN}/images/thumbnail/i{number}-v1.jpg" alt="photo {number}.jpg"' in sent.html
    assert "Act on the reviewer&#x27;s note" in sent.html
    assert mail() == [sent]  # every other message of the digest finds it sent


def test_each_owner_gets_their_own_digest(digests, mail, context, aws):
    from handlers.stores.user_store import UserStore

    UserStore("users", aws.dynamodb).add("bob", "a long password", email="bob@users.example")
    records = [_processed(1), _processed(2), _processed(3, "bob"), _processed(4, "bob")]
    digests.handler({"Records": [change(PENDING, record) for record in records]}, context)
    sent = {tuple(mail.to): mail for mail in mail()}
    assert sorted(sent) == [("ann@example.com",), ("bob@users.example",)]
    assert "photo 3.jpg" in sent[("bob@users.example",)].body and "photo 1.jpg" not in sent[("bob@users.example",)].body


def test_an_upload_rejection_goes_at_once_and_says_what_to_do(digests, mail, context):
    rejected = {**REJECTED, "reason": "a PDF document, not a JPEG or PNG", "rejection_code": "unsupported-format"}
    digests.handler({"Records": [change(None, rejected), change(PENDING, _processed(1))]}, context)
    jobs = [json.loads(body) for body in mail.jobs()]
    assert [(job.get("digest") is None, len(job["notices"])) for job in jobs] == [(True, 1), (False, 0)]
    mail.aws.sqs.send_message(QueueUrl=mail.queue_url, MessageBody=json.dumps(jobs[0]))
    (sent,) = mail()
    assert sent.subject == "imagepipe: your upload was rejected"
    assert "What to do:</strong> Save or export it as a JPEG or PNG, and upload that." in sent.html
    assert sent.body.startswith(
        "Hello ann,\n\ncat.jpg was rejected and removed: a PDF document, not a JPEG or PNG. Save or export it"
    )


def test_a_single_notice_in_its_window_gets_its_own_mail(digests, mail, context):
    digests.handler({"Records": [change(AWAITING, PASSED)]}, context)
    (sent,) = mail()
    assert sent.subject == "imagepipe: your photo passed review"
    assert f'<a href="{CDN}/images/optimized/i1-v1.jpg">' in sent.html


def test_the_html_part_escapes_what_it_quotes_and_loads_nothing_but_the_cdns_thumbnail(digests, mail, context):
    hostile = {**_processed(1), "file_name": '<script>alert(1)</script>".jpg', "caption": "<img src=x onerror=y>"}
    digests.handler({"Records": [change(PENDING, hostile)]}, context)
    (sent,) = mail()
    assert "<script" not in sent.html and "<img src=x" not in sent.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;.jpg" in sent.html
    sources = [part.split('"', 1)[0] for part in sent.html.split('src="')[1:]]
    assert sources == [f"{CDN}/images/thumbnail/i1-v1.jpg"]


def _refusals_logged(caplog) -> list[tuple[str, str, str]]:
    return [
        (record.refusal, record.why, record.to)
        for record in caplog.records
        if record.getMessage() == "mail not sent: SES refused it"
    ]


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


def test_a_mail_ses_refuses_for_its_unverified_sender_is_logged_counted_and_not_retried(
    aws, notices, mail, context, monkeypatch, capsys, caplog
):
    monkeypatch.setenv(Env.SENDER_EMAIL, "unverified@example.com")  # moto's SES refuses it: MessageRejected
    fresh("handlers.stage_functions.notify").handler({"Records": [change(PENDING, PROCESSED)]}, context)
    capsys.readouterr()
    assert mail.deliver() == {"batchItemFailures": []}
    assert mail.sent == [] and len(notices()) == 1  # the notice is still published
    ((refusal, why, to),) = _refusals_logged(caplog)
    assert (refusal, to) == ("MessageRejected", "ann@example.com") and "not verified" in why
    flushed = _metrics_flushed(capsys.readouterr().out)
    assert flushed["NoticesMailRefused"] == 1 and "NoticesMailed" not in flushed


def _answering(mail, *errors: tuple[str, int, str]):
    """The mail stage's SES client answering its next SendEmail calls with these errors (code, HTTP
    status, message), as SES would, then as moto does; its waits recorded, not slept."""
    from botocore.stub import Stubber

    stage = mail.stage()
    waits: list[float] = []
    stage.stage.worker.mailer.sleep = waits.append
    stubber = Stubber(stage.stage.worker.mailer.ses)
    for code, status, message in errors:
        stubber.add_client_error(
            "send_email", service_error_code=code, service_message=message, http_status_code=status
        )
    stubber.activate()
    return stubber, waits


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("MessageRejected", "Email address is not verified. The following identities failed the check: a@b.co"),
        ("MessageRejected", "Address blacklisted."),
        ("MailFromDomainNotVerifiedException", "MAIL FROM domain is not verified"),
        ("AccountSendingPausedException", "Sending is paused for this account."),
        ("ConfigurationSetDoesNotExist", "Configuration set <imagepipe> does not exist."),
        ("ConfigurationSetSendingPausedException", "Sending is paused for this configuration set."),
    ],
)
def test_a_refused_mail_is_not_tried_again(aws, notices, mail, context, caplog, code, message):
    fresh("handlers.stage_functions.notify").handler({"Records": [change(PENDING, PROCESSED)]}, context)
    (job,) = mail.jobs()
    stubber, waits = _answering(mail, (code, 400, message))
    batch = mail.stage().handler
    assert batch(sqs_batch(job), context) == {"batchItemFailures": []}
    assert batch(sqs_batch(job), context) == {"batchItemFailures": []}  # redelivered: not sent again
    stubber.assert_no_pending_responses()
    assert [(refusal, why) for refusal, why, _ in _refusals_logged(caplog)] == [(code, message)]
    assert waits == []


def test_throttling_is_waited_out_with_growing_waits_and_the_mail_sent(aws, notices, mail, context):
    fresh("handlers.stage_functions.notify").handler({"Records": [change(PENDING, PROCESSED)]}, context)
    too_fast = ("Throttling", 400, "Maximum sending rate exceeded.")
    stubber, waits = _answering(mail, too_fast, too_fast, too_fast)
    stubber.add_response("send_email", {"MessageId": "m-1"})
    assert mail.deliver() == {"batchItemFailures": []}
    assert len(waits) == 3 and waits[0] <= 0.5 < waits[2] <= 2.0


@pytest.mark.parametrize(("code", "status"), [("ServiceUnavailable", 503), ("InternalFailure", 500)])
def test_ses_faults_fail_the_message_to_be_retried_and_the_retry_mails_it(
    aws, notices, mail, context, caplog, code, status
):
    fresh("handlers.stage_functions.notify").handler({"Records": [change(PENDING, PROCESSED)]}, context)
    (job,) = mail.jobs()
    stubber, _ = _answering(mail, (code, status, "try again"))
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    event = sqs_batch(job)
    with pytest.raises(BatchProcessingError):  # the whole batch failed: the queue delivers it again
        mail.stage().handler(event, context)
    stubber.deactivate()
    assert mail.stage().handler(event, context) == {"batchItemFailures": []}
    assert [sent.to for sent in mail.sent] == [["ann@example.com"]]


def test_the_refusals_are_the_errors_ses_documents_for_sendemail():
    import botocore.session

    from handlers.pipeline.mailer import MAIL_REFUSALS

    operation = botocore.session.get_session().get_service_model("ses").operation_model("SendEmail")
    documented = {shape.metadata["error"]["code"] for shape in operation.error_shapes}
    assert documented == MAIL_REFUSALS
    assert all(shape.metadata["error"]["senderFault"] for shape in operation.error_shapes)


def test_a_message_that_is_not_a_mail_job_fails_alone_and_the_others_are_sent(aws, notices, mail, context):
    fresh("handlers.stage_functions.notify").handler({"Records": [change(PENDING, PROCESSED)]}, context)
    event = sqs_batch("not json", json.dumps({"owner": "ann"}), *mail.jobs())
    failed = mail.stage().handler(event, context)
    assert [failure["itemIdentifier"] for failure in failed["batchItemFailures"]] == [
        record["messageId"] for record in event["Records"][:2]
    ]
    assert [sent.to for sent in mail.sent] == [["ann@example.com"]]


def test_without_a_sender_the_mail_function_fails_at_import(aws, mail, monkeypatch):
    from handlers.runtime.settings import SettingMissing

    monkeypatch.delenv(Env.SENDER_EMAIL)
    with pytest.raises(SettingMissing, match="SENDER_EMAIL is not set"):
        fresh("handlers.stage_functions.mail")
