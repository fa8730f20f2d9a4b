"""The API's deployment is remade whenever what its stage would call changes (issue 21, item 2): a
REST API stage serves the snapshot its deployment took, so a deployment kept across a changed
route, integration or permission leaves the live stage calling the old target. pulumi-aws's
`apigateway.Deployment` docs warn that resource ids, which the trigger hashed, do not change on an
in-place update; the trigger now digests every property the provider reports for them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import components.package
from tests.unit.components.conftest import Recorded, run_program

DEPLOYMENT = "aws:apigateway/deployment:Deployment"
METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
PERMISSION = "aws:lambda/permission:Permission"


def routes_trigger(program: Recorded) -> str:
    (deployment,) = program.of_type(DEPLOYMENT).values()
    return deployment["triggers"]["routes"]


def test_the_same_program_keeps_its_deployment(program: Recorded) -> None:
    assert routes_trigger(run_program()) == routes_trigger(program)


@pytest.mark.parametrize(
    ("type_token", "changed"),
    [
        (METHOD, {"authorization": "AWS_IAM"}),
        (METHOD, {"apiKeyRequired": True}),
        (METHOD, {"requestParameters": {"method.request.header.X-Trace": False}}),
        (INTEGRATION, {"uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/other/invocations"}),
        (INTEGRATION, {"timeoutMilliseconds": 5000}),
        (INTEGRATION, {"type": "AWS"}),
        (INTEGRATION, {"contentHandling": "CONVERT_TO_TEXT"}),
        (PERMISSION, {"qualifier": "live"}),
        (PERMISSION, {"sourceArn": "arn:aws:execute-api:us-east-1:000000000000:other/*/*"}),
        (PERMISSION, {"statementId": "another"}),
    ],
    ids=lambda value: value.split(":")[-1] if isinstance(value, str) else ",".join(value),
)
def test_a_change_to_any_input_of_a_route_its_integration_or_permission_makes_a_new_deployment(
    program: Recorded, type_token: str, changed: Mapping[str, Any]
) -> None:
    assert routes_trigger(run_program(altered={type_token: changed})) != routes_trigger(program)


def test_turning_snap_start_on_makes_a_new_deployment(program: Recorded) -> None:
    """The integration then calls the alias, and the permission is remade on it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(components.package, "build_package", lambda *args, **kwargs: Path("handlers-python3.12.zip"))
        snap_started = run_program({"imagepipe:lambdaRuntime": "python3.12", "imagepipe:lambdaSnapStart": "true"})
    assert routes_trigger(snap_started) != routes_trigger(program)
