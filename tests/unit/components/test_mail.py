"""Mail in the program: the SES sandbox setting (`imagepipe:sesSandbox`), and where the owners'
addresses (`imagepipe:ownerEmails`) are kept: items of the users table, not the function's
environment, which Lambda limits to 4 KB in all."""

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
    document = json.loads(program.one("aws:iam/rolePolicy:RolePolicy", "notify-policy")["policy"])
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
