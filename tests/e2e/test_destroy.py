"""`pulumi destroy` then `pulumi up` with the same prefix (issue 21, item 6): the whole program,
deployed as a stack of its own beside the session's, destroyed, and deployed again under the same
names. Secrets Manager keeps a deleted secret's name while its recovery window runs (7 to 30 days;
the replay deployer's provisioner keeps it so too), so a stack whose secret had one could not come
back until then."""

from __future__ import annotations

import contextlib
import uuid

import pytest

from harness.deploy import destroy_stack
from tests.replaying import ROOT, replay


@pytest.fixture
def stack_again(emulator, tmp_path):
    """The program under a prefix of its own, as an AWS stack is set (no forceDestroy), its SES
    identities its own; whatever is left of it is destroyed afterwards."""
    prefix = f"imagepipe-again-{uuid.uuid4().hex[:6]}"
    settings = {
        "imagepipe:namePrefix": prefix,
        "imagepipe:imagesBucketName": f"{prefix}-images",
        "imagepipe:forceDestroy": "false",
        "imagepipe:senderEmail": f"{prefix}@example.com",
        "imagepipe:ownerEmails": "{}",
        "imagepipe:alertEmails": "[]",
    }
    state = tmp_path / "state.json"

    def deploy() -> dict:
        return replay(
            ROOT, "local", emulator.endpoint_url, state, session=f"again-{uuid.uuid4().hex}", overrides=settings
        )

    yield prefix, state, deploy
    with contextlib.suppress(FileNotFoundError):
        destroy_stack(emulator.target(), state)


def _left(emulator, prefix: str) -> list[str]:
    """Every function, role, table, queue, topic and secret of the emulator named with `prefix`."""
    listings = [
        ("lambda", "list_functions", {}, "Functions", lambda f: f["FunctionName"]),
        ("iam", "list_roles", {}, "Roles", lambda r: r["RoleName"]),
        ("dynamodb", "list_tables", {}, "TableNames", lambda name: name),
        ("sqs", "list_queues", {}, "QueueUrls", lambda url: url.rsplit("/", 1)[1]),
        ("sns", "list_topics", {}, "Topics", lambda t: t["TopicArn"].rsplit(":", 1)[1]),
        ("secretsmanager", "list_secrets", {"IncludePlannedDeletion": True}, "SecretList", lambda s: s["Name"]),
    ]
    named = []
    for service, operation, arguments, key, name in listings:
        for page in emulator.client(service).get_paginator(operation).paginate(**arguments):
            named += [name(item) for item in page.get(key, [])]
    return sorted(name for name in named if name.startswith(prefix))


def test_a_destroyed_stack_deploys_again_under_the_same_names(emulator, stack_again):
    prefix, state, deploy = stack_again
    first = deploy()
    assert "error" not in first, first
    assert _left(emulator, prefix), "the first deploy made nothing under its prefix"

    destroy_stack(emulator.target(), state)
    assert _left(emulator, prefix) == []  # nothing kept, the secret's name included

    again = deploy()
    assert "error" not in again, again
    assert again["created"] == first["created"]
