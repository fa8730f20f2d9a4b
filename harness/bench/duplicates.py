"""The duplicates section of `make bench`: what the duplicate lookup (`FingerprintStore.earliest_match`,
handlers/stores/fingerprint_store.py) costs an ingest in DynamoDB reads, for an owner with 100 images
and for one with 10 000, which should be the same: the lookup Queries the upload's 8 bands, so what
it reads follows how many of the owner's images share a band with the upload, not how many there are.

Each owner's images are as a photographer's are (`library`): half unrelated pictures (random
fingerprints), half shots of 20 scenes (bursts, retakes: each 15–30 bits from its scene, alike but
not copies). Both owners are filed in one table with the fingerprints table's keys, by threaded
BatchWriteItem (harness/bench/seeding.py), then looked up with three kinds of upload, `LOOKUPS` of
each: an unrelated picture, one more shot of the owner's most shot scene, and a copy of one of the
owner's images (within MATCH_BITS of it). Per lookup: the Queries, the items read, the read
capacity DynamoDB reports them consuming (ReturnConsumedCapacity), the records the pipeline would
then check (a GetItem each: `current`), and how many of the owner's images share a band with it.

The DynamoDB is the embedded emulator's (DynamoDB Local), on a port of the section's own: started
for it unless running there already, and stopped after. Not moto: its Query sorts the table's
every item (a lookup took 3.3 s on 16 000 items), and it reports 1 unit for any Query whatever it
read; DynamoDB Local answers a lookup in 35–70 ms here and counts units by the items' size, as
DynamoDB does (docs/benchmarks.md has the figures).
"""

from __future__ import annotations

import random
import secrets
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from handlers.contract import FingerprintsTable
from handlers.pipeline.likeness import MATCH_BITS, bands
from handlers.stores.fingerprint_store import FingerprintStore, Published
from handlers.stores.image_record import timestamp
from harness import emulator
from harness.bench.seeding import THREADS, write_requests

SIZES: Final = (100, 10_000)  # the owners' images
LOOKUPS: Final = 50  # of each case, per owner
SCENES: Final = 20
SHOT_BITS: Final = (15, 30)  # a shot differs from its scene in this many bits (either end included)
CASES: Final = ("unrelated", "alike", "copy")
BITS: Final = 128
PORT: Final = 4690  # the section's emulator: clear of the CDN edge's and the load balancers' (4580–4679)
FIRST_UPLOAD: Final = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Library:
    """An owner's images, oldest first, and the scenes (fingerprints) half of them are shots of."""

    owner: str
    images: list[Published]
    scenes: list[int]
    shots: list[int]  # per scene, how many of the images are shots of it


def flipped(value: int, bits: int, rng: random.Random) -> int:
    """`value` with `bits` of its 128 bits, chosen at random, flipped."""
    for bit in rng.sample(range(BITS), bits):
        value ^= 1 << bit
    return value


def published(owner: str, number: int, value: int, name: str = "bench") -> Published:
    """`owner`'s image `number` (uploaded a minute after the one before), with fingerprint `value`."""
    uploaded = timestamp(FIRST_UPLOAD + timedelta(minutes=number))
    return Published(owner, f"{name}-{number:05d}", uploaded, f"{value:032x}", f"IMG_{number:05d}.jpg")


def library(owner: str, count: int, rng: random.Random) -> Library:
    """`count` images of `owner`: every other one unrelated, the rest shots of `SCENES` scenes."""
    scenes = [rng.getrandbits(BITS) for _ in range(SCENES)]
    shots = [0] * SCENES
    images = []
    for number in range(count):
        if number % 2 == 0:
            value = rng.getrandbits(BITS)
        else:
            scene = rng.randrange(SCENES)
            shots[scene] += 1
            value = flipped(scenes[scene], rng.randint(*SHOT_BITS), rng)
        images.append(published(owner, number, value))
    return Library(owner, images, scenes, shots)


def probes(owners: Library, case: str, count: int, rng: random.Random) -> list[Published]:
    """`count` new uploads of the owner's, later than their images, of the kind `case` names."""
    most_shot = owners.scenes[owners.shots.index(max(owners.shots))]

    def fingerprint() -> int:
        if case == "unrelated":
            return rng.getrandbits(BITS)
        if case == "alike":
            return flipped(most_shot, rng.randint(*SHOT_BITS), rng)
        return flipped(int(rng.choice(owners.images).fingerprint, 16), rng.randint(0, MATCH_BITS), rng)

    later = len(owners.images)
    return [published(owners.owner, later + number, fingerprint(), f"new-{case}") for number in range(count)]


def sharing(owners: Library) -> Callable[[Published], int]:
    """How many of the owner's images share a band with an upload (what a lookup may read)."""
    filed: defaultdict[str, set[int]] = defaultdict(set)
    for number, image in enumerate(owners.images):
        for band in bands(image.fingerprint):
            filed[band].add(number)
    return lambda upload: len(set[int]().union(*(filed.get(band, set()) for band in bands(upload.fingerprint))))


def lookups(dynamodb: Any, table: str, owners: Library, case: str, uploads: list[Published]) -> dict[str, Any]:
    """Look `uploads` up (as an ingest does, every record current): the means per lookup."""
    store, checked, found, seconds = FingerprintStore(table, dynamodb), 0, 0, []

    def current(image_id: str, print_: str) -> bool:
        nonlocal checked
        checked += 1
        return True

    for upload in uploads:
        started = time.perf_counter()
        if store.earliest_match(upload, current) is not None:
            found += 1
        seconds.append(time.perf_counter() - started)
    count, shared = len(uploads), sharing(owners)
    return {
        "images": len(owners.images),
        "case": case,
        "lookups": count,
        "queries": store.queries / count,
        "items_read": store.reads / count,
        "read_units": store.read_units / count,
        "checked": checked / count,
        "sharing": sum(shared(upload) for upload in uploads) / count,
        "found": found / count,
        "p50_ms": statistics.median(seconds) * 1000,
    }


def measure(dynamodb: Any, table: str, sizes: tuple[int, ...] = SIZES, count: int = LOOKUPS) -> dict[str, Any]:
    """File an owner per size in `table` (the fingerprints table's keys), then look each case up
    `count` times per owner: a row per size and case, and what the filing took."""
    owners = [library(f"bench-{size}", size, random.Random(size)) for size in sizes]
    store = FingerprintStore(table, dynamodb)
    puts = [put for one in owners for image in one.images for put in store.put_requests(image)]
    seed_s = write_requests(dynamodb, table, puts)
    rng = random.Random(0)
    rows = [lookups(dynamodb, table, one, case, probes(one, case, count, rng)) for one in owners for case in CASES]
    return {"cases": rows, "seed_items": len(puts), "seed_s": seed_s, "seed_threads": THREADS}


def create_table(dynamodb: Any, name: str) -> None:
    """A table with the fingerprints table's keys (components/storage.py declares the stack's)."""
    keys = (FingerprintsTable.KEY, "HASH"), (FingerprintsTable.SORT, "RANGE")
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key, _ in keys],
        KeySchema=[{"AttributeName": key, "KeyType": kind} for key, kind in keys],
    )
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


@contextmanager
def emulator_dynamodb(say: Callable[[str], None]) -> Iterator[Any]:
    """A DynamoDB client of the embedded emulator on `PORT`: started for the section unless it runs
    there already, and then stopped on leaving."""
    running = emulator.start(PORT, progress=say)
    try:
        yield running.client("dynamodb")
    finally:
        if running.launched:
            running.stop()


def run_duplicates(say: Callable[[str], None]) -> dict[str, Any]:
    """The section: its figures, measured in a table of its own, deleted after."""
    with ExitStack() as cleanup:
        dynamodb = cleanup.enter_context(emulator_dynamodb(say))
        table = f"imagepipe-bench-fingerprints-{secrets.token_hex(4)}"
        create_table(dynamodb, table)
        cleanup.callback(dynamodb.delete_table, TableName=table)
        say(f"duplicates: owners of {' and '.join(f'{size:,}' for size in SIZES)} images, {LOOKUPS} lookups a case …")
        figures = measure(dynamodb, table)
    say(f"duplicates: {figures['seed_items']:,} band items filed in {figures['seed_s']:.1f} s")
    return {**figures, "backend": "the embedded emulator's DynamoDB (DynamoDB Local)"}
