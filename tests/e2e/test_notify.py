"""Notices in the deployed stack: each upload's outcome reaches the notifications topic once, with
attributes a subscription can filter on, and its owner's mailbox when the stack has an address for
them, the processed one linking both variants on the CDN. Every subscription here filters on the
test's own owner (or, for the shared mail owner, is read by the test's own image); mail is read by
the test's own file name."""

from __future__ import annotations

import re
import secrets
import urllib.parse
import urllib.request
import uuid

import pytest
import requests

from handlers.contract import PROCESSED, REJECTED
from handlers.stores.user_store import UserStore
from harness.notice_tap import UnverifiedMail, sent_mail
from harness.polling import wait_until
from harness.samples import pdf_document, photo_jpeg
from tests.e2e.uploading import MAIL_ADDRESS, MAIL_OWNER
from tests.e2e.web_users import TIMEOUT

NOTIFICATIONS = "notifications_topic_arn"


def test_each_outcome_is_announced_once_to_the_owners_subscription(tap, upload):
    received = tap(NOTIFICATIONS, {"owner": [upload.owner]})
    good = upload("sunset.jpg", photo_jpeg(640, 480, seed=21), "image/jpeg")
    bad = upload("invoice.jpg", pdf_document())
    assert (good["status"], bad["status"]) == (PROCESSED, REJECTED)

    notices = wait_until(lambda: len(received()) >= 2 and received(), what="two notices")
    by_file = {body["file_name"]: (body, attributes) for body, attributes in notices}
    processed, attributes = by_file["sunset.jpg"]
    assert attributes == {"status": PROCESSED, "owner": upload.owner}
    assert processed["thumbnail_key"] == good["thumbnail_key"] and processed["image_id"] == good["image_id"]
    rejected, attributes = by_file["invoice.jpg"]
    assert attributes == {"status": REJECTED, "owner": upload.owner}
    assert rejected["text"] == f"invoice.jpg was rejected and removed: {bad['reason']}."
    assert len(received()) == 2  # nothing announced twice (a further second of waiting)


def test_a_subscription_can_ask_for_rejections_only(tap, upload):
    received = tap(NOTIFICATIONS, {"owner": [upload.owner], "status": [REJECTED]})
    upload("fine.jpg", photo_jpeg(320, 240, seed=22), "image/jpeg")
    upload("empty.jpg", b"")
    (notice,) = wait_until(lambda: received() or None, what="the rejection notice")
    assert notice[0]["file_name"] == "empty.jpg" and notice[1]["status"] == REJECTED
    assert len(received()) == 1


def test_an_owner_with_an_address_gets_the_outcome_by_mail(upload, mailbox):
    name = f"mail-{uuid.uuid4().hex[:8]}.jpg"
    record = upload(name, pdf_document(), owner=MAIL_OWNER)
    assert record["status"] == REJECTED
    (mail,) = wait_until(lambda: mailbox(MAIL_ADDRESS, about=name), what="the rejection mail")
    assert mail["Source"] == "imagepipe@example.com"
    assert mail["Subject"] == "imagepipe: your upload was rejected"
    assert mail["Body"]["text_part"].startswith(f"Hello mail-e2e,\n\n{name} was rejected and removed: a PDF document")


def test_the_ready_mail_links_both_variants_and_its_optimized_link_fetches_the_image_from_the_cdn(
    stack, upload, tap, mailbox
):
    received = tap(NOTIFICATIONS, {"owner": [MAIL_OWNER], "status": [PROCESSED]})
    name = f"ready-{uuid.uuid4().hex[:8]}.jpg"
    record = upload(name, photo_jpeg(640, 480, seed=23), "image/jpeg", owner=MAIL_OWNER)
    assert record["status"] == PROCESSED
    # Its own mail, or a digest of the shared owner's mails in the same window, a line for it.
    (mail,) = wait_until(lambda: mailbox(MAIL_ADDRESS, about=name), what="the ready mail")
    text = mail["Body"]["text_part"]
    (line,) = [line for line in text.splitlines() if f"{name} is processed." in line]
    links = dict(re.findall(r"(Optimized image|Thumbnail): (\S+?)\.(?:\s|$)", line))
    cdn = stack.outputs["cdn_url"]
    assert links == {
        "Optimized image": f"{cdn}/{record['optimized_key']}",
        "Thumbnail": f"{cdn}/{record['thumbnail_key']}",
    }, text
    for label, key in (("Optimized image", "optimized_key"), ("Thumbnail", "thumbnail_key")):
        fetched = requests.get(links[label], timeout=TIMEOUT)
        assert fetched.status_code == 200, f"{links[label]}: {fetched.status_code}"
        assert fetched.headers["Content-Type"].startswith("image/")
        assert fetched.content == stack.read(record[key])

    (notice,) = wait_until(
        lambda: [body for body, _ in received() if body["image_id"] == record["image_id"]], what="the processed notice"
    )
    assert (notice["link"], notice["thumbnail_link"]) == (links["Optimized image"], links["Thumbnail"])
    assert (notice["optimized_key"], notice["thumbnail_key"]) == (record["optimized_key"], record["thumbnail_key"])
    assert notice["text"] in text
    assert f'<img src="{links["Thumbnail"]}" alt="{name}"' in mail["Body"]["html_part"]


def test_a_desks_uploads_come_in_digests_not_a_mail_each_with_a_thumbnail_per_photo(stack, upload, web_user, mailbox):
    """Four photos of one owner, processed within seconds, come in fewer mails than photos: the
    stack's digest windows (5 seconds here, counted from the epoch) hold the photos processed in
    them, so these come in one digest, or two when a window closes among them. Each photo is in
    one mail, a row with its thumbnail from the CDN, which serves it."""
    address = f"{upload.owner}@desk.example"
    web_user(upload.owner, email=address)
    names = [f"desk-{n}-{uuid.uuid4().hex[:6]}.jpg" for n in range(4)]
    puts = [upload.put(name, photo_jpeg(320, 240, seed=60 + n), "image/jpeg") for n, name in enumerate(names)]
    records = [upload.outcome(put) for put in puts]
    assert {record["status"] for record in records} == {PROCESSED}

    def mails() -> list[dict] | None:
        found = {m["Id"]: m for name in names for m in mailbox(address, about=name)}
        mailed = " ".join(m["Body"]["text_part"] for m in found.values())
        return list(found.values()) if all(name in mailed for name in names) else None

    mailed = wait_until(mails, what="every photo's mail")
    assert len(mailed) < len(names)
    for name, record in zip(names, records, strict=True):
        (mail,) = [m for m in mailed if name in m["Body"]["text_part"]]
        thumbnail = f"{stack.outputs['cdn_url']}/{record['thumbnail_key']}"
        assert f'<img src="{thumbnail}" alt="{name}"' in mail["Body"]["html_part"]
        assert requests.get(thumbnail, timeout=TIMEOUT).status_code == 200
    for mail in mailed:
        rows = sum(name in mail["Body"]["text_part"] for name in names)
        if rows > 1:
            assert mail["Subject"] == f"imagepipe: news of {rows} of your photos ({rows} ready)"
        assert "<script" not in mail["Body"]["html_part"]


def test_in_the_ses_sandbox_a_mail_to_an_address_not_verified_fails_the_mail_check(stack, upload, tap):
    """The emulator's SES mails anyone; AWS's sandbox would have refused this one, and the mail
    check (harness/notice_tap.py, which every `mailbox` read runs) says so, naming the address."""
    if not stack.outputs.get("ses_sandbox"):
        pytest.skip("the stack's SES is out of the sandbox (imagepipe:sesSandbox false)")
    endpoint, address = stack.outputs["endpoint_url"], f"{upload.owner}@unverified.example"
    users = UserStore(stack.outputs["users_table"], stack.target.client("dynamodb"))
    users.add(upload.owner, secrets.token_urlsafe(16), email=address)  # not verified, unlike web_user's
    mailed: list[dict] = []
    try:
        received = tap(NOTIFICATIONS, {"owner": [upload.owner]})
        upload("empty.jpg", b"")
        wait_until(lambda: received() or None, what="the rejection notice")
        mailed = wait_until(
            lambda: [m for m in sent_mail(endpoint) or [] if address in m["Destination"]["ToAddresses"]],
            what="the emulator's mail to the unverified address",
        )
        with pytest.raises(UnverifiedMail, match=f"not verified: {re.escape(address)}"):
            sent_mail(endpoint, stack.target)
    finally:
        users.remove(upload.owner)
        for message in mailed:  # gone, so other tests' mail checks see only their own
            url = f"{endpoint}/_aws/ses?{urllib.parse.urlencode({'id': message['Id']})}"
            with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10):
                pass
