"""A Pulumi program run under Pulumi's mock runtime: the one place that calls the runtime's private
entry points (`run_pulumi_func`, `_sync_await`), which the public mocks API (`set_mocks`) leaves to
its callers. The replay deployer provisions through its mocks (harness/deploy), the component tests
record through theirs (tests/unit/components).

Pulumi's runtime is process-global: a process runs one program, once.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pulumi
from pulumi.runtime.stack import Stack, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await


def run_mocked(
    program: Callable[[], Mapping[str, Any] | None],
    mocks: pulumi.runtime.Mocks,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    monitor: Any = None,
) -> dict[str, Any]:
    """Run `program` (a function that declares resources) under `mocks` with the stack's `config`
    (`ns:key` → string); the outputs it returns, or else the stack's exports, resolved."""
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(dict(config or {}))
    root = cast(Stack, pulumi.runtime.get_root_resource())  # set_mocks made it: the stack's root resource
    returned: dict[str, Any] = {}

    def declare() -> None:
        returned.update(program() or {})

    _sync_await(run_pulumi_func(declare))
    wanted = returned or root.outputs or {}
    outputs = _sync_await(pulumi.Output.all(**wanted).future()) if wanted else {}
    if outputs is None:  # not a preview: every output is known (future() is None for unknowns only)
        raise RuntimeError("the program's outputs are unknown under the mocks")
    return outputs


def main_of(project_root: Path) -> Callable[[], None]:
    """The project's `__main__.py` as a program."""

    def run() -> None:
        runpy.run_path(str(project_root / "__main__.py"), run_name="__main__")

    return run


@contextmanager
def in_project(project_root: Path) -> Iterator[None]:
    """The project's folder as the working directory and first on the path, as the Pulumi CLI runs a
    program, for the whole run: the mocks resolve its relative paths (a FileArchive) later."""
    sys.path.insert(0, str(project_root))
    cwd = os.getcwd()
    os.chdir(project_root)
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path.remove(str(project_root))
