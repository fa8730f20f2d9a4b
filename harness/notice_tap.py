"""What the stack tells people, seen from outside it: a tap on the notifications topic (a queue of
our own subscribed to it, raw, with a filter policy, removed again when done), and the mail the
emulator's SES kept, held to the SES sandbox's rule when the stack says its account is in it.

The emulator's SES sends to any address. AWS's, in the sandbox (`imagepipe:sesSandbox`, a new
account's state), refuses a mail unless its sender and every recipient are verified identities of
the account: the address itself, or its domain. `sent_mail(..., sandbox=target)` checks every mail
the emulator sent against the identities verified at `target` and raises UnverifiedMail naming each
one AWS would have refused, so a test reading mail fails where AWS would have sent none.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Collection, Iterator
from email.utils import parseaddr
from types import TracebackType
from typing import Any

from harness.aws import AwsTarget


class SubscribedQueue:
    """A queue of our own subscribed to a topic with the given subscription `attributes` (filter
    policy, scope, raw delivery), for as long as the `with` block lasts: both go again on leaving."""

    def __init__(self, target: AwsTarget, topic_arn: str, attributes: dict[str, str], name: str = "tap") -> None:
        self.sqs, self.sns = target.client("sqs"), target.client("sns")
        self.topic_arn, self.attributes, self.name = topic_arn, attributes, name
        self.queue_url: str | None = None
        self.subscription: str | None = None

    def __enter__(self) -> SubscribedQueue:
        name = f"imagepipe-{self.name}-{uuid.uuid4().hex[:10]}"
        self.queue_url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]
        self.subscription = self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=arn["QueueArn"],
            Attributes=self.attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.subscription:
            self.sns.unsubscribe(SubscriptionArn=self.subscription)
        if self.queue_url:
            self.sqs.delete_queue(QueueUrl=self.queue_url)


class NoticeTap:
    """`with NoticeTap(target, topic_arn, {"owner": ["alice"]}) as tap: … tap.received()` (without
    a filter policy, it sees every message of the topic)."""

    def __init__(self, target: AwsTarget, topic_arn: str, filter_policy: dict[str, Any] | None = None) -> None:
        attributes = {"RawMessageDelivery": "true"}
        if filter_policy:
            attributes["FilterPolicy"] = json.dumps(filter_policy)
        self._queue = SubscribedQueue(target, topic_arn, attributes)
        self.sqs = self._queue.sqs
        self.notices: list[tuple[dict[str, Any], dict[str, str]]] = []
        self._queue_url: str | None = None

    def __enter__(self) -> NoticeTap:
        self._queue_url = self._queue.__enter__().queue_url
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._queue.__exit__(kind, error, trace)

    def received(self, wait_seconds: int = 1) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Every notice that has arrived so far, as (message, attributes), oldest first; waits up to
        `wait_seconds` for new ones."""
        if self._queue_url is None:
            raise RuntimeError("a NoticeTap reads only inside its `with` block")
        response = self.sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=wait_seconds,
        )
        for message in response.get("Messages", []):
            attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
            self.notices.append((json.loads(message["Body"]), attributes))
            self.sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return list(self.notices)


class UnverifiedMail(AssertionError):
    """Mail the emulator sent that SES in its sandbox would have refused (MessageRejected)."""


def sent_mail(endpoint_url: str, sandbox: AwsTarget | None = None) -> list[dict[str, Any]] | None:
    """Every mail LocalStack's SES has sent (it delivers none, and keeps them at `/_aws/ses`), oldest
    first; None where the endpoint keeps no such list (AWS, another emulator). With `sandbox` (the
    stack's target, when its SES is in the sandbox), UnverifiedMail if any of them went from or to
    an address not verified there."""
    try:
        with urllib.request.urlopen(f"{endpoint_url}/_aws/ses", timeout=10) as response:
            mail = list(json.load(response)["messages"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if sandbox is not None and (refused := sandbox_refusals(mail, verified_identities(sandbox))):
        raise UnverifiedMail(
            "SES in its sandbox would have refused this mail (imagepipe:sesSandbox is on; verify the "
            "addresses, or leave the sandbox):\n" + "\n".join(refused)
        )
    return mail


def alarm_mail(endpoint_url: str, address: str, sandbox: AwsTarget | None = None) -> list[dict[str, Any]] | None:
    """The alarm notifications the emulator mailed to `address` through an SNS e-mail subscription
    (it hands those to its SES, the notification's JSON as the text), oldest first, each parsed, with
    the mail's `Id` as `MailId`; None where the endpoint keeps no mail. `sandbox` as for sent_mail."""
    mail = sent_mail(endpoint_url, sandbox)
    if mail is None:
        return None
    notifications = []
    for message in mail:
        if address not in _recipients(message):
            continue
        try:
            body = json.loads((message.get("Body") or {}).get("text_part") or "")
        except ValueError:
            continue
        if isinstance(body, dict) and "NewStateValue" in body and "AlarmName" in body:
            notifications.append({**body, "MailId": message.get("Id")})
    return notifications


def sandbox_refusals(mail: list[dict[str, Any]], verified: Collection[str]) -> list[str]:
    """What SES in its sandbox would answer each of `mail` (messages as LocalStack keeps them) that
    it would refuse: the message, and the addresses that are neither a verified identity in
    `verified` (addresses and domains) nor at a verified domain."""
    known = {identity.lower() for identity in verified}
    refused = []
    for message in mail:
        unverified = sorted({a for a in _addresses(message) if a not in known and a.rpartition("@")[2] not in known})
        if unverified:
            to = ", ".join(_recipients(message))
            refused.append(
                f"  mail {message.get('Id')} from {message.get('Source')} to {to} "
                f"({message.get('Subject')!r}): not verified: {', '.join(unverified)}"
            )
    return refused


def verified_identities(target: AwsTarget) -> set[str]:
    """The identities (e-mail addresses and domains) whose verification succeeded at `target`."""
    ses = target.client("ses")
    identities = [i for page in ses.get_paginator("list_identities").paginate() for i in page["Identities"]]
    verified: set[str] = set()
    for start in range(0, len(identities), 100):  # GetIdentityVerificationAttributes takes 100 at a time
        answer = ses.get_identity_verification_attributes(Identities=identities[start : start + 100])
        verified.update(i for i, a in answer["VerificationAttributes"].items() if a["VerificationStatus"] == "Success")
    return verified


def _recipients(message: dict[str, Any]) -> Iterator[str]:
    destination = message.get("Destination") or {}
    for field in ("ToAddresses", "CcAddresses", "BccAddresses"):
        yield from destination.get(field) or []


def _addresses(message: dict[str, Any]) -> set[str]:
    """The mail's sender and recipients, bare and lower case ("Ann <ann@x.org>" is ann@x.org)."""
    named = [message.get("Source") or "", *_recipients(message)]
    return {parseaddr(address)[1].lower() for address in named if address}
