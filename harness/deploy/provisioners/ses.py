"""SES: e-mail address identities (the emulator verifies them at once; AWS mails a link)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.deploy.inputs import Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner
from harness.deployed.stack_state import ResourceRecord


@dataclass(frozen=True)
class EmailIdentitySpec:
    """An e-mail address identity: the address."""

    email: str


class EmailIdentity(Provisioner[EmailIdentitySpec]):
    type_token = "aws:ses/emailIdentity:EmailIdentity"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> EmailIdentitySpec:
        return EmailIdentitySpec(inputs.take("email"))

    def apply(self, ctx: Context, spec: EmailIdentitySpec, previous: ResourceRecord | None) -> Applied:
        email = spec.email
        if previous is not None and previous.id != email:
            self.delete(ctx, previous)
        ctx.client("ses").verify_email_identity(EmailAddress=email)
        return Applied(email, {"email": email, "arn": ctx.arn("ses", f"identity/{email}")})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ctx.client("ses").delete_identity(Identity=record.id)
