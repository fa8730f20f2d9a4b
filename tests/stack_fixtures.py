"""The deployed stack's fixtures, shared by the end-to-end tests (tests/e2e) and the browser tests
(tests/browser) as a plugin (`pytest_plugins` in tests/conftest.py): one emulator and one deployed
stack for the whole session, whichever of them run, and per test everything a test writes or reads
in it kept apart from every other test's.

`emulator` starts the embedded emulator (installing it first if needed) on IMAGEPIPE_PORT (default
4566), or attaches to the one at IMAGEPIPE_ENDPOINT if that is set (e.g. LocalStack in Docker, or one
left running by `python -m harness up`). It stops the emulator at the end only if it started it.
`stack` deploys the pipeline into it.

The IAM check (`iam_check`, automatic for every test that uses the emulator): after each test,
every AWS call a function made with its role's credentials since the last check is judged against
that role's policies as deployed (harness/permissions); a call AWS would refuse fails the test,
naming the function, the action and the resource. LocalStack community enforces no IAM, so this is
what stands for AWS's refusal here. It needs the embedded emulator's recorder; against an attached
emulator there are no calls to judge.

Per test: `upload` (a maker: uploads under the test's own owner, waits for outcomes, removes all of
it afterwards), `web_user` (a maker: users of the web tier signed in at the CDN, removed afterwards),
`tap` (a maker: a filtered subscription to one of the stack's topics, removed
afterwards) and `mailbox` (the mail the emulator's SES sent about the test's uploads, deleted
afterwards).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from harness import emulator as embedded
from harness.aws import AwsTarget
from harness.cli import DEFAULT_STACK
from harness.deploy import Project
from harness.edge import serving as edge_process
from harness.emulator import DEFAULT_PORT, Emulator, EmulatorError
from harness.fleet import serving as fleet_process
from harness.notice_tap import NoticeTap, sent_mail
from harness.permissions import CallLog, PermissionCheck
from tests.e2e.uploading import Uploads, new_owner
from tests.e2e.web_users import WebUsers

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def emulator() -> Emulator:
    url = os.environ.get("IMAGEPIPE_ENDPOINT", "").strip()
    if url:
        try:
            yield embedded.attach(url)
        except EmulatorError as error:
            pytest.fail(str(error), pytrace=False)
        return
    port = int(os.environ.get("IMAGEPIPE_PORT") or DEFAULT_PORT)
    already = embedded.running(port)
    try:
        emu = already or embedded.start(port, progress=lambda line: print(line, flush=True))
    except EmulatorError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield emu
    finally:
        if already is None:  # the session started it: it stops it, and the CDN edge `up` started
            edge_process.stop_all()
            fleet_process.stop_all()
            embedded.stop(port)


@dataclass
class IamCheck:
    """The calls made with the stack's roles' credentials since the last judgement, and who judges."""

    emulator: Emulator
    log: CallLog
    role_prefixes: tuple[str, ...]  # the stacks' roles (their names start with the stack's prefix)

    def judge(self, ses_sandbox: bool) -> None:
        check = PermissionCheck(self.emulator.client("iam"), self.role_prefixes, ses_sandbox=ses_sandbox)
        refusals = check.refusals(self.log.read_new())
        if refusals:
            lines = "\n".join(f"- {refusal}" for refusal in refusals)
            pytest.fail(f"AWS would refuse these calls (IAM check, harness/permissions):\n{lines}", pytrace=False)


@pytest.fixture(scope="session")
def role_calls(emulator: Emulator) -> Iterator[IamCheck]:
    """The calls of the stack's roles from here on; the last ones are judged at the end."""
    prefixes = tuple(f"{Project(ROOT).stack_config(name)['imagepipe:namePrefix']}-" for name in WEB_STACKS)
    check = IamCheck(emulator, CallLog(embedded.layout().role_calls(emulator.port)), prefixes)
    check.log.skip_to_end()  # an emulator left running holds calls judged (or not) by an earlier session
    yield check
    check.judge(ses_sandbox=False)


@pytest.fixture(autouse=True)
def iam_check(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test after which a function's call would have been refused by AWS (see above)."""
    if "emulator" not in request.fixturenames:
        yield
        return
    check = request.getfixturevalue("role_calls")
    yield
    sandbox = "stack" in request.fixturenames and bool(request.getfixturevalue("stack").outputs.get("ses_sandbox"))
    check.judge(ses_sandbox=sandbox)


@dataclass
class DeployedStack:
    """The pipeline deployed into the session's emulator, as a client sees it."""

    emulator: Emulator
    outputs: dict
    name: str = DEFAULT_STACK

    @cached_property
    def target(self) -> AwsTarget:
        """The stack's endpoint; one for the session, so its clients are made once."""
        return AwsTarget(self.outputs["endpoint_url"], self.outputs["region"])

    @property
    def bucket(self) -> str:
        return self.outputs["images_bucket"]

    @property
    def table(self) -> str:
        return self.outputs["images_table"]

    def read(self, key: str) -> bytes:
        """The object `key` of the images bucket."""
        return self.target.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def exists(self, key: str) -> bool:
        """Whether the images bucket holds `key`."""
        listing = self.target.client("s3").list_objects_v2(Bucket=self.bucket, Prefix=key)
        return any(o["Key"] == key for o in listing.get("Contents", []))

    def deploy(self) -> str:
        return deploy(self.emulator)


def harness_process(*args: str) -> str:
    """Run `python -m harness ARGS` (a process of its own: Pulumi's runtime is process-global)."""
    result = subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, f"harness {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def deploy(emu: Emulator) -> str:
    return harness_process("up", "--endpoint", emu.endpoint_url)


# The stacks the web tier's suites run against (`pytest.mark.parametrize("stack", WEB_STACKS,
# indirect=True)`): the serverless tier and the instances tier (seed 003), both in the one emulator.
WEB_STACKS = (DEFAULT_STACK, "local-instances")


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, emulator: Emulator) -> DeployedStack:
    """The stack deployed (`python -m harness up`): the default one, or the parameter's. Both stay
    up for the session: destroying one would take the SES identities both stacks declare (the same
    sender and owners' addresses in one account) from the other."""
    name = getattr(request, "param", DEFAULT_STACK)
    harness_process("up", "--endpoint", emulator.endpoint_url, "--stack", name)
    return DeployedStack(emulator, json.loads(harness_process("outputs", "--stack", name)), name)


@pytest.fixture
def harness(
    stack: DeployedStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., str]:
    """`python -m harness ARGS` run in this process on this session's stack (its outputs, not the
    deploy state file, which every emulator on the machine shares): what it printed (it must succeed)."""
    from harness import cli

    monkeypatch.setattr(cli, "stack_outputs", lambda name: stack.outputs)

    def run(*argv: str) -> str:
        status = cli.main(list(argv))
        captured = capsys.readouterr()
        assert status == 0, captured.err
        return captured.out

    return run


@pytest.fixture
def upload(stack: DeployedStack) -> Iterator[Uploads]:
    """A maker of this test's uploads: `upload(file_name, data, content_type)` puts the file at
    `uploads/<upload.owner>/<file_name>` (`owner=` for another owner) and returns its record once
    terminal; `upload.put` / `upload.outcome` / `upload.wait_for` split that up. Afterwards every
    upload made (or adopted) is deleted, with its published variants and its image record."""
    uploads = Uploads(stack, new_owner())
    yield uploads
    uploads.remove_all()


@pytest.fixture
def web_user(stack: DeployedStack) -> Iterator[WebUsers]:
    """A maker of this test's web users: `web_user(name, role=..., email=...)` adds one to the
    stack's users table and answers them signed in at the CDN; every one is removed afterwards."""
    users = WebUsers(stack)
    yield users
    users.remove_all()


@pytest.fixture
def tap(stack: DeployedStack) -> Iterator[Callable[..., Callable[[], list]]]:
    """A maker: `received = tap("notifications_topic_arn", {"owner": [...]})` subscribes a queue of
    its own to that stack topic with that filter policy; `received()` is every message so far, as
    (body, attributes), waiting up to a second for more. Unsubscribed and deleted afterwards."""
    with ExitStack() as taps:

        def make(topic_output: str, filter_policy: dict | None = None) -> Callable[[], list]:
            return taps.enter_context(NoticeTap(stack.target, stack.outputs[topic_output], filter_policy)).received

        yield make


@pytest.fixture
def mailbox(stack: DeployedStack) -> Iterator[Callable[[str, str], list[dict[str, Any]]]]:
    """`mailbox(address, about)`: the mail the emulator's SES sent to `address` whose text mentions
    `about` (e.g. an upload key of this test's). The mail read is deleted from the emulator
    afterwards. With the stack's SES in its sandbox (output `ses_sandbox`), every mail the emulator
    sent must have gone from and to verified identities, as AWS's sandbox allows, or the test fails
    naming the mail (harness/notice_tap.py)."""
    endpoint = stack.outputs["endpoint_url"]
    sandbox = stack.target if stack.outputs.get("ses_sandbox") else None
    read: set[str] = set()

    def mail(address: str, about: str) -> list[dict[str, Any]]:
        found = [
            m
            for m in sent_mail(endpoint, sandbox) or []
            if address in m["Destination"]["ToAddresses"] and about in m["Body"]["text_part"]
        ]
        read.update(m["Id"] for m in found)
        return found

    yield mail
    for message_id in read:
        url = f"{endpoint}/_aws/ses?{urllib.parse.urlencode({'id': message_id})}"
        with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10):
            pass
