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

import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from boto3.dynamodb.types import TypeSerializer

from handlers.contract import AWAITING, PROCESSED, UPLOAD_PREFIX, VARIANTS, Env, ImagesTable, Record
from handlers.pipeline.publishing import variant_prefix
from handlers.pipeline.records import VariantRecord
from handlers.pipeline.uploads import Upload
from handlers.web.records_api import DEFAULT_LIMIT
from handlers.web.users import UserStore
from harness.aws import TEST_CREDENTIALS, AwsTarget
from harness.bench import BenchError
from harness.bench.stats import median, percentile
from harness.notice_tap import SubscribedQueue
from harness.polling import TimedOut, wait_until

ROOT = Path(__file__).resolve().parents[2]
BATCH = 25  # BatchWriteItem's most
THREADS = 8  # writers at once: the emulator's gateway is the limit (8 write about 10 % faster than 4 here)
TIMEOUT = 30  # seconds for one request (a cold web function starts within it)
# What the pipeline records for a processed 2 MP JPEG (harness/bench/pipeline.py uploads the same size).
SOURCE_SIZE, OPTIMIZED_SIZE, THUMBNAIL_SIZE = (1732, 1155), (1600, 1067), (256, 171)
VARIANT_BYTES = {"optimized": 212_000, "thumbnail": 14_800}
TAKEN_BEFORE_UPLOAD = timedelta(days=2, hours=3)  # the photo's date, from its EXIF (camera photos carry one)


# -- the records ---------------------------------------------------------------------------------


def timestamp_of(moment: datetime) -> str:
    """A time as records store them (handlers.pipeline.records.timestamp)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seeded_record(owner: str, number: int, bucket: str, uploaded: datetime) -> dict[str, Any]:
    """The record of `uploads/<owner>/bench-<number>.jpg`, uploaded at `uploaded` and processed, as
    ingest (`RecordStore.record_upload`) and enhance (`Publisher.enhance`) write it."""
    key = f"{UPLOAD_PREFIX}{owner}/bench-{number:05d}.jpg"
    source_bytes = 640_000 + number % 997 * 131
    upload = Upload(
        bucket=bucket,
        key=key,
        sequencer=f"{number + 1:016X}",
        event_time=timestamp_of(uploaded),
        size=source_bytes,
        etag=hashlib.md5(key.encode(), usedforsecurity=False).hexdigest(),
    )
    sizes = {"optimized": OPTIMIZED_SIZE, "thumbnail": THUMBNAIL_SIZE}
    variants = {
        name: VariantRecord(
            key=f"{variant_prefix(name, upload.image_id)}{upload.version}.jpg",
            bytes=VARIANT_BYTES[name],
            width=sizes[name][0],
            height=sizes[name][1],
            content_type="image/jpeg",
        )
        for name in VARIANTS
    }
    created, processed = uploaded + timedelta(milliseconds=240), uploaded + timedelta(milliseconds=610)
    return {
        ImagesTable.KEY: upload.image_id,
        "source_bucket": upload.bucket,
        Record.SOURCE_KEY: upload.key,
        "source_etag": upload.etag,
        "source_size": upload.size,
        "upload_order": upload.order,
        "upload_version": upload.version,
        ImagesTable.UPLOADED_AT: upload.event_time,
        Record.FILE_NAME: key.rsplit("/", 1)[-1],
        Record.STATUS: PROCESSED,
        "created_at": timestamp_of(created),
        "updated_at": timestamp_of(processed),
        ImagesTable.OWNER: owner,
        "format": "JPEG",
        "content_type": "image/jpeg",
        "source_width": SOURCE_SIZE[0],
        "source_height": SOURCE_SIZE[1],
        Record.PHOTOGRAPHER: owner,
        Record.DATE: (uploaded - TAKEN_BEFORE_UPLOAD).strftime("%Y-%m-%dT%H:%M:%S"),  # as EXIF gives it
        **{f"{name}_key": variant.key for name, variant in variants.items()},
        "variants": {name: asdict(variant) for name, variant in variants.items()},
        "processed_at": timestamp_of(processed),
        Record.REVIEW_STATUS: AWAITING,
    }


def seeded_records(owner: str, count: int, bucket: str, newest: datetime) -> list[dict[str, Any]]:
    """`count` records of `owner`, the last uploaded at `newest`, each a minute after the one before."""
    first = newest - timedelta(minutes=count - 1)
    return [seeded_record(owner, number, bucket, first + timedelta(minutes=number)) for number in range(count)]


def batches(items: Sequence[Any], size: int = BATCH) -> list[list[Any]]:
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def write_batch(client: Any, table: str, requests_: list[dict[str, Any]], attempts: int = 8) -> None:
    """One BatchWriteItem of `requests_`, sending again what DynamoDB left unprocessed."""
    pending: dict[str, Any] = {table: requests_}
    for attempt in range(attempts):
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return
        time.sleep(0.05 * 2**attempt)
    raise BenchError(f"DynamoDB left {len(pending[table])} writes to {table} unprocessed after {attempts} tries")


def put_records(client: Any, table: str, records: Sequence[dict[str, Any]], threads: int = THREADS) -> float:
    """Write `records` with BatchWriteItem on `threads` threads; the seconds it took."""
    serialize = TypeSerializer().serialize
    puts = [{"PutRequest": {"Item": {k: serialize(v) for k, v in record.items()}}} for record in records]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda batch: write_batch(client, table, batch), batches(puts)))
    return time.perf_counter() - started


def delete_records(client: Any, table: str, image_ids: Sequence[str], threads: int = THREADS) -> None:
    deletes = [{"DeleteRequest": {"Key": {ImagesTable.KEY: {"S": image_id}}}} for image_id in image_ids]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda batch: write_batch(client, table, batch), batches(deletes)))


def streamless_copy(description: dict[str, Any], name: str) -> dict[str, Any]:
    """A CreateTable request for a table named `name` with the keys and indexes of the table
    `description` (DescribeTable's `Table`) describes, on demand, without its stream."""
    indexes = [
        {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
        for index in description.get("GlobalSecondaryIndexes", [])
    ]
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": description["KeySchema"],
        "AttributeDefinitions": description["AttributeDefinitions"],
    }
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    return request


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def app_environment(
    function_environment: dict[str, str], images_table: str, session_secret_arn: str, target: AwsTarget
) -> dict[str, str]:
    """The deployed web function's environment with the images table and the session key's secret
    swapped (the stack's secret is the web role's to make its key in, and the IAM check's to watch
    it do so), for the app run on this machine against the emulator."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        **function_environment,
        Env.IMAGES_TABLE: images_table,
        Env.SESSION_SECRET_ARN: session_secret_arn,
        "AWS_ENDPOINT_URL": target.endpoint_url,
        "AWS_REGION": target.region,
        "AWS_DEFAULT_REGION": target.region,
        "AWS_ACCESS_KEY_ID": TEST_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": TEST_CREDENTIALS["aws_secret_access_key"],
    }


@dataclass(frozen=True)
class DeployedApp:
    """The deployed web function's code (unzipped) and environment."""

    code: Path
    environment: dict[str, str]


def deployed_app(target: AwsTarget, function_name: str, cache: Path) -> DeployedApp:
    """The code and environment the web function `function_name` runs with; the code is fetched
    once per deployed version (its CodeSha256) into `cache`."""
    function = target.client("lambda").get_function(FunctionName=function_name)
    version = hashlib.sha256(function["Configuration"]["CodeSha256"].encode()).hexdigest()[:16]
    folder = cache / f"{function_name}-{version}"
    if not folder.exists():
        answer = requests.get(function["Code"]["Location"], timeout=120)
        if answer.status_code != 200:
            raise BenchError(f"the code of {function_name} could not be fetched: {answer.status_code}")
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            archive.extractall(partial)
        partial.rename(folder)
    return DeployedApp(folder, function["Configuration"]["Environment"]["Variables"])


@contextmanager
def served_app(code: Path, environment: dict[str, str]) -> Iterator[str]:
    """gunicorn serving the web app of `code` (first on the path) from `environment`: one worker,
    threads for keep-alive; its URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    command += ["--worker-class", "gthread", "--threads", "2", "handlers.web.environment:app_from_environment()"]
    variables = {**environment, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=code, env=variables, stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:

            def answering() -> bool:
                if process.poll() is not None:
                    log.seek(0)
                    raise BenchError(f"gunicorn serving the web app ended:\n{log.read().decode()[-2000:]}")
                try:
                    return requests.get(f"{base}/api/health", timeout=2).status_code == 200
                except requests.ConnectionError:
                    return False

            wait_until(answering, timeout=30, what="gunicorn to serve the web app", error=BenchError)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
) -> dict[str, Any]:
    """{"cases": [a row per route, records and page], "ratios": {"page 1": …}, "seed_s", …} for the
    stack whose outputs are given; the module's docstring says what is measured."""
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
        notices = seed_stack(target, outputs, records[small], cleanup, progress)
        seed_s = seed_copy(dynamodb, outputs["images_table"], names.table, records[small] + records[large], cleanup)
        progress(f"api: {small + large} records in a stream-less copy of it in {seed_s:.2f} s ({THREADS} threads)")
        app = deployed_app(target, outputs["web_function"], ROOT / "build" / "bench")
        secrets_manager = target.client("secretsmanager")
        secret = secrets_manager.create_secret(Name=names.secret)["ARN"]
        cleanup.callback(secrets_manager.delete_secret, SecretId=secret, ForceDeleteWithoutRecovery=True)
        environment = app_environment(app.environment, names.table, secret, target)
        app_url = cleanup.enter_context(served_app(app.code, environment))
        progress(f"api: the web app under gunicorn at {app_url}")
        routes = {("edge", small): outputs["cdn_url"], ("app", small): app_url, ("app", large): app_url}
        cases: dict[Case, tuple[Caller, str | None, int]] = {}
        for (route, size), base in routes.items():
            caller = Caller(names.user(size), passwords[names.user(size)], base)
            cleanup.callback(caller.http.close)
            caller.sign_in()
            for number in (1, page):
                cases[Case(route, size, number)] = (caller, caller.cursor_to(number), expected_items(size, number))
        notices.wait(small, progress)
        rows = measure(cases, rounds, warmup, progress)
    return {
        "page_size": DEFAULT_LIMIT,
        "page": page,
        "sizes": list(sizes),
        "seed_records": small + large,
        "seed_s": round(seed_s, 2),
        "seed_threads": THREADS,
        "cases": rows,
        "ratios": ratios(rows, "app", small, large),
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


@dataclass
class Notices:
    """The notifications topic's notices for one owner, counted in a queue of our own."""

    sqs: Any
    queue_url: str

    def count(self) -> int:
        answer = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(answer["Attributes"]["ApproximateNumberOfMessages"])

    def wait(self, count: int, progress: Callable[[str], None], timeout: float = 90) -> None:
        """Until `count` have arrived (at most `timeout` s: measuring then goes ahead, and says so)."""
        try:
            wait_until(lambda: self.count() >= count, timeout=timeout, interval=0.5)
        except TimedOut:
            progress(
                f"api: notify announced {self.count()} of the {count} records within {timeout:g} s; measuring anyway"
            )


def seed_stack(
    target: AwsTarget,
    outputs: dict[str, Any],
    records: list[dict[str, Any]],
    cleanup: ExitStack,
    progress: Callable[[str], None],
) -> Notices:
    """Write `records` (one owner's) into the stack's images table, removed when `cleanup` closes.
    Each is an outcome notice for the notify function: the answer counts them as they are announced,
    so that the timing can start once notify's work is done."""
    owner = records[0][ImagesTable.OWNER]
    tap = cleanup.enter_context(
        SubscribedQueue(
            target,
            outputs["notifications_topic_arn"],
            {"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"owner": [owner]})},
            name="bench-api",
        )
    )
    dynamodb, table = target.client("dynamodb"), outputs["images_table"]
    cleanup.callback(delete_records, dynamodb, table, [record[ImagesTable.KEY] for record in records])
    seconds = put_records(dynamodb, table, records)
    progress(f"api: {len(records)} records in the stack's images table in {seconds:.2f} s")
    assert tap.queue_url is not None
    return Notices(tap.sqs, tap.queue_url)


def seed_copy(dynamodb: Any, source: str, name: str, records: list[dict[str, Any]], cleanup: ExitStack) -> float:
    """A stream-less copy of table `source` named `name`, holding `records` (deleted when `cleanup`
    closes); the seconds writing them took."""
    dynamodb.create_table(**streamless_copy(dynamodb.describe_table(TableName=source)["Table"], name))
    cleanup.callback(dynamodb.delete_table, TableName=name)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return put_records(dynamodb, name, records)
