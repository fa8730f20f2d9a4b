"""The fingerprint holds to intent: resized, recompressed, lightly brightened or darkened copies of a
picture match it; other photos and graphics do not; a lookup by band misses no match."""

from __future__ import annotations

import functools
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageEnhance

from handlers.imaging import Outputs, render
from handlers.imaging.fingerprint import BANDS, MATCH_BITS, bands, distance, fingerprint, matches
from harness import samples


@functools.cache
def _photo(seed: int) -> Image.Image:
    return Image.open(io.BytesIO(samples.photo_jpeg(640, 480, seed=seed))).convert("RGB")


@functools.cache
def _graphic(seed: int) -> Image.Image:
    return Image.open(io.BytesIO(samples.graphic_png(640, 480, seed=seed))).convert("RGB")


def _recompressed(im: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue()))


PICTURES = st.one_of(st.builds(_photo, st.integers(0, 40)), st.builds(_graphic, st.integers(0, 20)))
COPIES = st.sampled_from(["resized", "recompressed", "brighter", "darker", "flatter", "all of it"])


@given(
    picture=PICTURES, copy=COPIES, scale=st.floats(0.3, 0.9), quality=st.integers(40, 95), light=st.floats(0.88, 1.12)
)
def test_a_resized_recompressed_or_relit_copy_matches(picture, copy, scale, quality, light):
    made = picture
    if copy in ("resized", "all of it"):
        made = made.resize((round(made.width * scale), round(made.height * scale)), Image.Resampling.BICUBIC)
    if copy in ("brighter", "darker", "all of it"):
        made = ImageEnhance.Brightness(made).enhance(light if copy != "darker" else 2 - light)
    if copy == "flatter":
        made = ImageEnhance.Contrast(made).enhance(min(light, 2 - light))
    if copy in ("recompressed", "all of it"):
        made = _recompressed(made, quality)
    assert matches(fingerprint(picture), fingerprint(made)), distance(fingerprint(picture), fingerprint(made))


@given(first=st.integers(0, 40), second=st.integers(0, 40), graphic=st.integers(0, 20))
def test_other_photos_and_graphics_do_not_match(first, second, graphic):
    if first != second:
        assert not matches(fingerprint(_photo(first)), fingerprint(_photo(second)))
    assert not matches(fingerprint(_photo(first)), fingerprint(_graphic(graphic)))


@given(value=st.integers(0, 2**128 - 1), flips=st.sets(st.integers(0, 127), max_size=MATCH_BITS))
def test_fingerprints_that_match_share_a_band(value, flips):
    other = value
    for bit in flips:
        other ^= 1 << bit
    a, b = f"{value:032x}", f"{other:032x}"
    assert matches(a, b) and set(bands(a)) & set(bands(b))
    assert len(bands(a)) == BANDS


def test_a_fingerprint_is_128_bits_in_hex_and_grey_pixels_give_none_set():
    assert fingerprint(Image.new("RGB", (300, 200), (120, 120, 120))) == "0" * 32
    assert len(fingerprint(_photo(1))) == 32 and int(fingerprint(_photo(1)), 16) > 0
    assert fingerprint(Image.new("L", (1, 1))) == "0" * 32  # a 1-pixel image is upscaled, flat


def test_bands_need_a_whole_fingerprint():
    with pytest.raises(ValueError, match="32 hex digits"):
        bands("abc")


def test_an_orientation_change_is_another_picture():
    # The fingerprint is of the upright pixels: ingest hashes after applying the EXIF orientation.
    photo = _photo(3)
    assert not matches(fingerprint(photo), fingerprint(photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def test_render_fingerprints_the_upright_pixels_so_a_tagged_photo_matches_its_upright_copy():
    sideways = samples.photo_jpeg(1200, 900, orientation=6, seed=8)
    upright = samples.photo_jpeg(1200, 900, orientation=1, seed=8)
    other = samples.photo_jpeg(1200, 900, orientation=1, seed=9)
    assert matches(render(sideways).fingerprint, render(upright).fingerprint)
    assert not matches(render(upright).fingerprint, render(other).fingerprint)
    assert render(samples.alpha_png(), outputs=Outputs((), ())).fingerprint  # transparent images too
