"""What every provisioner is: the code that makes one Pulumi resource type real in the emulator, by
reading a resource's inputs into a spec of what is to be applied, then applying the spec."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast

from harness import polling
from harness.aws import AwsTarget
from harness.deploy.inputs import DeployError, Inputs
from harness.deployed.loopback_ports import LoopbackPorts
from harness.deployed.stack_state import ResourceRecord

T = TypeVar("T")
S = TypeVar("S")


@dataclass
class Context:
    """The emulator the resources go to, and the loopback ports the harness serves the stack's
    resources on (the CDN edge's), as the previous deploy left them."""

    target: AwsTarget
    ports: LoopbackPorts = field(default_factory=LoopbackPorts)
    _account: str | None = None

    @property
    def region(self) -> str:
        return self.target.region

    @property
    def account(self) -> str:
        """The account the endpoint says we are (LocalStack's 000000000000, moto's 123456789012)."""
        if self._account is None:
            self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    def client(self, service: str) -> Any:
        return self.target.client(service)

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"

    def execute_api_url(self, api_id: str, stage: str) -> str:
        """Where the endpoint serves a REST API's stage: LocalStack's `/_aws/execute-api/<api>/<stage>`
        form under the endpoint URL, which needs no DNS (AWS's is https://<api>.execute-api.<region>
        .amazonaws.com/<stage>). moto records the API but does not serve it there."""
        return f"{self.target.endpoint_url.rstrip('/')}/_aws/execute-api/{api_id}/{stage}"


@dataclass(frozen=True)
class Applied:
    """The result of provisioning: the physical id and the outputs the program sees."""

    id: str
    outputs: dict[str, Any]


class Provisioner(Generic[S]):
    """Creates, updates and deletes one resource type. `read` takes every input it applies from
    `inputs` into a spec (S: a frozen dataclass of what is to be applied), without calling AWS;
    `apply` is "make it so": with `previous` it updates what exists (or replaces it), without it
    creates. `provision` runs the two, refusing the resource before anything is applied if any
    input is left unread or `validate` refuses the spec."""

    type_token: ClassVar[str]

    def provision(self, ctx: Context, name: str, inputs: Inputs, previous: ResourceRecord | None) -> Applied:
        """Read the resource's inputs, refuse any input not read, validate the spec, then apply it."""
        spec = self.read(name, inputs, previous)
        inputs.check_all_taken()
        self.validate(inputs.where, spec)
        return self.apply(ctx, spec, previous)

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> S:
        raise NotImplementedError(f"{type(self).__name__} must implement read")

    def validate(self, where: str, spec: S) -> None:
        """Refuse (with a DeployError naming `where`) a spec whose inputs were each read but which
        cannot be applied as a whole; none is refused unless a provisioner says otherwise."""

    def apply(self, ctx: Context, spec: S, previous: ResourceRecord | None) -> Applied:
        raise NotImplementedError(f"{type(self).__name__} must implement apply")

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement delete")


def physical_name(
    inputs: Inputs,
    logical: str,
    previous: ResourceRecord | None,
    *,
    key: str = "name",
    max_length: int = 64,
    lowercase: bool = False,
) -> str:
    """The resource's physical name: the one declared, else the one given last time, else Pulumi-style
    auto-naming (`<logical name>-<7 hex>`)."""
    declared: str | None = inputs.take(key, None)
    if declared:
        return declared
    if previous is not None:
        return cast(str, previous.outputs[key])
    base = logical.lower() if lowercase else logical
    return f"{base[: max_length - 8]}-{secrets.token_hex(4)[:7]}"


def wait_until(check: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll `check` until it returns something truthy; raise DeployError naming `what` on timeout."""
    return polling.wait_until(check, timeout=timeout, max_interval=1.0, what=what, error=DeployError)
