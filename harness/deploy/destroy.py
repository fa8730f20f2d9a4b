"""`pulumi destroy` for the replay deployer: every resource a stack's state lists is deleted, newest
first (so nothing is deleted while something made after it still names it), and dropped from the
state as soon as it is gone, so that a destroy that fails part-way can be run again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.aws import AwsTarget
from harness.deploy.provisioners import PROVISIONERS, Context
from harness.deployed.loopback_ports import LoopbackPorts
from harness.deployed.stack_state import StackState


def destroy_stack(target: AwsTarget, state_path: Path, progress: Callable[[str], None] = lambda _: None) -> int:
    """Delete what the state at `state_path` lists from `target`; how many resources were deleted.
    The state file is removed once the stack holds nothing."""
    state = StackState.load(state_path)
    if state is None:
        return 0
    context = Context(target, ports=LoopbackPorts.held_in(state))
    deleted = 0
    for key, record in reversed(list(state.resources.items())):
        progress(f"  {'deleted':9} {record.type.split(':')[-1]:24} {record.id}")
        PROVISIONERS[record.type].delete(context, record)
        del state.resources[key]
        state.save(state_path)
        deleted += 1
    state_path.unlink()
    return deleted
