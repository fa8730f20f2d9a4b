"""CloudFront Functions as the replay deployer records them: the published code the edge runs, and
what CloudFront (or the edge) refuses, named."""

from __future__ import annotations

import re

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import cloudfront_function
from harness.edge import model

FUNCTION = cloudfront_function.Function.type_token
CODE = "function handler(event) { return event.request; }"
ACCOUNT = "123456789012"  # moto's


def _inputs(named: str, **extra):
    return {"name": named, "runtime": "cloudfront-js-2.0", "code": CODE, "publish": True, **extra}


def test_a_function_is_recorded_published_with_its_code_for_the_edge(provisioned, unique):
    name = unique("fn")
    made = provisioned.apply(FUNCTION, "format", _inputs(name, comment="picks a format"))
    assert made.id == name and made.outputs["arn"] == f"arn:aws:cloudfront::{ACCOUNT}:function/{name}"
    assert (made.outputs["status"], made.outputs["liveStageEtag"]) == ("DEPLOYED", made.outputs["etag"])
    assert model.EdgeFunction.from_json(made.outputs["edge"]) == model.EdgeFunction(
        name, made.outputs["arn"], "cloudfront-js-2.0", CODE, made.outputs["etag"]
    )
    changed = provisioned.apply(FUNCTION, "format", _inputs(name, code=CODE.replace("return", "  return")))
    assert changed.outputs["etag"] != made.outputs["etag"]  # new code: a new ETag, so the edge loads it again
    provisioned.delete(FUNCTION, "format")


@pytest.mark.parametrize(
    ("extra", "error", "named"),
    [
        ({"runtime": "nodejs20.x"}, UnsupportedInput, "'runtime' = 'nodejs20.x'"),
        ({"publish": False}, UnsupportedInput, "'publish' = false"),
        ({"keyValueStoreAssociations": ["arn:kvs"]}, UnsupportedInput, "'keyValueStoreAssociations'"),
        ({"code": "x" * 10_241}, DeployError, "10241 bytes; CloudFront takes 1 to 10240"),
        ({"name": "no spaces please"}, DeployError, "refuses the function name 'no spaces please'"),
    ],
)
def test_a_function_cloudfront_or_the_edge_cannot_take_is_refused_naming_why(provisioned, unique, extra, error, named):
    with pytest.raises(error, match=re.escape(named)):
        provisioned.apply(FUNCTION, "refused", _inputs(unique("fn"), **extra))
