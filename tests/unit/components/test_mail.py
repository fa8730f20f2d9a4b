"""Mail in the program: the SES sandbox setting (`imagepipe:sesSandbox`), where the owners'
addresses (`imagepipe:ownerEmails`) are kept (items of the users table, not the function's
environment, which Lambda limits to 4 KB in all), and the mail stage: who may do what, its digest
window (`imagepipe:mailDigestSeconds`) and sending rate (`imagepipe:mailRate`)."""

from __future__ import annotations

import json

import pytest

from components.config import ConfigError, StackConfig
from handlers.contract import UsersTable
from tests.unit.components.conftest import Recorded, run_program

FUNCTION = "aws:lambda/function:Function"
IDENTITY = "aws:ses/emailIdentity:EmailIdentity"
ITEM = "aws:dynamodb/tableItem:TableItem"
SENDER = "imagepipe@example.com"
LAMBDA_ENVIRONMENT_LIMIT = 4096  # bytes: every variable's name and value together


def _sending(program: Recorded) -> dict:
    document = json.loads(program.one("aws:iam/rolePolicy:RolePolicy", "notify-mail-policy")["policy"])
    (statement,) = [s for s in document["Statement"] if s["Action"] == ["ses:SendEmail"]]
    return statement


def _owner_items(program: Recorded) -> dict[str, str]:
    items = [json.loads(inputs["item"]) for inputs in program.of_type(ITEM).values()]
    return {item[UsersTable.KEY]["S"]: item[UsersTable.EMAIL]["S"] for item in items}


def test_new_accounts_are_in_the_sandbox_by_default():
    assert StackConfig(name_prefix="imagepipe-dev").ses_sandbox is True


@pytest.mark.parametrize("value", ["maybe", "1", "on"])
def test_a_sandbox_setting_that_is_not_true_or_false_stops_the_program_naming_it(value):
    with pytest.raises(ConfigError, match=f"imagepipe:sesSandbox: must be true or false .*not '{value}'"):
        run_program({"imagepipe:sesSandbox": value})


def test_in_the_sandbox_the_owners_addresses_are_verified_and_recipients_authorized(program):
    identities = {inputs["email"] for inputs in program.of_type(IDENTITY).values()}
    assert identities == {SENDER, "demo@example.com", "mail-e2e@example.com"}
    sending = _sending(program)
    assert sending["Resource"] == "arn:aws:ses:us-east-1:000000000000:identity/*"
    assert sending["Condition"] == {"StringEquals": {"ses:FromAddress": SENDER}}
    assert program.outputs["ses_sandbox"] is True


def test_out_of_the_sandbox_only_the_sender_is_an_identity_and_the_function_sends_as_it_alone():
    program = run_program({"imagepipe:sesSandbox": "false"})
    assert [inputs["email"] for inputs in program.of_type(IDENTITY).values()] == [SENDER]
    assert _sending(program)["Resource"] == f"arn:aws:ses:us-east-1:000000000000:identity/{SENDER}"
    assert _owner_items(program) == {"owner#demo": "demo@example.com", "owner#mail-e2e": "mail-e2e@example.com"}
    assert program.outputs["ses_sandbox"] is False


def test_an_address_two_owners_share_is_verified_once_and_the_sender_is_not_a_recipient():
    owners = {"ann": "photos@example.com", "bob": "photos@example.com", "desk": SENDER}
    program = run_program({"imagepipe:ownerEmails": json.dumps(owners)})
    identities = sorted(inputs["email"] for inputs in program.of_type(IDENTITY).values())
    assert identities == sorted(["photos@example.com", SENDER])
    assert _owner_items(program) == {f"owner#{owner}": address for owner, address in owners.items()}


def test_every_functions_environment_stays_well_under_lambdas_limit_with_five_hundred_owners():
    owners = {f"photographer-{n:03d}": f"photographer-{n:03d}@studio.example.com" for n in range(500)}
    program = run_program({"imagepipe:ownerEmails": json.dumps(owners), "imagepipe:sesSandbox": "false"})
    assert len(_owner_items(program)) == 500
    for name, function in program.of_type(FUNCTION).items():
        variables = function["environment"]["variables"]
        size = sum(len(key.encode()) + len(str(value).encode()) for key, value in variables.items())
        assert size < LAMBDA_ENVIRONMENT_LIMIT / 4, (name, size)
        assert not any("photographer-" in str(value) for value in variables.values()), name


def test_listing_owners_without_a_users_table_to_keep_them_in_is_refused():
    from components.notify import NotifyArgs

    with pytest.raises(ValueError, match="owners listed in owner_emails needs a sender_email and a users_table"):
        NotifyArgs("notify", "notifications", wiring=None, sender_email=SENDER, owner_emails={"ann": "a@b.co"})  # type: ignore[arg-type]


POLICY = "aws:iam/rolePolicy:RolePolicy"


def _statements(program: Recorded, policy: str) -> dict[str, list]:
    """A role policy's resources by action."""
    by_action: dict[str, list] = {}
    for statement in json.loads(program.one(POLICY, policy)["policy"])["Statement"]:
        resources = statement["Resource"]
        for action in statement["Action"]:
            by_action.setdefault(action, []).extend([resources] if isinstance(resources, str) else resources)
    return by_action


def test_notify_posts_mail_and_only_the_mail_stage_sends_it(program):
    notify, mail = _statements(program, "notify-policy"), _statements(program, "notify-mail-policy")
    assert "ses:SendEmail" not in notify and "ses:SendEmail" in mail
    queue = program.one("aws:sqs/queue:Queue", "notify-mail-queue")
    assert f"arn:aws:sqs:us-east-1:000000000000:{queue['name']}" in notify["sqs:SendMessage"]
    outbox = "arn:aws:dynamodb:us-east-1:000000000000:imagepipe-local-notify-mail-outbox"
    assert outbox in notify["dynamodb:PutItem"]  # besides the idempotency table
    assert mail["dynamodb:Query"] == mail["dynamodb:BatchWriteItem"] == [outbox]
    assert outbox in mail["dynamodb:PutItem"]  # the digest marked sent


def _mail_environment(program: Recorded) -> dict[str, str]:
    return program.one(FUNCTION, "notify-mail")["environment"]["variables"]


def test_the_stacks_digest_window_and_its_sending_rate_shared_by_the_mail_functions_invocations(program):
    notify = program.one(FUNCTION, "notify")["environment"]["variables"]
    assert notify["MAIL_DIGEST_SECONDS"] == "5"  # Pulumi.local.yaml's
    assert _mail_environment(program)["MAIL_RATE"] == "0.5"  # the sandbox's 1 a second, for 2 at most
    (mapping,) = [
        inputs
        for inputs in program.of_type("aws:lambda/eventSourceMapping:EventSourceMapping").values()
        if "mail" in str(inputs.get("eventSourceArn"))
    ]
    assert mapping["scalingConfig"] == {"maximumConcurrency": 2}


def test_out_of_the_sandbox_the_rate_is_14_a_second_unless_set():
    assert _mail_environment(run_program({"imagepipe:sesSandbox": "false"}))["MAIL_RATE"] == "7.0"
    assert _mail_environment(run_program({"imagepipe:mailRate": "50"}))["MAIL_RATE"] == "25.0"


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("mailDigestSeconds", "-1", "must be 0 to 895 seconds"),
        ("mailDigestSeconds", "900", "must be 0 to 895 seconds"),
        ("mailRate", "0", "must be a number of mails a second above 0"),
    ],
)
def test_a_wrong_mail_setting_stops_the_program_naming_it(key, value, said):
    with pytest.raises(ConfigError, match=f"imagepipe:{key}: {said}"):
        run_program({f"imagepipe:{key}": value})


def test_without_a_sender_there_is_no_mail_stage():
    program = run_program(without={"imagepipe:senderEmail", "imagepipe:ownerEmails"})
    assert "notify-mail" not in {name for _, name in program.resources}
    assert "MAIL_QUEUE_URL" not in program.one(FUNCTION, "notify")["environment"]["variables"]
