"""What a mail to an owner says: a plain-text part and an HTML part, for one notice or for a digest of
several (one owner's outcomes and verdicts within the mail window; handlers/pipeline/mail_digest.py).

The HTML part shows each photo's thumbnail, file name and caption, what happened and why, what to do
next when something needs doing, and the links. It loads nothing but the thumbnail, and only from the
stack's own CDN (a notice's `thumbnail_link` when it is a URL: `image_link` joins it to the stack's
images URL); it has no script and no remote style. Every text from a notice is escaped. The
plain-text part says the same, for mail readers that show only text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from handlers.contract import FAILED, PASSED, PROCESSED, REJECTED
from handlers.pipeline.notices import REVIEW, Notice

# What an uploader does about each kind of rejection (a notice's `rejection_code`).
NEXT_STEPS: Final = {
    "bad-key": "Upload it again under uploads/<your name>/<file name>.",
    "empty": "The file was empty: upload the photo again.",
    "unsupported-format": "Save or export it as a JPEG or PNG, and upload that.",
    "too-large": "Export it smaller, or at a lower JPEG quality, and upload it again.",
    "too-many-pixels": "Resize it to fewer pixels, and upload it again.",
    "truncated": "The file was cut short: upload the whole file again.",
    "corrupt": "Open it in a photo editor, save it again as a JPEG or PNG, and upload that.",
}
NEXT_AFTER_REJECTION: Final = "Upload it again as a JPEG or PNG photo."
NEXT_AFTER_FAILURE: Final = "Upload it again; if it fails again, tell the stack's operator (image {image_id})."
NEXT_AFTER_REVIEW: Final = "Act on the reviewer's note, and upload a new version of the photo."
# What a digest's subject calls each kind of row.
HEADLINES: Final = {
    PROCESSED: "ready",
    REJECTED: "rejected and removed",
    FAILED: "not processed",
    f"{REVIEW}:{PASSED}": "passed review",
    f"{REVIEW}:{REJECTED}": "rejected in review",
}
THUMBNAIL_EDGE = 120  # px: the thumbnail's box in the HTML part
SIGN_OFF = "imagepipe"


@dataclass(frozen=True)
class Mail:
    """One mail: its subject and its two parts."""

    subject: str
    text: str
    html: str


def next_step(notice: Notice) -> str | None:
    """What the owner can do about what the notice says, when something needs doing."""
    if notice.kind == REVIEW:
        return NEXT_AFTER_REVIEW if notice.verdict == REJECTED else None
    if notice.status == REJECTED:
        return NEXT_STEPS.get(notice.rejection_code or "", NEXT_AFTER_REJECTION)
    if notice.status == FAILED:
        return NEXT_AFTER_FAILURE.format(image_id=notice.image_id)
    return None


def notice_mail(notice: Notice) -> Mail:
    """The mail of one notice."""
    text = f"Hello {notice.owner},\n\n{_text_of(notice)}\n\n({SIGN_OFF}, about your upload {notice.source_key})\n"
    html = _page(notice.subject, f"<p>Hello {escape(notice.owner or '')},</p>{_table([notice])}")
    return Mail(notice.subject, text, html)


def digest_mail(owner: str, notices: Sequence[Notice]) -> Mail:
    """One mail for `notices` of one owner (a single notice gets its own mail), a row per photo."""
    if len(notices) == 1:
        return notice_mail(notices[0])
    subject = f"{SIGN_OFF}: news of {len(notices)} of your photos ({_counts(notices)})"
    rows = "\n".join(f"- {_text_of(notice)}" for notice in notices)
    text = f"Hello {owner},\n\n{len(notices)} of your photos have news:\n\n{rows}\n\n({SIGN_OFF})\n"
    intro = f"<p>Hello {escape(owner)},</p><p>{len(notices)} of your photos have news:</p>"
    return Mail(subject, text, _page(subject, intro + _table(notices)))


def _counts(notices: Sequence[Notice]) -> str:
    """ "2 ready, 1 rejected in review": how many rows of each kind, most first."""
    counted = Counter(_headline(notice) for notice in notices)
    return ", ".join(f"{count} {headline}" for headline, count in counted.most_common())


def outcome_line(notice: Notice) -> str:
    """What happened to the photo, and why, in one sentence without its links (the HTML part links
    them): "Rejected in review: the horizon is tilted."."""
    headline = _headline(notice).capitalize()
    if notice.kind == REVIEW and notice.verdict == PASSED:
        return f"{headline}. The reviewer's note: {notice.reason.rstrip('.')}." if notice.reason else f"{headline}."
    if notice.reason:
        return f"{headline}: {notice.reason.rstrip('.')}."
    return f"{headline}."


def _headline(notice: Notice) -> str:
    return HEADLINES[f"{REVIEW}:{notice.verdict}" if notice.kind == REVIEW else notice.status]


def _text_of(notice: Notice) -> str:
    step = next_step(notice)
    return f"{notice.text} {step}" if step else notice.text


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family: sans-serif; color: #222;">'
        f'{body}<p style="color: #666;">{SIGN_OFF}</p></body></html>'
    )


def _table(notices: Sequence[Notice]) -> str:
    rows = "".join(_row(notice) for notice in notices)
    return f'<table role="presentation" cellpadding="8" style="border-collapse: collapse;">{rows}</table>'


def _row(notice: Notice) -> str:
    cells = [f'<td style="width: {THUMBNAIL_EDGE}px; vertical-align: top;">{_thumbnail(notice)}</td>']
    said = [f"<strong>{escape(notice.file_name)}</strong>"]
    if notice.caption:
        said.append(f"<em>{escape(notice.caption)}</em>")
    said.append(escape(outcome_line(notice)))
    if step := next_step(notice):
        said.append(f"<strong>What to do:</strong> {escape(step)}")
    said += _links(notice)
    cells.append(f'<td style="vertical-align: top;">{"<br>".join(said)}</td>')
    return f'<tr style="border-bottom: 1px solid #ddd;">{"".join(cells)}</tr>'


def _thumbnail(notice: Notice) -> str:
    """The thumbnail from the stack's CDN; nothing when the stack serves no URL or there is none."""
    link = notice.thumbnail_link
    if not link or not link.startswith(("https://", "http://")):
        return ""
    return (
        f'<img src="{escape(link)}" alt="{escape(notice.file_name)}" '
        f'style="max-width: {THUMBNAIL_EDGE}px; max-height: {THUMBNAIL_EDGE}px;">'
    )


def _links(notice: Notice) -> list[str]:
    link = notice.link
    if not link or not link.startswith(("https://", "http://")):
        return []
    return [f'<a href="{escape(link)}">Open the optimized image</a>']
