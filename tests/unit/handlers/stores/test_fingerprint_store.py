"""The fingerprint store against moto: the earliest earlier image that matches, found by Query of the
bands, within the owner's images or every owner's; stale entries forgotten when met."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from handlers.pipeline.likeness import BANDS, bands
from handlers.stores.fingerprint_store import FingerprintStore, Published
from tests.unit.conftest import FAKE_AWS
from tests.unit.tables import create_fingerprints_table

PRINT = "0123456789abcdef0123456789abcdef"
NEAR = PRINT[:-1] + "8"  # 3 bits away (f → 8)
FAR = "fedcba9876543210fedcba9876543210"


def _published(image_id: str, minute: int, print_: str = PRINT, owner: str = "ann") -> Published:
    return Published(owner, image_id, f"2026-12-05T10:{minute:02d}:00.000Z", print_, f"{image_id}.jpg")


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch):
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("dynamodb")
        create_fingerprints_table(client, "fingerprints")
        yield lambda across=False: FingerprintStore("fingerprints", client, across_owners=across)


def _always(image_id: str, print_: str) -> bool:
    return True


def test_the_earliest_earlier_matching_image_of_the_owner_is_found(store):
    fingerprints = store()
    for image in (
        _published("b", 2, NEAR),
        _published("a", 1),
        _published("far", 0, FAR),
        _published("bob", 0, owner="bob"),
    ):
        fingerprints.add(image)
    assert fingerprints.earliest_match(_published("c", 3, NEAR), _always) == "a"
    assert fingerprints.earliest_match(_published("a", 1), _always) is None  # nothing before it
    assert fingerprints.earliest_match(_published("d", 4, FAR[:-1] + "1"), _always) == "far"
    assert store(across=True).earliest_match(_published("e", 5), _always) is None  # filed per owner


def test_across_owners_another_owners_image_counts(store):
    fingerprints = store(across=True)
    fingerprints.add(_published("bob1", 1, owner="bob"))
    assert fingerprints.earliest_match(_published("ann1", 2, NEAR), _always) == "bob1"


def test_an_entry_no_longer_its_images_is_passed_over_and_forgotten(store):
    fingerprints = store()
    fingerprints.add(_published("replaced", 1))
    fingerprints.add(_published("kept", 2))
    stale = {("replaced", PRINT)}
    assert fingerprints.earliest_match(_published("new", 3), lambda i, p: (i, p) not in stale) == "kept"
    assert fingerprints.earliest_match(_published("new", 3), _always) == "kept"  # the stale one is gone


def test_a_removed_image_is_no_longer_found_and_reads_stay_with_the_band(store):
    fingerprints = store()
    fingerprints.add(_published("a", 1))
    for minute in range(2, 40):  # other images of the owner, none sharing a band with PRINT
        fingerprints.add(_published(f"x{minute}", minute, f"{minute:032x}"[::-1].replace("0", "f")))
    before = fingerprints.reads
    assert fingerprints.earliest_match(_published("b", 50, NEAR), _always) == "a"
    assert fingerprints.reads - before <= 8  # one item of each band it shares, not the owner's 39 images
    fingerprints.remove(_published("a", 1))
    assert fingerprints.earliest_match(_published("b", 50, NEAR), _always) is None


def test_a_candidate_in_several_bands_is_checked_once_per_lookup(store):
    fingerprints = store()
    fingerprints.add(_published("a", 1))
    asked = []
    assert fingerprints.earliest_match(_published("b", 2, NEAR), lambda i, p: asked.append(i) or True) == "a"
    assert asked == ["a"]  # NEAR shares 7 of its 8 bands with it: one record read, not 7


def test_a_lookup_counts_its_queries_and_the_read_capacity_they_consumed(store):
    fingerprints = store()
    fingerprints.add(_published("a", 1))
    assert (fingerprints.queries, fingerprints.read_units) == (0, 0.0)
    assert fingerprints.earliest_match(_published("b", 2, NEAR), _always) == "a"
    assert fingerprints.queries == BANDS  # one per band: each band's items fit one page
    assert fingerprints.read_units > 0  # as DynamoDB reports them (ReturnConsumedCapacity)
    fingerprints.earliest_match(_published("c", 3, FAR), _always)
    assert fingerprints.queries == 2 * BANDS


def test_the_put_requests_file_an_image_under_each_of_its_bands():
    image = _published("a", 1)
    requests = FingerprintStore("fingerprints", client=None, across_owners=True).put_requests(image)
    items = [request["PutRequest"]["Item"] for request in requests]
    assert [item["band"]["S"] for item in items] == [f"all#{band}" for band in bands(PRINT)]
    assert {(item["placed"]["S"], item["image_id"]["S"], item["fingerprint"]["S"]) for item in items} == {
        (image.placed, "a", PRINT)
    }
