"""Notify: the notifications topic, and the function that publishes to it each upload's outcome
(processed, rejected, failed) and each verdict as the image records' stream reports them, and
posts them to the mail stage (components/mail.py) for the owner when the stack knows the owner's
address."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.function import StageFunction, StageFunctionArgs, StreamSource
from components.iam import Statement
from components.mail import MailStage, MailStageArgs
from components.stage_queue import FOURTEEN_DAYS
from components.wiring import PipelineWiring
from handlers.contract import Env, UsersTable


@dataclass(frozen=True)
class NotifyArgs:
    """The function's and the topic's names; the records table's stream comes with the wiring.
    With a `sender_email` (verified as an SES identity here), the owners get each notice by mail
    too: a user of the web tier at the address they gave (`users_table`), any other owner listed
    in `owner_emails` at that address (kept as items of `users_table`, which it then needs).
    `ses_sandbox`: the account's SES mails verified addresses only (see Notify)."""

    function_name: str
    topic_name: str
    wiring: PipelineWiring
    sender_email: str | None = None
    owner_emails: Mapping[str, str] = field(default_factory=dict)
    images_base_url: pulumi.Input[str] | None = None  # where the variants are served (the CDN): the links
    users_table: aws.dynamodb.Table | None = None  # the web tier's users: mail goes to the address they gave
    ses_sandbox: bool = True
    digest_seconds: int = 60  # an owner's mails within it go as one (0: each at once)
    sending_rate: float = 1.0  # mails a second at most

    def __post_init__(self) -> None:
        if self.owner_emails and not (self.sender_email and self.users_table is not None):
            raise ValueError("mailing the owners listed in owner_emails needs a sender_email and a users_table")


class Notify(pulumi.ComponentResource):
    """Subscribers of `topic` (mail, queues, …) get one message per upload outcome, with `status`
    and `owner` message attributes to filter on. Changes the function could not publish after its
    retries are described in the `failures` queue.

    Mail: the owners' addresses the stack lists are items of the users table (`owner#<owner>`,
    handlers/stores/addresses.py), one per owner, so their number is not bounded by the function's
    environment (4 KB in all). Outside the SES sandbox the function may send as the sender's
    identity only. In the sandbox SES also authorizes, and delivers to, each recipient's identity:
    the stack then verifies every listed owner's address (SES mails each a link to confirm), and the
    function may send, still only from the sender's address, to any identity of the account (a web
    user's address becomes one when an operator verifies it); a mail to an address not verified is
    refused by SES, and the function logs and counts it (handlers/stage_functions/notify.py)."""

    topic: aws.sns.Topic
    sender: aws.ses.EmailIdentity | None
    recipients: list[aws.ses.EmailIdentity]
    owner_addresses: list[aws.dynamodb.TableItem]
    mail: MailStage | None
    failures: aws.sqs.Queue
    function: StageFunction

    def __init__(self, name: str, args: NotifyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:stages:Notify", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        wiring = args.wiring

        self.topic = aws.sns.Topic(f"{name}-topic", name=args.topic_name, opts=child)
        self.failures = aws.sqs.Queue(
            f"{name}-failures",
            name=f"{args.function_name}-failures",
            message_retention_seconds=FOURTEEN_DAYS,
            opts=child,
        )
        statements = [Statement(["sns:Publish"], [self.topic.arn]), wiring.idempotency_statement()]
        environment = {**wiring.environment("notify"), Env.NOTIFICATIONS_TOPIC_ARN: self.topic.arn}
        if args.images_base_url is not None:
            environment[Env.IMAGES_BASE_URL] = args.images_base_url
        self.sender, self.recipients, self.owner_addresses, self.mail = None, [], [], None
        if args.sender_email:
            mail = _owner_mail(name, args, args.sender_email, child)
            self.sender, self.recipients, self.owner_addresses = mail.sender, mail.recipients, mail.owner_addresses
            self.mail = _mail_stage(name, args, args.sender_email, mail.sending, child)
            statements += [*mail.statements, *self.mail.poster_statements()]
            environment.update({**mail.environment, **self.mail.poster_environment()})
        self.function = StageFunction(
            name,
            StageFunctionArgs(
                function_name=args.function_name,
                handler="handlers.stage_functions.notify.handler",
                settings=wiring.lambda_settings,
                source=StreamSource(stream_arn=wiring.images_table.stream_arn, failure_queue_arn=self.failures.arn),
                statements=statements,
                environment=environment,
                memory_size=256,
                timeout_seconds=30,
            ),
            opts=child,
        )
        self.topic_arn = self.topic.arn
        self.failures_url = self.failures.url
        self.failures_queue_name = self.failures.name
        self.function_name = self.function.function_name
        self.mail_function_name = self.mail.function_name if self.mail else None
        self.register_outputs(
            {"topic_arn": self.topic_arn, "failures_url": self.failures_url, "function_name": self.function_name}
        )


@dataclass(frozen=True)
class _OwnerMail:
    """What mailing the owners declares (the sender's identity, the listed owners' addresses as
    items of the users table, the recipients' identities in the SES sandbox), what the mail stage
    may send as (`sending`), and what the notify function needs to find the owners' addresses
    (its statements and environment variables)."""

    sender: aws.ses.EmailIdentity
    owner_addresses: list[aws.dynamodb.TableItem]
    recipients: list[aws.ses.EmailIdentity]
    sending: list[Statement]
    statements: list[Statement]
    environment: dict[str, pulumi.Input[str]]


def _owner_mail(name: str, args: NotifyArgs, sender_email: str, opts: pulumi.ResourceOptions) -> _OwnerMail:
    """The sender's identity, then the owners' addresses (with a users table), then, in the SES
    sandbox, the identities of the listed addresses other than the sender's (Notify says why)."""
    sender = aws.ses.EmailIdentity(f"{name}-sender", email=sender_email, opts=opts)
    # In the sandbox SES authorizes the recipients' identities too: any of the account's.
    sending_as = sender.arn.apply(_every_identity) if args.ses_sandbox else sender.arn
    sending = [
        Statement(["ses:SendEmail"], [sending_as], conditions={"StringEquals": {"ses:FromAddress": sender_email}})
    ]
    statements: list[Statement] = []
    environment: dict[str, pulumi.Input[str]] = {}
    owner_addresses: list[aws.dynamodb.TableItem] = []
    if args.users_table is not None:
        statements.append(Statement(["dynamodb:GetItem"], [args.users_table.arn]))
        environment[Env.USERS_TABLE] = args.users_table.name
        owner_addresses = [
            _owner_address(f"{name}-owner-{_slug(owner)}", args.users_table, owner, address, opts)
            for owner, address in sorted(args.owner_emails.items())
        ]
    recipients = (
        [
            aws.ses.EmailIdentity(f"{name}-recipient-{_slug(address)}", email=address, opts=opts)
            for address in sorted(set(args.owner_emails.values()) - {sender_email})
        ]
        if args.ses_sandbox
        else []
    )
    return _OwnerMail(sender, owner_addresses, recipients, sending, statements, environment)


def _mail_stage(
    name: str, args: NotifyArgs, sender_email: str, sending: list[Statement], opts: pulumi.ResourceOptions
) -> MailStage:
    """The function mailing what notify posts, with its queue and its digests' outbox."""
    return MailStage(
        f"{name}-mail",
        MailStageArgs(
            function_name=f"{args.function_name}-mail",
            outbox_table_name=f"{args.function_name}-mail-outbox",
            wiring=args.wiring,
            sender_email=sender_email,
            sending=sending,
            sending_rate=args.sending_rate,
            digest_seconds=args.digest_seconds,
        ),
        opts=opts,
    )


def _owner_address(
    name: str, table: aws.dynamodb.Table, owner: str, address: str, opts: pulumi.ResourceOptions
) -> aws.dynamodb.TableItem:
    """The users table's item holding the stack's `address` for `owner` (handlers/stores/addresses.py)."""
    item = {UsersTable.KEY: {"S": f"{UsersTable.OWNER_ADDRESS}{owner}"}, UsersTable.EMAIL: {"S": address}}
    return aws.dynamodb.TableItem(
        name, table_name=table.name, hash_key=UsersTable.KEY, item=json.dumps(item, sort_keys=True), opts=opts
    )


def _every_identity(identity_arn: str) -> str:
    """`arn:aws:ses:<region>:<account>:identity/*`, from one identity's ARN in that account and region."""
    return f"{identity_arn.rsplit('/', 1)[0]}/*"


def _slug(text: str) -> str:
    """A resource name's part for `text`: readable, and unique by a digest of the whole."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:40]
    return f"{readable}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"
