"""Deploying a Pulumi project with the replay deployer from a test, and small projects to deploy.

Pulumi's runtime is process-global, so every deploy runs in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNNER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from harness.aws import AwsTarget
    from harness.deploy import DeployError, Project, run_program
    root, stack, endpoint, state, session, overrides = sys.argv[1:7]
    try:
        project, target, settings = Project(Path(root)), AwsTarget(endpoint), json.loads(overrides)
        result = run_program(project, stack, target, Path(state), session or None, overrides=settings)
    except DeployError as error:
        print(json.dumps({"error": str(error)}))
    else:
        print(json.dumps({"outputs": result.outputs, "created": result.created, "updated": result.updated,
                          "unchanged": result.unchanged, "deleted": result.deleted}, default=str))
    """
)


def replay(
    project: Path,
    stack: str,
    endpoint_url: str,
    state: Path,
    session: str = "session-1",
    overrides: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Deploy `project`'s stack (its config with `overrides`) into `endpoint_url` in a fresh process;
    its result or {"error": ...}."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            str(project),
            stack,
            endpoint_url,
            str(state),
            session,
            json.dumps(overrides or {}),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def write_project(folder: Path, body: str, config: dict[str, str] | None = None) -> Path:
    """A Pulumi project `tiny` in `folder`, with stack `test` and the program `body`."""
    (folder / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    lines = ["config:", "  aws:region: us-east-1"] + [f"  {k}: '{v}'" for k, v in (config or {}).items()]
    (folder / "Pulumi.test.yaml").write_text("\n".join(lines) + "\n")
    (folder / "__main__.py").write_text("import pulumi\nimport pulumi_aws as aws\n" + textwrap.dedent(body))
    return folder
