"""The fingerprint holds to intent: resized, recompressed, lightly brightened or darkened copies of a
picture match it; other photos and graphics do not; a lookup by band misses no match."""

from __future__ import annotations

import functools
import io
import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageEnhance

from handlers.imaging import Outputs, render
from handlers.imaging.fingerprint import fingerprint
from handlers.pipeline.likeness import BANDS, MATCH_BITS, bands, distance, matches
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


PHOTOS, GRAPHICS = range(41), range(21)
COPIES = ("resized", "recompressed", "brighter", "darker", "flatter", "all of it")
RECALL = 0.95  # of copies matched, at least (0.99 measured on this set: 368 of 372)


def _copy(picture: Image.Image, kind: str, rng: random.Random) -> Image.Image:
    """`picture` as someone copies it: resized to 30-90 %, recompressed at JPEG quality 40-95,
    brightened, darkened or flattened by up to 12 %, or all of it."""
    scale, quality, light = rng.uniform(0.3, 0.9), rng.randint(40, 95), rng.uniform(1.0, 1.12)
    made = picture
    if kind in ("resized", "all of it"):
        made = made.resize((round(made.width * scale), round(made.height * scale)), Image.Resampling.BICUBIC)
    if kind in ("brighter", "all of it"):
        made = ImageEnhance.Brightness(made).enhance(light)
    if kind == "darker":
        made = ImageEnhance.Brightness(made).enhance(2 - light)
    if kind == "flatter":
        made = ImageEnhance.Contrast(made).enhance(2 - light)
    if kind in ("recompressed", "all of it"):
        made = _recompressed(made, quality)
    return made


def _pictures() -> list[Image.Image]:
    return [_photo(seed) for seed in PHOTOS] + [_graphic(seed) for seed in GRAPHICS]


def test_resized_recompressed_and_relit_copies_match():
    rng = random.Random(20)  # the same copies each run: the rate is a measurement, not a gamble
    missed = []
    for index, picture in enumerate(_pictures()):
        for kind in COPIES:
            gap = distance(fingerprint(picture), fingerprint(_copy(picture, kind, rng)))
            if gap > MATCH_BITS:
                missed.append((index, kind, gap))
    copies = (len(PHOTOS) + len(GRAPHICS)) * len(COPIES)
    assert len(missed) <= copies * (1 - RECALL), missed


def test_no_two_of_the_photos_and_graphics_match():
    prints = [fingerprint(picture) for picture in _pictures()]
    assert [(a, b) for a, b in itertools.combinations(range(len(prints)), 2) if matches(prints[a], prints[b])] == []


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
