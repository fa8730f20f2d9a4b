"""`make demo`: push sample uploads through the deployed pipeline and show what became of each."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any, cast

from handlers.contract import PROCESSED, TERMINAL, Record
from handlers.pipeline.uploads import image_id_for
from handlers.stores.image_record import ImageRecord, VariantFields, listed_variants, timestamp
from handlers.stores.image_store import ImageStore
from harness import commands
from harness.aws import AwsTarget
from harness.emulator import Paths
from harness.format_demo import show_formats
from harness.mail_demo import show_alert_mail, show_mail
from harness.notice_tap import NoticeTap, sent_mail
from harness.polling import TimedOut, wait_until
from harness.samples import CREDITED_SAMPLE, Sample, demo_samples

DEMO_OWNER = "demo"
VERDICTS = 2  # the commands pass one image and reject another


class DemoFailed(RuntimeError):
    """A sample did not reach the state it must reach."""


def upload_and_wait(
    target: AwsTarget, bucket: str, table: str, key: str, data: bytes, content_type: str, timeout: float = 60.0
) -> tuple[ImageRecord | None, float]:
    """Upload `data` to `key` and wait for its record to reach a terminal state; (record, seconds)."""
    s3, records = target.client("s3"), ImageStore(table, target.client("dynamodb"))
    since = timestamp()
    started = time.monotonic()
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
    image_id = image_id_for(key)

    def outcome() -> ImageRecord | None:
        record = records.get(image_id)
        return record if record and record[Record.CREATED_AT] >= since and record[Record.STATUS] in TERMINAL else None

    try:
        record = wait_until(outcome, timeout=timeout, what=f"a terminal state of {key}")
    except TimedOut:
        record = None
    return record, time.monotonic() - started


def run_demo(outputs: dict[str, Any], say: Callable[[str], None]) -> None:
    target = AwsTarget(outputs["endpoint_url"], outputs["region"])
    bucket, table = outputs["images_bucket"], outputs["images_table"]
    samples = demo_samples()
    say(f"\nuploading {len(samples)} files to s3://{bucket}/uploads/{DEMO_OWNER}/ …\n")
    mismatches, names = [], {}  # names: the file name of each image the demo uploaded, by id
    mail_before = sent_mail(outputs["endpoint_url"])
    with NoticeTap(target, outputs["notifications_topic_arn"], {"owner": [DEMO_OWNER]}) as tap:
        for sample in samples:
            record, seconds = upload_and_wait(
                target, bucket, table, f"uploads/{DEMO_OWNER}/{sample.name}", sample.data, sample.content_type
            )
            if record is not None:
                names[record["image_id"]] = sample.name
            say(_describe(sample, record, seconds, names))
            if record is None or record["status"] != sample.expected:
                mismatches.append(sample.name)
        notices = _notices(tap, len(samples))
        say(f"\nnotices on the notifications topic ({len(notices)} of {len(samples)} uploads):")
        for message, _ in notices:
            say(f"  [{message['status']}] {message['text']}")
        if mismatches:
            raise DemoFailed(f"these samples did not reach the state they should: {', '.join(mismatches)}")
        if len(notices) != len(samples):
            raise DemoFailed(f"{len(notices)} notices were published for {len(samples)} uploads, not one each")
        credited = ImageStore(table, target.client("dynamodb")).get(
            image_id_for(f"uploads/{DEMO_OWNER}/{CREDITED_SAMPLE}")
        )
        if credited is not None and (wrong := show_formats(outputs["cdn_url"], credited, say)):
            raise DemoFailed("; ".join(wrong))
        run_commands(outputs, tap, say)
    if mail_before is not None:  # the demo's owner has an address: every notice is mailed
        show_mail(outputs["endpoint_url"], len(mail_before), len(samples) + VERDICTS, say)
        show_alert_mail(outputs["endpoint_url"], target.client("sns"), outputs["alerts_topic_arn"], say)
    say(_look_further(outputs))


def run_commands(outputs: dict[str, Any], tap: NoticeTap, say: Callable[[str], None]) -> None:
    """Edit one sample's caption, date and photographer, pass one and reject another through the
    events topic, publish one malformed command, and show what became of each."""
    target = AwsTarget(outputs["endpoint_url"], outputs["region"])
    sns, sqs = target.client("sns"), target.client("sqs")
    records = ImageStore(outputs["images_table"], target.client("dynamodb"))
    topic = outputs["events_topic_arn"]
    beach, chart = f"uploads/{DEMO_OWNER}/beach walk.jpg", f"uploads/{DEMO_OWNER}/chart.png"
    before = len(tap.received())
    say(f"\npublishing commands to {topic} …")
    edits = [
        (beach, Record.CAPTION, commands.metadata(beach, "Caption", "Dunes at low tide")),
        (beach, Record.DATE, commands.metadata(beach, "Date", "2024-06-01")),
        (beach, Record.PHOTOGRAPHER, commands.metadata(beach, "Photographer", "Ann Lee")),
        (beach, Record.REVIEW_STATUS, commands.review(beach, "Pass")),
        (chart, Record.REVIEW_STATUS, commands.review(chart, "Reject", "the axis labels are cut off")),
    ]
    for key, field, command in edits:
        started = time.monotonic()
        command.publish(sns, topic)
        wanted = command.body.get("value") or commands.verdict_status(command)
        record = _wait_for(records, key, field, wanted)
        seconds = time.monotonic() - started
        shown = f"{field} = {record.get(field)!r}" if record else f"{field} not changed after {seconds:.0f} s"
        say(f"  {'✓' if record else '✗'} {key.rsplit('/', 1)[-1]:16} {shown} in {seconds:.1f} s")
        if record is None:
            raise DemoFailed(f"the {field} of {key} did not change")
    bad = commands.metadata(beach, "Colour", "sepia")
    bad_id = bad.publish(sns, topic)
    rejections = wait_until(
        lambda: commands.parked(sqs, outputs["command_rejections_url"], {bad_id}),
        timeout=30,
        what="the malformed command in the command rejections queue",
    )
    for rejection in rejections:
        say(f"  ✓ parked as invalid ({rejection['kind']}): {rejection['reason']}")
    verdicts = _notices(tap, before + 2)[before:]
    say(f"\nverdict notices ({len(verdicts)}):")
    for message, _ in verdicts:
        say(f"  [{message.get('verdict')}] {message['text']}")
    if len(verdicts) != VERDICTS:
        raise DemoFailed(f"{len(verdicts)} verdict notices were published for {VERDICTS} verdicts, not one each")


def _wait_for(records: ImageStore, key: str, field: str, value: Any, timeout: float = 30.0) -> ImageRecord | None:
    """The record of `key` once its `field` is `value`, or None after `timeout` seconds."""
    try:
        return cast(
            "ImageRecord",
            wait_until(
                lambda: (record := records.get(image_id_for(key))) and record.get(field) == value and record,
                timeout=timeout,
                what=f"the {field} of {key}",
            ),
        )
    except TimedOut:
        return None


def _notices(tap: NoticeTap, expected: int, timeout: float = 15.0) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """What the tap received once `expected` notices are in (or `timeout` has passed), and a second
    more, so a duplicate would show."""
    with contextlib.suppress(TimedOut):  # each call waits up to 1 s for new notices: no pause between
        wait_until(lambda: len(tap.received()) >= expected, timeout=timeout, interval=0, what="the notices")
    return tap.received()


def _describe(sample: Sample, record: ImageRecord | None, seconds: float, names: dict[str, str]) -> str:
    mark = "✓" if record is not None and record[Record.STATUS] == sample.expected else "✗"
    head = f"{mark} {sample.name:28} "
    if record is None:
        return f"{head}no terminal state after {seconds:.0f} s (expected {sample.expected})"
    lines = [f"{head}{record[Record.STATUS]:9} in {seconds:4.1f} s   {sample.description}"]
    if record[Record.STATUS] == PROCESSED:
        lines.extend(f"{'':31}{line}" for line in _variant_lines(listed_variants(record)))
        taken, review = record.get(Record.DATE, "not in the photo"), record.get(Record.REVIEW_STATUS)
        lines.append(f"{'':31}photographer {record.get(Record.PHOTOGRAPHER)}, taken {taken}, review {review}")
        if duplicate_of := record.get(Record.DUPLICATE_OF):
            looks_like = names.get(duplicate_of, "an earlier upload")
            lines.append(f"{'':31}looks like {looks_like} (duplicate_of {duplicate_of})")
        if record.get(Record.COPYRIGHT) or record.get(Record.CAPTION):
            keywords = ", ".join(record.get(Record.KEYWORDS) or []) or "none"
            lines.append(
                f"{'':31}caption {record.get(Record.CAPTION)!r} (read from the photo's XMP), keywords {keywords}"
            )
            lines.append(f"{'':31}copyright {record.get(Record.COPYRIGHT)}")
    else:
        lines.append(f"{'':31}reason: {record.get(Record.REASON)}")
    return "\n".join(lines)


def _variant_lines(variants: list[VariantFields]) -> list[str]:
    """A line per variant and size: its formats and their bytes, and its key with the extension open."""
    sizes: dict[tuple[str, int, int], list[VariantFields]] = {}
    for variant in variants:
        sizes.setdefault((variant["name"], variant["width"], variant["height"]), []).append(variant)
    lines = []
    for (name, width, height), formats in sizes.items():
        encoded = ", ".join(f"{v['format']} {v['bytes'] / 1024:.1f} KB" for v in formats)
        stem = formats[0]["key"].rsplit(".", 1)[0]
        lines.append(f"{name:9} {width:>4}×{height:<4} {encoded:42} {stem}.*")
    return lines


def _look_further(outputs: dict[str, Any]) -> str:
    endpoint, bucket, table = outputs["endpoint_url"], outputs["images_bucket"], outputs["images_table"]
    logs = Paths.default().root / "logs" / "lambda"
    return f"""
Look further (the stack stays up until `make down`):
  python -m harness outputs                                   names and URLs of the stack, as JSON
  python -m harness status                                    queues, parked work, alarms, functions' errors
  python -m harness redrive STAGE                             move a stage's parked messages back (--dry-run)
  aws --endpoint-url {endpoint} s3 ls s3://{bucket}/images/ --recursive
  aws --endpoint-url {endpoint} dynamodb scan --table-name {table}
  function logs: {logs}/<function>.log   (also CloudWatch Logs /aws/lambda/<function>)
  notices: subscribe a queue or an e-mail address to {outputs["notifications_topic_arn"]}
  alarms:  aws --endpoint-url {endpoint} cloudwatch describe-alarms
           (state changes go to {outputs["alerts_topic_arn"]})
  upload your own: aws --endpoint-url {endpoint} s3 cp photo.jpg s3://{bucket}/uploads/<owner>/photo.jpg
  (any S3 client works; credentials: test/test, region {outputs["region"]})"""
