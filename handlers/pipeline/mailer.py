"""Sending one mail through SES, from the stack's verified sender, under the account's sending rate.

Each send waits its turn (`Pacer`: the function's share of the rate) and, when SES still answers
that the rate is exceeded (`Throttling`), backs off and tries again for as long as the invocation
has time (`Backoff`); then the error goes up and the mail's message is retried by its queue.
A mail SES will never send (MAIL_REFUSALS) is `MailRefused`, and not retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from handlers.pipeline.pacing import Backoff, Pacer

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient

    from handlers.pipeline.mail_content import Mail

# What SES answers a mail it will not send (the errors SendEmail documents, all the sender's fault):
# an unverified sender, or recipient while the account is in the SES sandbox, an address SES keeps
# off its lists, a MAIL FROM domain without its MX record, a configuration set missing or paused,
# sending paused for the account. Sent again, the same mail is refused again: it is not retried.
# Throttling and SES's own faults (5xx) are not refusals: retried.
MAIL_REFUSALS: Final = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetSendingPausedException",
        "AccountSendingPausedException",
    }
)
# What SES answers a sender over its rate ("Maximum sending rate exceeded."): wait, then try again.
THROTTLING: Final = frozenset({"Throttling", "ThrottlingException"})
CHARSET = "UTF-8"


class MailRefused(Exception):
    """SES refused to send one mail (`code`, one of MAIL_REFUSALS, and SES's `message` saying why)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Mailer:
    """Sends mails as `sender`, at most `pacer.rate` a second, backing off while SES says too fast."""

    def __init__(self, ses: SESClient, sender: str, pacer: Pacer, sleep: Callable[[float], None] | None = None) -> None:
        self.ses = ses
        self.sender = sender
        self.pacer = pacer
        self.sleep = sleep or pacer.sleep

    def send(self, mail: Mail, to: str, seconds_left: Callable[[], float]) -> str:
        """Mail `mail` to `to`; the SES message id. MailRefused when SES will not send it; a
        throttling error when SES still says too fast once `seconds_left()` allows no more waiting;
        any other error as it came."""
        waits = Backoff(seconds_left, self.sleep).waits()
        while True:
            self.pacer.wait()
            try:
                return self._send_once(mail, to)
            except self.ses.exceptions.ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in MAIL_REFUSALS:
                    raise MailRefused(code, error.response["Error"].get("Message", "")) from error
                if code not in THROTTLING or next(waits, None) is None:
                    raise

    def _send_once(self, mail: Mail, to: str) -> str:
        response = self.ses.send_email(
            Source=self.sender,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": mail.subject, "Charset": CHARSET},
                "Body": {
                    "Text": {"Data": mail.text, "Charset": CHARSET},
                    "Html": {"Data": mail.html, "Charset": CHARSET},
                },
            },
        )
        return response["MessageId"]
