"""SES: e-mail address identities (the emulator verifies them at once; AWS mails a link)."""

from __future__ import annotations

from harness.deploy.inputs import Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner
from harness.deployed.stack_state import ResourceRecord


class EmailIdentity(Provisioner):
    type_token = "aws:ses/emailIdentity:EmailIdentity"

    def apply(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        email = inputs.take("email")
        inputs.check_all_taken()
        if previous is not None and previous.id != email:
            self.delete(ctx, previous)
        ctx.client("ses").verify_email_identity(EmailAddress=email)
        return Applied(email, {"email": email, "arn": ctx.arn("ses", f"identity/{email}")})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("ses").delete_identity(Identity=record.id)
