"""The instances tier beside the serverless one in the API section (harness/bench/api.py): the same
caller's list with the same records, through the 3-tier stack's CDN → load balancer → gunicorn on an
instance, interleaved with the serverless route's requests; how many list requests per second one
instance holds (its own gunicorn, 8 clients at once); and how long its instances took from launch to
their first healthy check (the user data's boot, then the target group's checks: 2 passes, 10 s
apart, as declared).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from typing import Any

from handlers.stores.user_store import UserStore
from harness.aws import AwsTarget
from harness.bench import BenchError
from harness.bench.seeding import Notices, seed_stack, seeded_records
from harness.fleet import serving as fleet

THROUGHPUT_CLIENTS = 8
THROUGHPUT_SECONDS = 5.0


def seed_instances_stack(
    outputs: dict[str, Any],
    name: str,
    password: str,
    count: int,
    newest: datetime,
    cleanup: ExitStack,
    progress: Callable[[str], None],
) -> Notices:
    """The caller `name` with `count` records in the 3-tier stack's tables, as in the serverless
    stack's (removed when `cleanup` closes)."""
    target = AwsTarget(outputs["endpoint_url"], outputs["region"])
    users = UserStore(outputs["users_table"], target.client("dynamodb"))
    users.add(name, password)
    cleanup.callback(users.remove, name)
    records = seeded_records(name, count, outputs["images_bucket"], newest)
    return seed_stack(target, outputs, records, cleanup, progress)


def one_instance_throughput(caller_factory: Callable[[str], Any], stack: str) -> dict[str, Any]:
    """List requests per second one instance's gunicorn answers, `THROUGHPUT_CLIENTS` at once."""
    listing = fleet.running(stack)
    if listing is None:
        raise BenchError(f"stack '{stack}' runs no fleet: is it up?")
    instance = listing["balancers"][0]["groups"][0]["instances"][0]
    callers = [caller_factory(instance["url"]) for _ in range(THROUGHPUT_CLIENTS)]
    for caller in callers:
        caller.sign_in()
    counts = [0] * len(callers)
    deadline = time.monotonic() + THROUGHPUT_SECONDS

    def hammer(index: int) -> None:
        while time.monotonic() < deadline:
            callers[index].page()
            counts[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=hammer, args=(index,)) for index in range(len(callers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for caller in callers:
        caller.http.close()
    return {
        "instance": instance["id"],
        "clients": len(callers),
        "seconds": round(elapsed, 1),
        "requests": sum(counts),
        "per_second": round(sum(counts) / elapsed, 1),
    }


def boot_figures(stack: str) -> list[dict[str, Any]]:
    """Each instance's boot (the user data and the service's start) and launch-to-healthy seconds."""
    listing = fleet.running(stack) or {"balancers": []}
    return [
        {"id": row["id"], "boot_s": row["boot_s"], "healthy_after_s": row["healthy_after_s"]}
        for balancer in listing["balancers"]
        for group in balancer["groups"]
        for row in group["instances"]
    ]
