"""`python -m harness.fleet --state PATH --listing FILE --folder DIR`: run the instances tier of the
deploy state at PATH (balancer stand-ins, fleets of local instances) until SIGTERM or SIGINT, the
listing in FILE, the instances under DIR. Started and stopped by `python -m harness up`/`down`
(harness/fleet/serving.py)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from harness.fleet.deployed import TierError
from harness.fleet.runner import TierRunner

STEP_SECONDS = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.fleet", description=__doc__.split("\n")[0])
    parser.add_argument("--state", type=Path, required=True, help="the stack's deploy state (JSON)")
    parser.add_argument("--listing", type=Path, required=True, help="where to keep the fleet's listing (JSON)")
    parser.add_argument("--folder", type=Path, required=True, help="where the instances' folders go")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = TierRunner(args.state, args.folder, args.listing, args.region)
    try:
        runner.start()
    except (TierError, OSError, ClientError, BotoCoreError) as error:
        print(f"error: {args.state}: {error}", file=sys.stderr, flush=True)
        runner.stop()
        return 2
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    urls = ", ".join(running.url for running in runner.running)
    print(f"fleet serving {urls} (state {args.state})", file=sys.stderr, flush=True)
    try:
        while not stopping.is_set():
            runner.step()
            stopping.wait(STEP_SECONDS)
    finally:
        runner.stop()
        args.listing.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
