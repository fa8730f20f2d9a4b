"""The duplicates section's own pieces, on tiny owners in moto (the section itself runs on the
emulator's DynamoDB): the owners' images, the uploads looked up, the rows and their report."""

from __future__ import annotations

import random
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from handlers.pipeline.likeness import MATCH_BITS, distance, matches
from harness.bench import duplicates
from harness.bench.report import render
from tests.unit.conftest import FAKE_AWS

SIZES = (12, 40)
LOOKUPS = 4


@pytest.fixture(scope="module")
def figures() -> Iterator[dict]:
    """One measurement for the module's tests: moto sorts a table's every item for each Query."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_AWS.items():
            patch.setenv(name, value)
        with mock_aws():
            dynamodb = boto3.client("dynamodb")
            duplicates.create_table(dynamodb, "fingerprints")
            yield duplicates.measure(dynamodb, "fingerprints", SIZES, LOOKUPS)


def test_half_the_owners_images_are_shots_of_its_scenes_alike_but_not_copies():
    owners = duplicates.library("ann", 60, random.Random(3))
    assert len(owners.images) == 60 and sum(owners.shots) == 30
    placed = [image.placed for image in owners.images]
    assert placed == sorted(placed) and len(set(placed)) == 60  # oldest first, a minute apart
    low, high = duplicates.SHOT_BITS
    for image in owners.images[1::2]:
        nearest = min(distance(image.fingerprint, f"{scene:032x}") for scene in owners.scenes)
        assert low <= nearest <= high
    assert not any(matches(a.fingerprint, b.fingerprint) for a in owners.images for b in owners.images if a != b)


def test_each_kind_of_upload_is_what_it_says_and_later_than_the_owners_images():
    owners = duplicates.library("ann", 60, random.Random(3))
    newest = owners.images[-1].placed
    rng = random.Random(4)
    copies, alike = duplicates.probes(owners, "copy", 10, rng), duplicates.probes(owners, "alike", 10, rng)
    most_shot = f"{owners.scenes[owners.shots.index(max(owners.shots))]:032x}"
    for upload in copies + alike:
        assert upload.owner == "ann" and upload.placed > newest
    assert all(any(distance(c.fingerprint, i.fingerprint) <= MATCH_BITS for i in owners.images) for c in copies)
    assert all(15 <= distance(a.fingerprint, most_shot) <= 30 for a in alike)
    assert not any(matches(a.fingerprint, i.fingerprint) for a in alike for i in owners.images)


def test_the_images_sharing_a_band_with_an_upload_are_counted_once_each():
    prints = ("0" * 32, "0000" + "f" * 28, "1" * 32)  # the second: band 0 as the first's, the other 7 all f's
    images = [duplicates.published("ann", number, int(print_, 16)) for number, print_ in enumerate(prints)]
    shared = duplicates.sharing(duplicates.Library("ann", images, [], []))
    assert shared(images[0]) == 2  # itself in 8 bands, the second in one
    assert shared(duplicates.published("ann", 9, int("f" * 32, 16))) == 1  # the second, in 7 bands
    assert shared(duplicates.published("ann", 9, int("2" * 32, 16))) == 0


def test_a_row_per_owner_and_kind_of_upload_with_the_lookups_means(figures):
    rows = figures["cases"]
    assert [(row["images"], row["case"]) for row in rows] == [
        (size, case) for size in SIZES for case in duplicates.CASES
    ]
    assert figures["seed_items"] == 8 * sum(SIZES)
    for row in rows:
        assert row["lookups"] == LOOKUPS
        assert row["queries"] == 8  # a Query per band, each one page
        assert row["read_units"] >= 0 and row["p50_ms"] > 0
    by_case = {(row["images"], row["case"]): row for row in rows}
    for size in SIZES:
        copy = by_case[size, "copy"]
        assert copy["found"] == 1.0 and copy["checked"] >= 1 and copy["items_read"] >= 1 and copy["read_units"] > 0
        for case in ("unrelated", "alike"):
            row = by_case[size, case]
            assert row["found"] == 0.0 and row["checked"] == 0.0  # nothing matched: no record to check
            # no match: every item of the upload's bands is read, each image sharing a band at least once
            assert row["sharing"] <= row["items_read"] <= 8 * row["sharing"]


def test_the_report_shows_each_row_and_each_kind_from_the_smaller_owner_to_the_larger(figures):
    text = render({"duplicates": figures})
    assert f"means of {LOOKUPS} lookups" in text
    for label in ("unrelated", "alike a scene", "a copy"):
        assert f"  {label}, 12 → 40 images: 8.00 → 8.00 Queries" in text
    assert f"seeded {8 * sum(SIZES)} band items" in text
