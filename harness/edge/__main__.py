"""`python -m harness.edge --state PATH`: serve the distributions of the deploy state at PATH until
SIGTERM or SIGINT. Started and stopped by `python -m harness up`/`down` (harness/edge/serving.py)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from harness.edge.server import EdgeServer
from harness.edge.stack import EdgeConfigError, load_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.edge", description=__doc__.split("\n")[0])
    parser.add_argument("--state", type=Path, required=True, help="the stack's deploy state (JSON)")
    parser.add_argument("--region", default="us-east-1", help="region of S3 origins that name none")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        stack = load_stack(args.state)
    except (EdgeConfigError, OSError, ValueError, KeyError) as error:
        print(f"error: {args.state}: {error}", file=sys.stderr, flush=True)
        return 2
    if not stack.sites:
        print(f"error: {args.state} records no distribution to serve", file=sys.stderr, flush=True)
        return 2
    server = EdgeServer(stack, args.region)
    try:
        server.start()
    except OSError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 3
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    print(f"edge serving {', '.join(server.urls)} (emulator {stack.endpoint_url})", file=sys.stderr, flush=True)
    stopping.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
