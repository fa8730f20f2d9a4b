"""CloudFront Functions, as the replay deployer records them for the harness's CDN edge (nothing is
created in the emulator: harness/deploy/provisioners/cloudfront.py says why). The edge runs a
function's published code under node on the requests of the behaviours it is associated with
(harness/edge/functions.py).

Checked as CloudFront checks them: a name of 1 to 64 letters, digits, `-` and `_`; runtime
`cloudfront-js-1.0` or `-2.0`; code of at most 10 KB. Only the published (LIVE) code runs, so a
function must be published; key value stores are not supported by the edge (an input naming one is
refused).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

from harness.deploy.inputs import DeployError, Inputs, UnsupportedInput
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deploy.provisioners.cloudfront_policies import only
from harness.deployed.stack_state import ResourceRecord
from harness.edge import model
from harness.edge.functions import MAX_CODE_BYTES, RUNTIMES

_NAME: Final = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True)
class FunctionSpec:
    """A function: its name, comment, runtime and code."""

    name: str
    comment: str
    runtime: str
    code: str


class Function(Provisioner[FunctionSpec]):
    """A CloudFront Function, published: what the edge runs for the behaviours that name its ARN."""

    type_token = model.FUNCTION_TYPE

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> FunctionSpec:
        spec = FunctionSpec(
            physical_name(inputs, name, previous),
            inputs.take("comment", ""),
            only(inputs, "runtime", RUNTIMES),
            inputs.take("code"),
        )
        if not inputs.take("publish", True):
            raise UnsupportedInput(f"{inputs.where}: input 'publish' = false: the edge runs published functions only")
        if inputs.take("keyValueStoreAssociations", []):
            raise UnsupportedInput(
                f"{inputs.where}: input 'keyValueStoreAssociations': the edge has no key value store"
            )
        return spec

    def validate(self, where: str, spec: FunctionSpec) -> None:
        if not _NAME.match(spec.name):
            raise DeployError(
                f"{where}: CloudFront refuses the function name {spec.name!r} (1-64 of a-z, 0-9, - and _)"
            )
        size = len(spec.code.encode())
        if not 0 < size <= MAX_CODE_BYTES:
            raise DeployError(f"{where}: the function's code is {size} bytes; CloudFront takes 1 to {MAX_CODE_BYTES}")

    def apply(self, ctx: Context, spec: FunctionSpec, previous: ResourceRecord | None) -> Applied:
        arn = f"arn:aws:cloudfront::{ctx.account}:function/{spec.name}"
        etag = hashlib.sha256(f"{spec.runtime}\n{spec.code}".encode()).hexdigest()[:14].upper()
        edge = model.EdgeFunction(spec.name, arn, spec.runtime, spec.code, etag)
        return Applied(
            spec.name,
            {
                "name": spec.name,
                "comment": spec.comment,
                "runtime": spec.runtime,
                "code": spec.code,
                "publish": True,
                "arn": arn,
                "etag": etag,
                "liveStageEtag": etag,
                "status": "DEPLOYED",
                "edge": edge.to_json(),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        """Nothing exists outside the deploy state: forgetting the record deletes it."""
