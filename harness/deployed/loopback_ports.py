"""Loopback ports the stack's resources are served on by the harness (the CDN edge serves each
distribution on one), given out by the deployer so that each keeps its port from deploy to deploy.

A resource served on a port records it as its `localPort` output; a deploy starts from the ports the
stack's previous deploy recorded, so a new resource never takes one that an unchanged resource holds.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from typing import Final

from harness.deployed.stack_state import StackState

LOCAL_PORT_OUTPUT: Final = "localPort"


class PortsExhausted(RuntimeError):
    """Every port of the range is held or taken by another process."""


class LoopbackPorts:
    """The ports held by the stack's resources; `claim` gives out the lowest free one of a range."""

    def __init__(self, held: Iterable[int] = ()) -> None:
        self._held = set(held)
        self._lock = threading.Lock()

    @classmethod
    def held_in(cls, state: StackState | None) -> LoopbackPorts:
        """The ports the resources of `state` (a previous deploy's) hold."""
        records = state.resources.values() if state is not None else ()
        return cls(int(r.outputs[LOCAL_PORT_OUTPUT]) for r in records if LOCAL_PORT_OUTPUT in r.outputs)

    def claim(self, first: int, last: int) -> int:
        """The lowest port in `first`..`last` that no resource holds and nothing listens on now."""
        with self._lock:
            for port in range(first, last + 1):
                if port not in self._held and bindable(port):
                    self._held.add(port)
                    return port
        raise PortsExhausted(f"no free loopback port in {first}-{last}: each is held or in use")

    def release(self, port: int) -> None:
        with self._lock:
            self._held.discard(port)

    def held(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._held)


def bindable(port: int) -> bool:
    """Whether a server could listen on `port` on loopback now (nothing holds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback port nothing listens on now (the system's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(port: int) -> bool:
    """Whether something accepts connections on loopback `port` now."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
