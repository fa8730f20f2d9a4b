"""The demo's mail: how many notices a mail carries, and what it says the alert addresses got."""

from __future__ import annotations

from typing import Any

import pytest

from harness import mail_demo


def test_a_digest_carries_its_count_and_any_other_mail_one():
    assert mail_demo.rows({"Subject": "imagepipe: news of 3 of your photos (3 ready)"}) == 3
    assert mail_demo.rows({"Subject": "imagepipe: your upload was rejected"}) == 1


class Topic:
    def list_subscriptions_by_topic(self, TopicArn: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        return {
            "Subscriptions": [
                {"Protocol": "email", "Endpoint": "ops@example.com"},
                {"Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:0:tap"},
            ]
        }


def test_the_alert_addresses_mail_is_said_alarm_by_alarm_or_none(monkeypatch: pytest.MonkeyPatch):
    said: list[str] = []
    monkeypatch.setattr(mail_demo, "alarm_mail", lambda endpoint, address: [])
    mail_demo.show_alert_mail("http://emulator", Topic(), "arn:alerts", said.append)
    assert said == [
        "  alert mail to ops@example.com: none (the deploy mailed nothing; an alarm mails when it fires and when "
        "it recovers)"
    ]
    fired = [{"AlarmName": "enhance-dlq-parked", "OldStateValue": "OK", "NewStateValue": "ALARM"}]
    monkeypatch.setattr(mail_demo, "alarm_mail", lambda endpoint, address: fired)
    said.clear()
    mail_demo.show_alert_mail("http://emulator", Topic(), "arn:alerts", said.append)
    assert said == ["  alert mail to ops@example.com: enhance-dlq-parked OK → ALARM"]
