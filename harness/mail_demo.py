"""`make demo`'s mail: waits for the mails the demo's notices make (an owner's within the stack's
digest window come as one digest), lists them, writes the newest digest's HTML part to a file to
open in a browser, and says what the alert addresses were mailed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.notice_tap import alarm_mail, sent_mail
from harness.polling import TimedOut, wait_until

DIGEST_SUBJECT = re.compile(r"news of (\d+) of your photos")
MAIL_FILE = Path(__file__).resolve().parents[1] / "build" / "demo" / "digest.html"


def rows(mail: dict[str, Any]) -> int:
    """How many notices a mail carries: a digest's count, else one."""
    found = DIGEST_SUBJECT.search(mail.get("Subject") or "")
    return int(found.group(1)) if found else 1


def show_mail(endpoint_url: str, before: int, notices: int, say: Callable[[str], None], timeout: float = 45) -> None:
    """Wait until the mails sent since the emulator kept `before` carry `notices` notices, then say
    what went to whom and where to see them."""

    def sent() -> list[dict[str, Any]] | None:
        mail = (sent_mail(endpoint_url) or [])[before:]
        return mail if sum(rows(m) for m in mail) >= notices else None

    try:
        mail = wait_until(sent, timeout=timeout, what="the demo's mail")
    except TimedOut:
        mail = (sent_mail(endpoint_url) or [])[before:]
    carried = sum(rows(m) for m in mail)
    say(f"\nmail: {len(mail)} mails carrying {carried} of {notices} notices (digests within the stack's window):")
    for message in mail:
        say(f"  to {', '.join(message['Destination']['ToAddresses'])}: {message['Subject']}")
    digests = [m for m in mail if rows(m) > 1 and m["Body"].get("html_part")]
    if digests:
        MAIL_FILE.parent.mkdir(parents=True, exist_ok=True)
        MAIL_FILE.write_text(digests[-1]["Body"]["html_part"])
        say(f"  the newest digest's HTML part (thumbnails from the CDN): {MAIL_FILE}")
    say(f"  every mail, both parts: GET {endpoint_url}/_aws/ses")


def show_alert_mail(endpoint_url: str, sns: Any, alerts_topic_arn: str, say: Callable[[str], None]) -> None:
    """Say what the alert addresses (the alerts topic's e-mail subscriptions) were mailed: nothing
    for a deploy, a mail when an alarm fires and one when it recovers."""
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=alerts_topic_arn)["Subscriptions"]
    for address in sorted({s["Endpoint"] for s in subscriptions if s["Protocol"] == "email"}):
        alarms = alarm_mail(endpoint_url, address) or []
        changes = ", ".join(f"{a['AlarmName']} {a['OldStateValue']} → {a['NewStateValue']}" for a in alarms)
        quiet = "none (the deploy mailed nothing; an alarm mails when it fires and when it recovers)"
        say(f"  alert mail to {address}: {changes or quiet}")
