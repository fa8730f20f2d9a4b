"""Which notices go out by mail at once and which wait for a digest, and the mail queue's messages.

A desk that drops 300 photos gets one mail, not 300. The notify stage posts each notice it mails
(`Postman.post`):

- at once, as a message of the mail queue carrying it, when the stack has no digest window
  (`imagepipe:mailDigestSeconds: 0`) or the notice is an upload's rejection (the uploader should
  know now that the file was refused, and what to do);
- else into the mail outbox, under its owner's current window (windows of the setting's length,
  counted from the epoch), with a message naming that digest, delayed until the window has closed
  (and GRACE_SECONDS more, for writes in flight). Every notice sends one: the first of them to
  arrive sends the digest, the others find it sent (the mail stage is idempotent on what it mails)
  or nothing left to send.

The mail stage (handlers/stage_functions/mail.py) turns a message into one mail to the owner
(`MailJob`): its notices, or the digest's, a row per photo (handlers/pipeline/mail_content.py).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from handlers.contract import REJECTED
from handlers.pipeline.notices import OUTCOME, Notice

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from handlers.stores.mail_outbox import MailOutbox

GRACE_SECONDS: Final = 5
MAX_DELAY_SECONDS: Final = 900  # SQS delays a message at most 15 minutes
MAX_DIGEST_SECONDS: Final = MAX_DELAY_SECONDS - GRACE_SECONDS


class BadMailJob(ValueError):
    """A message of the mail queue that is not a mail job."""


@dataclass(frozen=True)
class MailJob:
    """One mail to an owner: the `notices` it carries, or the outbox's `digest` whose notices it
    sends (then `to` is the address the newest of them was posted for)."""

    owner: str
    to: str | None = None
    notices: tuple[Notice, ...] = ()
    digest: str | None = None

    def body(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_body(cls, body: str) -> MailJob:
        try:
            fields: dict[str, Any] = json.loads(body)
            notices = tuple(Notice(**notice) for notice in fields.pop("notices", ()))
            job = cls(**fields, notices=notices)
        except (ValueError, TypeError) as error:
            raise BadMailJob(f"not a mail job: {body[:200]!r} ({error})") from error
        if not job.owner or (job.digest is None) == (not job.notices):
            raise BadMailJob(f"a mail job has an owner and either notices or a digest, not {body[:200]!r}")
        return job


def sends_at_once(notice: Notice, digest_seconds: int) -> bool:
    """Whether `notice` is mailed at once rather than in its owner's digest."""
    return digest_seconds <= 0 or (notice.kind == OUTCOME and notice.status == REJECTED)


def window_start(now: float, digest_seconds: int) -> int:
    """The start (epoch seconds) of the window `now` falls in."""
    return int(now // digest_seconds) * digest_seconds


def digest_delay(now: float, digest_seconds: int) -> int:
    """How long a digest's message waits: until its window closes, and GRACE_SECONDS more."""
    closes = window_start(now, digest_seconds) + digest_seconds
    return min(MAX_DELAY_SECONDS, max(0, math.ceil(closes - now) + GRACE_SECONDS))


class Postman:
    """Posts the notices the notify stage mails: to the mail queue at once, or into the outbox for
    their owner's digest (see the module's docstring)."""

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        outbox: MailOutbox | None,
        digest_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if digest_seconds > 0 and outbox is None:
            raise ValueError("mail digests need an outbox table")
        self.sqs = sqs
        self.queue_url = queue_url
        self.outbox = outbox
        self.digest_seconds = digest_seconds
        self.clock = clock

    def post(self, notice: Notice, to: str) -> str:
        """Post `notice` for `to`; the mail queue's message id."""
        owner = notice.owner or ""
        if self.outbox is None or sends_at_once(notice, self.digest_seconds):
            return self._send(MailJob(owner, to, notices=(notice,)), delay=0)
        now = self.clock()
        digest = f"{owner}#{window_start(now, self.digest_seconds)}"
        self.outbox.put(digest, notice, to, posted_at=now)
        return self._send(MailJob(owner, digest=digest), delay=digest_delay(now, self.digest_seconds))

    def _send(self, job: MailJob, delay: int) -> str:
        response = self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=job.body(), DelaySeconds=delay)
        return response["MessageId"]
