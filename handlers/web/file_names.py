"""File names for upload keys: what a browser says a file is called, made safe to be the last part of
`uploads/<owner>/<file name>` and to be shown, mailed and saved again on any system.

`safe_file_name` keeps a readable Unicode name and removes what could do harm:

- directories: only what follows the last `/` or `\\` stays (`../../x.jpg` is `x.jpg`);
- any run of whitespace (tabs, newlines, no-break and ideographic spaces) becomes one space;
- control and format characters (NUL, bidirectional overrides, zero-width ones), surrogates, private
  use and unassigned code points go;
- the characters Windows cannot have in a name (`<>:"|?*`) become `_`, and so do `$`, `{` and `}`:
  S3's browser upload (POST Object) replaces `${filename}` in the form's `key` with the file name the
  multipart part carries, after the policy has matched the key as written, so a name holding it would
  be stored under a key the client picks; without those three characters the key S3 stores is the
  key the form was signed for, whatever the part is called;
- leading dots and spaces go (no hidden files, no `..`), and trailing ones (Windows drops them);
- a Windows device name (`CON`, `NUL`, `COM1`, ... before the first dot) gets a leading `_`;
- the result is NFC-normalised and at most `MAX_BYTES` bytes of UTF-8, cut from the end of the stem
  so the extension stays.

What is left may not be empty (`UnsafeFileName`). The function is idempotent: a safe name is its own
safe name.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

MAX_BYTES: Final = 255
"""The longest name, in bytes of UTF-8 (most file systems' limit; S3 keys may have 1024)."""
MAX_EXTENSION: Final = 16
"""A longer "extension" is part of the name, not an extension."""

_SEPARATORS: Final = re.compile(r"[/\\]")
_WHITESPACE: Final = re.compile(r"\s+")
# Control, format, surrogate, private-use and unassigned code points; line and paragraph separators.
_DROPPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_WINDOWS_RESERVED: Final = '<>:"|?*'
_S3_POST_VARIABLE: Final = "${}"  # `${filename}` in a POST form's key is the multipart part's name
_REPLACED: Final = str.maketrans(dict.fromkeys(_WINDOWS_RESERVED + _S3_POST_VARIABLE, "_"))
_WINDOWS_DEVICES: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
)
_EDGES: Final = ". "  # stripped from both ends


class UnsafeFileName(ValueError):
    """Nothing usable is left of a file name; the message says so."""


def safe_file_name(given: str) -> str:
    """`given` made safe to be an upload key's last part (see the module's description);
    `UnsafeFileName` when nothing is left of it."""
    name = _WHITESPACE.sub(" ", given)
    name = "".join(c for c in name if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    name = _SEPARATORS.split(name)[-1]
    name = name.translate(_REPLACED)
    name = unicodedata.normalize("NFC", _WHITESPACE.sub(" ", name)).strip(_EDGES)
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        name = f"_{name}"
    name = _capped(name)
    if not name:
        raise UnsafeFileName("nothing is left of the name once directories, control characters and dots are removed")
    return name


def split_extension(name: str) -> tuple[str, str | None]:
    """`(stem, extension)` of a name, the extension without its dot; None when the name has none (no
    dot, nothing before or after it, or more than `MAX_EXTENSION` characters after it)."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not extension or len(extension) > MAX_EXTENSION:
        return name, None
    return stem, extension


def numbered(name: str, number: int) -> str:
    """The `number`th name of a series: `cat.jpg`, `cat (2).jpg`, `cat (3).jpg`, ... (within
    `MAX_BYTES`, the stem cut to make room)."""
    if number < 2:
        return name
    stem, extension = split_extension(name)
    suffix = f" ({number})" + (f".{extension}" if extension is not None else "")
    room = MAX_BYTES - len(suffix.encode())
    return _cut(stem, room) + suffix


def _capped(name: str) -> str:
    """`name` within `MAX_BYTES` of UTF-8, cut from the end of the stem so the extension stays."""
    if len(name.encode()) <= MAX_BYTES:
        return name
    stem, extension = split_extension(name)
    if extension is None:
        return _cut(name, MAX_BYTES)
    return _cut(stem, MAX_BYTES - len(extension.encode()) - 1) + "." + extension


def _cut(text: str, limit: int) -> str:
    """The longest start of `text` of at most `limit` bytes of UTF-8 (whole characters), without
    trailing dots or spaces."""
    return text.encode()[:limit].decode(errors="ignore").rstrip(_EDGES)
