"""What an image's text metadata may hold, wherever it comes from: a command or the API (refused
when it breaks a rule, with the reason), or the photo's own XMP, IPTC and EXIF at ingest (cut to
length, or left out when unusable: a photo is never refused for its metadata)."""

from __future__ import annotations

from typing import Final

from handlers.contract import Record

# The longest each text field may be, in characters.
MAX_LENGTH: Final = {Record.CAPTION: 2000, Record.PHOTOGRAPHER: 200, Record.COPYRIGHT: 500}
MAX_KEYWORD: Final = 64
MAX_KEYWORDS: Final = 50
MULTILINE: Final = (Record.CAPTION,)


def has_lone_surrogates(text: str) -> bool:
    """Whether `text` holds a lone UTF-16 surrogate (JSON can escape one, `"\\ud800"`): it cannot be
    encoded, so it can be neither stored nor shown."""
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def has_control_characters(text: str, allow_newlines: bool) -> bool:
    allowed = {"\n", "\t"} if allow_newlines else set()
    return any((ord(c) < 32 and c not in allowed) or 127 <= ord(c) < 160 for c in text)


def usable_text(field: str, raw: str | None) -> str | None:
    """`raw` as `field` may keep it: stripped and cut to its length; None when empty, or holding
    control characters (line breaks allowed in a caption) or lone surrogates."""
    if raw is None:
        return None
    text = raw.strip()[: MAX_LENGTH[field]].strip()
    if not text or has_control_characters(text, field in MULTILINE) or has_lone_surrogates(text):
        return None
    return text


def usable_keywords(raw: list[str]) -> list[str]:
    """Keywords as a record keeps them: each usable, at most `MAX_KEYWORD` characters (longer ones
    left out), no repeats (case kept as first given), at most `MAX_KEYWORDS`."""
    kept: list[str] = []
    seen: set[str] = set()
    for word in raw:
        text = word.strip()
        if not text or len(text) > MAX_KEYWORD or has_control_characters(text, False) or has_lone_surrogates(text):
            continue
        if text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return kept[:MAX_KEYWORDS]
