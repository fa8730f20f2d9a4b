"""Which stack the operator's commands act on, and what each of its stages has.

A stack is known by its outputs (the names `__main__.py` exports): the local one's, as
`python -m harness outputs` prints them (with the emulator's `endpoint_url`), or an AWS one's, the
JSON object of `pulumi stack output --json` in a file, reached with the caller's own credentials
(boto3's default chain) in the file's `region`, else the caller's configured one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from harness.aws import AwsTarget
from harness.stack_outputs_file import OutputsFileError, aws_stack

# read_timeout: longer than the notify function may run (30 s), which `redrive notify` invokes.
AWS_CLIENT = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=90)

# The outputs the operator's commands read besides each stage's.
NOTIFY_FAILURES = "notify_failures_url"  # where the notify stage's stream failures are described
COMMAND_REJECTIONS = "command_rejections_url"  # invalid commands, each with its reason
ALERTS_TOPIC = "alerts_topic_arn"  # what every alarm of the stack tells
IMAGES_TABLE = "images_table"  # whose stream the notify stage reads
WEB_FUNCTION = "web_function"  # the serverless web tier's function (none on the instances tier)

Clients = Callable[[str], Any]
"""A boto3 client by service name (`clients("sqs")`)."""


class OpsError(RuntimeError):
    """Something the operator can fix or should know (a stage the stack does not have, an outputs file
    that cannot be read, a move that failed): one line saying which and why."""


@dataclass(frozen=True)
class Stage:
    """A stage of the pipeline, by the outputs naming its queue and its function. The notify stage
    reads the images table's stream: it has no queue, and what it could not do is described in the
    notify failures queue."""

    name: str
    function_output: str
    queue_output: str | None

    @property
    def is_stream(self) -> bool:
        return self.queue_output is None


STAGES = (
    Stage("ingest", "ingest_function", "ingest_queue_url"),
    Stage("enhance", "enhance_function", "enhance_queue_url"),
    Stage("removal", "removal_function", "removal_queue_url"),
    Stage("notify", "notify_function", None),
    Stage("mail", "mail_function", "mail_queue_url"),
    Stage("metadata", "metadata_function", "metadata_queue_url"),
    Stage("review", "review_function", "review_queue_url"),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def stage_named(name: str) -> Stage:
    """The stage called `name`; anything else is an error naming the stages there are."""
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise OpsError(f"no stage {name!r}: the stages are {', '.join(STAGE_NAMES)}")


@dataclass(frozen=True)
class Deployed:
    """A deployed stack: its outputs, clients for its account and region, and, for a stack in the
    emulator, the emulator's endpoint (its SQS lists a queue's messages without receiving them)."""

    outputs: Mapping[str, Any]
    clients: Clients
    emulator_url: str | None = None
    described_as: str = field(default="the stack", compare=False)

    def output(self, name: str) -> str:
        """The output `name`, which the stack must have."""
        value = self.outputs.get(name)
        if not isinstance(value, str) or not value:
            raise OpsError(f"{self.described_as} has no {name} output: redeploy it")
        return value

    def has(self, name: str) -> bool:
        return isinstance(self.outputs.get(name), str) and bool(self.outputs[name])

    def stages(self) -> list[Stage]:
        """The stages this stack has (no mail stage without a sender address)."""
        return [stage for stage in STAGES if self.has(stage.function_output)]

    def stage(self, name: str) -> Stage:
        stage = stage_named(name)
        if not self.has(stage.function_output):
            raise OpsError(
                f"{self.described_as} has no {name} stage (no {stage.function_output} output)"
                + (": the mail stage needs imagepipe:senderEmail" if name == "mail" else "")
            )
        return stage

    def function_names(self) -> list[str]:
        """Every function of the stack: each stage's, then the web tier's when serverless."""
        outputs = [stage.function_output for stage in self.stages()]
        return [self.output(name) for name in [*outputs, WEB_FUNCTION] if self.has(name)]


def local(outputs: Mapping[str, Any], name: str = "local") -> Deployed:
    """The stack deployed in the emulator, from its outputs (`endpoint_url`, `region` and the rest)."""
    target = AwsTarget(outputs["endpoint_url"], outputs["region"])
    return Deployed(outputs, target.client, target.endpoint_url, f"the local stack '{name}'")


def on_aws(path: Path) -> Deployed:
    """The AWS stack whose outputs `path` holds, with boto3's default credentials; the region is the
    file's `region` when it has one, else the caller's AWS configuration's."""
    try:
        outputs, session = aws_stack(path)
    except OutputsFileError as error:
        raise OpsError(str(error)) from None

    @cache
    def client(service: str) -> Any:
        make_client = cast("Callable[..., Any]", session.client)
        return make_client(service, config=AWS_CLIENT)

    return Deployed(outputs, client, None, f"the stack of {path}")


def queue_name(url_or_arn: str) -> str:
    """A queue's name, from its URL (`…/<account>/<name>`) or ARN (`…:<account>:<name>`)."""
    return url_or_arn.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


@contextmanager
def talking_to(deployed: Deployed) -> Iterator[None]:
    """Turn what the endpoint or boto3 answers into an OpsError of one line that says what to do."""
    try:
        yield
    except NoCredentialsError:
        raise OpsError(
            "no AWS credentials: set them as for the AWS CLI (AWS_PROFILE, ~/.aws/credentials, environment, SSO)"
        ) from None
    except EndpointConnectionError as error:
        hint = ": is the emulator running? (`python -m harness up`)" if deployed.emulator_url else ""
        raise OpsError(f"cannot reach {deployed.described_as} at {error.kwargs.get('endpoint_url')}{hint}") from None
    except ClientError as error:
        raise OpsError(f"{deployed.described_as}: {error}") from None
    except BotoCoreError as error:
        raise OpsError(f"{deployed.described_as}: {error}") from None
