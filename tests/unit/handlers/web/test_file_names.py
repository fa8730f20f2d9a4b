"""File names for upload keys (handlers.web.file_names): hostile names made safe or refused, and
hypothesis properties: whatever the name, the answer is safe, short, stable and a key's last part, and
the key S3's browser upload stores is the key the form was signed for, whatever the file is called."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.pipeline.uploads import Placement, placement_of
from handlers.web.file_names import MAX_BYTES, UnsafeFileName, numbered, safe_file_name, split_extension

DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
# Every code point (surrogates too: JSON can carry a lone one), and more of what hostile names use.
CHARACTERS = st.one_of(
    st.characters(exclude_categories=()),
    st.sampled_from(["/", "\\", ".", " ", "\x00", "\t", "\n", "\u202e", "\u200b", "\u00a0", ":", "*", "\u0301"]),
    st.sampled_from(["$", "{", "}", "\uff04", "\ufe69"]),  # the characters of S3's POST variable, and look-alikes
)
NAMES = st.one_of(
    st.text(CHARACTERS, max_size=300),
    # Names built around S3's POST variable, spelled whole, in parts, or hidden by what is removed.
    st.lists(
        st.sampled_from(["${filename}", "$", "{", "}", "filename", "cat", ".jpg", "/", "\x00", "\u200b", " ", "."]),
        max_size=12,
    ).map("".join),
    # Long names, cut near dots and spaces, in characters of 1 to 4 bytes.
    st.text(st.sampled_from("a. é写🌅\u0301"), min_size=60, max_size=400).map(lambda s: s + ".jpg"),
    # Device names, in any case, with or without more after them.
    st.tuples(st.sampled_from(sorted(DEVICES)), st.text(CHARACTERS, max_size=10)).map(
        lambda parts: (parts[0].lower() if len(parts[1]) % 2 else parts[0]) + parts[1]
    ),
)


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("cat.jpg", "cat.jpg"),
        ("../../x.jpg", "x.jpg"),
        ("..\\..\\windows\\x.jpg", "x.jpg"),
        ("C:\\Users\\ann\\Pictures\\beach.png", "beach.png"),
        ("bob/../cat.jpg", "cat.jpg"),
        ("\x00.png", "png"),  # no longer a .png: refused by the upload for its extension
        ("ca\x00t\x1b.jpg", "cat.jpg"),
        ("\u202egpj.exe", "gpj.exe"),  # a right-to-left override cannot disguise the extension
        ("zero\u200bwidth.jpg", "zerowidth.jpg"),
        ("  my \t holiday\n\u00a0photo  .JPG  ", "my holiday photo .JPG"),
        (".hidden.jpg", "hidden.jpg"),
        ("...jpg", "jpg"),
        ("cat.jpg...", "cat.jpg"),
        ('what<is>this:"|?*.png', "what_is_this_____.png"),
        ("CON.jpg", "_CON.jpg"),
        ("con.tar.jpg", "_con.tar.jpg"),
        ("LPT9 .png", "_LPT9 .png"),
        ("CONSOLE.jpg", "CONSOLE.jpg"),
        ("Strand bei Ærøskøbing 写真 🌅.jpeg", "Strand bei Ærøskøbing 写真 🌅.jpeg"),
        ("e\u0301te\u0301.jpg", "\u00e9t\u00e9.jpg"),  # NFC: one form for the same name
        ("${filename}.jpg", "__filename_.jpg"),  # S3's POST would put the part's file name there
        ("$\u200b{filename}.jpg", "__filename_.jpg"),  # the same once the zero-width space is gone
        ("${file/${filename}.jpg", "__filename_.jpg"),
        ("price $5 {draft}.png", "price _5 _draft_.png"),
    ],
)
def test_hostile_names_are_made_safe(given: str, safe: str) -> None:
    assert safe_file_name(given) == safe


@pytest.mark.parametrize(
    "given", ["", ".", "...", ". . .", "   ", "/", "a/", "../..", "\\", "\x00\x01", "\u200b", "\ud800"]
)
def test_names_with_nothing_left_are_refused(given: str) -> None:
    with pytest.raises(UnsafeFileName, match="nothing is left"):
        safe_file_name(given)


def test_a_long_name_is_cut_from_its_stem_keeping_the_extension() -> None:
    safe = safe_file_name("a" * 500 + ".jpeg")
    assert safe == "a" * (MAX_BYTES - 5) + ".jpeg"
    assert len(safe.encode()) == MAX_BYTES


def test_a_long_name_is_cut_at_a_whole_character() -> None:
    safe = safe_file_name("写" * 200 + ".png")  # 3 bytes each
    assert safe == "写" * ((MAX_BYTES - 4) // 3) + ".png"


def test_a_long_name_without_an_extension_is_cut_from_its_end() -> None:
    assert safe_file_name("b" * 300) == "b" * MAX_BYTES


def test_the_extension_is_the_part_after_the_last_dot() -> None:
    assert split_extension("a.tar.gz") == ("a.tar", "gz")
    assert split_extension("a") == ("a", None)
    assert split_extension("a.") == ("a.", None)
    assert split_extension("a." + "x" * 17) == ("a." + "x" * 17, None)


def test_numbered_names_count_from_two() -> None:
    assert [numbered("cat.jpg", n) for n in (1, 2, 10)] == ["cat.jpg", "cat (2).jpg", "cat (10).jpg"]
    assert numbered("README", 3) == "README (3)"


def test_a_numbered_long_name_stays_within_the_limit() -> None:
    name = safe_file_name("a" * 500 + ".png")
    assert numbered(name, 12) == "a" * (MAX_BYTES - len(" (12).png")) + " (12).png"


@given(NAMES)
def test_whatever_the_name_the_answer_is_safe_or_a_refusal(given: str) -> None:
    try:
        name = safe_file_name(given)
    except UnsafeFileName:
        return
    assert name and len(name.encode("utf-8")) <= MAX_BYTES  # encodes: no lone surrogates
    assert not any(c in name for c in '/\\<>:"|?*${}')
    assert not any(unicodedata.category(c) in DROPPED for c in name)
    assert all(c == " " or not c.isspace() for c in name) and "  " not in name
    assert name[0] not in ". " and name[-1] not in ". "
    assert name.split(".", 1)[0].rstrip(" ").upper() not in DEVICES
    assert unicodedata.is_normalized("NFC", name)
    assert placement_of(f"uploads/alice/{name}") == Placement("alice", name)
    assert safe_file_name(name) == name  # stable: a safe name is its own safe name


@given(NAMES, st.sampled_from(["jpg", "jpeg", "JPG", "png"]))
def test_a_name_ending_in_a_word_and_an_extension_keeps_the_extension(given: str, extension: str) -> None:
    assert safe_file_name(f"{given}x.{extension}").endswith(f".{extension}")


@given(st.text(st.sampled_from("./\\ \t\n\x00\x7f\u200b\u202e\u2028\ufeff")))
def test_names_of_nothing_but_dots_separators_spaces_and_controls_are_refused(given: str) -> None:
    with pytest.raises(UnsafeFileName):
        safe_file_name(given)


@given(NAMES, st.integers(min_value=2, max_value=10_000))
def test_a_numbered_safe_name_is_safe_and_new(given: str, number: int) -> None:
    try:
        name = safe_file_name(given)
    except UnsafeFileName:
        return
    series = numbered(name, number)
    assert safe_file_name(series) == series and len(series.encode()) <= MAX_BYTES
    assert series != name and series.endswith(f" ({number})" + name[len(split_extension(name)[0]) :])


def stored_key(form_key: str, part_file_name: str) -> str:
    """The key S3's POST Object stores a form's file under: the form's `key` field with each
    `${filename}` replaced by the file name the multipart part carries (the policy has matched the
    field as written before that)."""
    return form_key.replace("${filename}", part_file_name)


@given(NAMES, st.text(CHARACTERS, max_size=40).filter(lambda part: part != "${filename}"))
def test_whatever_the_name_s3_stores_the_upload_at_the_signed_key(given: str, part_file_name: str) -> None:
    try:
        name = safe_file_name(given)
    except UnsafeFileName:
        return
    signed = f"uploads/alice/{name}"
    assert stored_key(signed, part_file_name) == signed
    assert not any(c in name for c in "${}")
