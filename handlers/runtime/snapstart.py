"""Lambda SnapStart (python3.12+ runtimes, the stack setting `imagepipe:lambdaSnapStart`): what an
entry point does at import when its init phase is the one Lambda snapshots.

With SnapStart, Lambda runs a published version's init once, snapshots the execution environment's
memory and disk, and starts every later environment of that version from a copy of the snapshot.
The work a first call would do (importing boto3, making clients, building the web app) is therefore
done during init, so that it is in the snapshot and no restored copy pays for it; without SnapStart
it waits for the first call (handlers/runtime/stage.py says why). Lambda tells the init apart by
`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`, and its runtime offers hooks through the
`snapshot_restore_py` module, which exists only in Lambda's python3.12+ runtime: it is imported only
then, and its absence then is an error.

What every restored copy must not share with its siblings, fixed in the after-restore hook:

- Python's `random` state. It is a PRNG seeded once at import, so every copy would draw the same
  numbers: botocore's retry jitter (copies retrying a throttled call in lock-step) and Powertools'
  log sampling among them. It is reseeded from the operating system's randomness. (`secrets`,
  `uuid.uuid4` and `os.urandom`, which make our ids, salts, tokens and session keys, read the
  kernel's generator, which Lambda makes unique to each restored copy: nothing to do for them.)
- Decisions made from that state during init: Powertools' Logger decides at construction whether
  this environment logs at DEBUG (`POWERTOOLS_LOGGER_SAMPLE_RATE`); each copy decides again (the
  `after_restore` callables the entry points pass).

What is deliberately kept: the SDK clients and the idempotency store. Their credentials are not in
the snapshot as values: with SnapStart, Lambda serves the function's credentials through the
container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with
`AWS_CONTAINER_AUTHORIZATION_TOKEN`) instead of `AWS_ACCESS_KEY_ID`/..., and botocore's container
provider hands clients refreshable credentials that it fetches again before they expire. A pooled
HTTP connection left in the snapshot (the web app reads its session key during init) is dead by the
time a copy reuses it: urllib3 sees it closed and reconnects, or the request fails with a connection
error that botocore's retries repeat on a new connection. The session key itself is the stack's one
key, the same for every copy by design.
"""

from __future__ import annotations

import gc
import os
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"
RUNTIME_HOOKS = "snapshot_restore_py"
"""The module of Lambda's python3.12+ runtime that registers snapshot and restore hooks."""


class SnapStartUnavailable(RuntimeError):
    """The init is a SnapStart one, but the runtime's hooks module cannot be imported."""


def snap_starting(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this init is the one Lambda snapshots (SnapStart)."""
    return environ.get(INITIALIZATION_TYPE) == SNAP_START


def prepare_snapshot(warm: Callable[[], Any], after_restore: Iterable[Callable[[], None]] = ()) -> bool:
    """In a SnapStart init: `warm()` now, so what it makes is in the snapshot, and register the
    hooks (before the snapshot: collect init's garbage; after each restore: reseed `random`, then the
    `after_restore` callables in order). Elsewhere nothing at all; answers whether it prepared."""
    if not snap_starting():
        return False
    hooks = _runtime_hooks()
    warm()
    hooks.register_before_snapshot(before_snapshot)
    restore_steps = tuple(after_restore)

    def restored() -> None:
        reseed()
        for step in restore_steps:
            step()

    hooks.register_after_restore(restored)
    return True


def before_snapshot() -> None:
    """Free init's reference cycles, so the snapshot (which every cold start loads) is no larger."""
    gc.collect()


def reseed() -> None:
    """Give this restored copy its own `random` sequence (seeded from os.urandom)."""
    random.seed()


def _runtime_hooks() -> Any:
    try:
        import snapshot_restore_py  # type: ignore[import-not-found]  # only in Lambda's python3.12+ runtime
    except ImportError as error:
        raise SnapStartUnavailable(
            f"{INITIALIZATION_TYPE}={SNAP_START}, but the runtime has no {RUNTIME_HOOKS} module "
            f"({error}): SnapStart needs Lambda's python3.12 or python3.13 runtime "
            "(set imagepipe:lambdaRuntime, or turn imagepipe:lambdaSnapStart off)"
        ) from error
    return snapshot_restore_py
