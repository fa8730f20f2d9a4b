"""Loopback ports given out to the resources the harness serves (the CDN edge's distributions)."""

from __future__ import annotations

import socket

import pytest

from harness.deployed.loopback_ports import LoopbackPorts, PortsExhausted
from harness.deployed.stack_state import ResourceRecord, StackState


def _free_range(size: int) -> tuple[int, int]:
    """`size` consecutive ports nothing listens on now (found by binding them)."""
    for first in range(47000, 48000, size):
        probes = []
        try:
            for port in range(first, first + size):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
        return first, first + size - 1
    raise AssertionError("no free range of ports to test with")


def test_the_lowest_free_port_is_claimed_once_and_given_again_once_released():
    first, last = _free_range(3)
    ports = LoopbackPorts()
    assert [ports.claim(first, last) for _ in range(3)] == [first, first + 1, first + 2]
    with pytest.raises(PortsExhausted, match=f"{first}-{last}"):
        ports.claim(first, last)
    ports.release(first + 1)
    assert ports.claim(first, last) == first + 1


def test_a_port_another_process_listens_on_is_skipped():
    first, last = _free_range(2)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first))
        taken.listen()
        assert LoopbackPorts().claim(first, last) == first + 1


def test_the_ports_of_the_last_deploy_stay_held():
    first, last = _free_range(3)
    record = ResourceRecord("aws:cloudfront/distribution:Distribution", "cdn", "E1", "", {"localPort": first})
    other = ResourceRecord("aws:sqs/queue:Queue", "q", "q", "", {"url": "http://x"})
    ports = LoopbackPorts.held_in(StackState("s", "http://e", None, {"a": record, "b": other}))
    assert ports.held() == {first}
    assert ports.claim(first, last) == first + 1
    assert LoopbackPorts.held_in(None).held() == frozenset()
