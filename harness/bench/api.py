"""The web tier's list, measured: `GET /api/images` (the first page, and page 4 reached through
the cursors, both at the default 24 a page) for a caller with 100 records and for one with 10 000,
which must cost the same: a Query on the owner index, never a Scan.

Two routes, each real HTTP with one keep-alive session per caller:

- **edge**: what a browser meets: `<cdn_url>/api/images` through the CDN edge, API Gateway and the
  deployed web function, for the caller whose 100 records are in the stack's images table;
- **app**: the deployed web function's own code (its package, fetched from the emulator) and
  environment, served by gunicorn on a loopback port as the 3-tier option serves the app, reading
  a copy of the images table (the same keys and indexes, no stream) that holds both callers'
  records. The ratio of the two callers' figures there is the flatness.

Why the 10 000 records are not in the stack's table: its stream feeds the notify function, which
the emulator hands at most 10 records per poll; each processed record is an outcome notice, and
100 of them keep notify busy for about 18 s here. 10 000 would hold every other upload's notice
back for half an hour (and deleting them queues as many stream records again). The copy has no
stream, and goes with one DeleteTable.

The records are those the pipeline writes for a processed 2 MP JPEG (`seeded_record`), uploaded a
minute apart. The callers are made in the stack's users table with random names and passwords.
Everything made is removed afterwards, also when a step fails.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from handlers.contract import Env
from handlers.stores.user_store import UserStore
from handlers.web.records_api import DEFAULT_LIMIT
from harness.aws import TEST_ENVIRONMENT, AwsTarget
from harness.bench import BenchError
from harness.bench.instances_api import boot_figures, one_instance_throughput, seed_instances_stack
from harness.bench.seeding import THREADS, seed_copy, seed_stack, seeded_records
from harness.bench.served_app import app_environment, deployed_app, served_app
from harness.bench.stats import median, percentile

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds for one request (a cold web function starts within it)
INSTANCES_STACK = "local-instances"  # the 3-tier stack measured beside the serverless one


# -- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One kind of request measured: which route, whose list (how many records), which page."""

    route: str  # "edge" or "app"
    records: int
    page: int


def summary(case: Case, samples_ms: Sequence[float]) -> dict[str, Any]:
    """A case's row: p50, p95 and mean of its samples (ms)."""
    return {
        "route": case.route,
        "records": case.records,
        "page": case.page,
        "requests": len(samples_ms),
        "p50_ms": round(median(samples_ms), 2),
        "p95_ms": round(percentile(samples_ms, 95), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2),
    }


def ratios(rows: Sequence[dict[str, Any]], route: str, small: int, large: int) -> dict[str, float]:
    """p50 with `large` records over p50 with `small`, per page measured on `route` ("page 1": …)."""
    p50 = {(row["records"], row["page"]): row["p50_ms"] for row in rows if row["route"] == route}
    return {
        f"page {page}": round(p50[(large, page)] / p50[(small, page)], 2)
        for (records, page) in sorted(p50)
        if records == small and (large, page) in p50
    }


# -- the callers and the app ---------------------------------------------------------------------


@dataclass
class Caller:
    """A user signed in at `base_url` (the CDN, or the app on its loopback port), one keep-alive session."""

    name: str
    password: str
    base_url: str
    http: requests.Session = field(default_factory=requests.Session)

    def sign_in(self) -> None:
        try:
            answer = self.http.post(
                f"{self.base_url}/api/session", json={"username": self.name, "password": self.password}, timeout=TIMEOUT
            )
        except requests.ConnectionError:
            hint = "is the CDN edge running? (`python -m harness up` starts it)"
            raise BenchError(f"nothing answers at {self.base_url}: {hint}") from None
        if answer.status_code != 200:
            raise BenchError(
                f"{self.name} could not sign in at {self.base_url}: {answer.status_code} {answer.text[:300]}"
            )

    def page(self, cursor: str | None = None) -> dict[str, Any]:
        """One page of the caller's images (the default page size), after `cursor`."""
        answer = self.http.get(
            f"{self.base_url}/api/images", params={"cursor": cursor} if cursor else None, timeout=TIMEOUT
        )
        if answer.status_code != 200:
            raise BenchError(f"GET {self.base_url}/api/images answered {answer.status_code}: {answer.text[:300]}")
        page: dict[str, Any] = answer.json()
        return page

    def cursor_to(self, page: int) -> str | None:
        """The cursor of page `page` (None for the first), following `next` from the first page."""
        cursor = None
        for number in range(1, page):
            cursor = self.page(cursor)["next"]
            if cursor is None:
                raise BenchError(f"{self.name}'s list ends at page {number}, before page {page}")
        return cursor

    def timed(self, cursor: str | None, expected: int) -> float:
        """Milliseconds for one page (answer read in full), checked to hold `expected` items."""
        started = time.perf_counter()
        items = self.page(cursor)["items"]
        elapsed = (time.perf_counter() - started) * 1000
        if len(items) != expected:
            raise BenchError(f"{self.name}'s page held {len(items)} images, not {expected}")
        return elapsed


# -- the section ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """What one run makes, named after its token (so a run's leftovers are recognisable)."""

    token: str

    def user(self, records: int) -> str:
        return f"bench-{self.token}-{records}"

    @property
    def table(self) -> str:
        return f"imagepipe-bench-images-{self.token}"

    @property
    def secret(self) -> str:
        return f"imagepipe-bench-session-key-{self.token}"


def measure(
    cases: dict[Case, tuple[Caller, str | None, int]], rounds: int, warmup: int, progress: Callable[[str], None]
) -> list[dict[str, Any]]:
    """`warmup` untimed requests per case, then `rounds` rounds of one timed request per case, the
    cases interleaved so that a slow spell of the machine hits them all alike."""
    for caller, cursor, expected in cases.values():
        for _ in range(warmup):
            caller.timed(cursor, expected)
    progress(f"api: {rounds} rounds of {len(cases)} requests, interleaved")
    samples: dict[Case, list[float]] = {case: [] for case in cases}
    for _ in range(rounds):
        for case, (caller, cursor, expected) in cases.items():
            samples[case].append(caller.timed(cursor, expected))
    return [summary(case, values) for case, values in samples.items()]


def expected_items(records: int, page: int) -> int:
    """How many images page `page` of a list of `records` shows at the default page size."""
    shown = min(DEFAULT_LIMIT, records - (page - 1) * DEFAULT_LIMIT)
    if shown < 1:
        raise ValueError(f"a list of {records} images has no page {page} at {DEFAULT_LIMIT} a page")
    return shown


def check_sizes(sizes: tuple[int, int], page: int) -> None:
    """Both lists must show a full page `page`, so that the two compare like with like."""
    small, large = sizes
    if not 0 < small < large:
        raise ValueError(f"sizes are a smaller and a larger number of records, not {sizes}")
    if page < 1 or expected_items(small, page) < DEFAULT_LIMIT:
        raise ValueError(f"page {page} of {small} records is not a full page of {DEFAULT_LIMIT}")


def run_api(
    outputs: dict[str, Any],
    progress: Callable[[str], None],
    sizes: tuple[int, int] = (100, 10_000),
    page: int = 4,
    rounds: int = 40,
    warmup: int = 3,
    token: str | None = None,
    instances: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """{"cases": [a row per route, records and page], "ratios": {"page 1": …}, "seed_s", …} for the
    stack whose outputs are given, and with `instances` (the 3-tier stack's outputs) its route
    beside (harness/bench/instances_api.py); the module's docstring says what is measured."""
    check_sizes(sizes, page)
    small, large = sizes
    names = Names(token or secrets.token_hex(3))
    target = AwsTarget(outputs["endpoint_url"], outputs["region"])
    dynamodb = target.client("dynamodb")
    newest = datetime.now(UTC) - timedelta(minutes=1)
    records = {size: seeded_records(names.user(size), size, outputs["images_bucket"], newest) for size in sizes}
    with ExitStack() as cleanup:
        cleanup.callback(progress, "api: removed the callers, their records, the table copy and the key's secret")
        passwords = make_callers(
            UserStore(outputs["users_table"], dynamodb), [names.user(size) for size in sizes], cleanup
        )
        notices = [seed_stack(target, outputs, records[small], cleanup, progress)]
        if instances is not None:
            owner = names.user(small)
            notices.append(seed_instances_stack(instances, owner, passwords[owner], small, newest, cleanup, progress))
        seed_s = seed_copy(dynamodb, outputs["images_table"], names.table, records[small] + records[large], cleanup)
        progress(f"api: {small + large} records in a stream-less copy of it in {seed_s:.2f} s ({THREADS} threads)")
        app = deployed_app(target, outputs["web_function"], ROOT / "build" / "bench")
        secrets_manager = target.client("secretsmanager")
        secret = secrets_manager.create_secret(Name=names.secret)["ARN"]
        cleanup.callback(secrets_manager.delete_secret, SecretId=secret, ForceDeleteWithoutRecovery=True)
        # The stack's session-key secret is the web role's to make its key in (and the IAM check's to
        # watch it do so): the app here gets a secret of its own, and the table copy.
        swapped = {Env.IMAGES_TABLE: names.table, Env.SESSION_SECRET_ARN: secret}
        environment = app_environment(app.environment, target, TEST_ENVIRONMENT, swapped)
        app_url = cleanup.enter_context(served_app(app.code, environment))
        progress(f"api: the web app under gunicorn at {app_url}")
        routes = {("edge", small): outputs["cdn_url"], ("app", small): app_url, ("app", large): app_url}
        if instances is not None:
            routes[("instances", small)] = instances["cdn_url"]
        cases = _signed_in_cases(routes, names, passwords, page, cleanup)
        for notice in notices:
            notice.wait(small, progress)
        rows = measure(cases, rounds, warmup, progress)
        tier = _instances_figures(names.user(small), passwords[names.user(small)]) if instances is not None else None
    return {
        **({"instances": tier} if tier is not None else {}),
        "page_size": DEFAULT_LIMIT,
        "page": page,
        "sizes": list(sizes),
        "seed_records": small + large,
        "seed_s": round(seed_s, 2),
        "seed_threads": THREADS,
        "cases": rows,
        "ratios": ratios(rows, "app", small, large),
    }


def _signed_in_cases(
    routes: dict[tuple[str, int], str], names: Names, passwords: dict[str, str], page: int, cleanup: ExitStack
) -> dict[Case, tuple[Caller, str | None, int]]:
    """For each route and list size, its caller signed in there, and the first page and `page`."""
    cases: dict[Case, tuple[Caller, str | None, int]] = {}
    for (route, size), base in routes.items():
        caller = Caller(names.user(size), passwords[names.user(size)], base)
        cleanup.callback(caller.http.close)
        caller.sign_in()
        for number in (1, page):
            cases[Case(route, size, number)] = (caller, caller.cursor_to(number), expected_items(size, number))
    return cases


def _instances_figures(name: str, password: str) -> dict[str, Any]:
    """One instance's throughput and the fleet's boot figures (harness/bench/instances_api.py)."""
    return {
        "throughput": one_instance_throughput(lambda url: Caller(name, password, url), INSTANCES_STACK),
        "boots": boot_figures(INSTANCES_STACK),
    }


def make_callers(users: UserStore, names: list[str], cleanup: ExitStack) -> dict[str, str]:
    """Users of these names with random passwords (removed when `cleanup` closes): name → password."""
    passwords = {}
    for name in names:
        password = secrets.token_urlsafe(18)
        users.add(name, password)
        cleanup.callback(users.remove, name)
        passwords[name] = password
    return passwords
