"""API Gateway REST APIs, resources, methods, integrations, deployments and stages, provisioned into
moto and read back. (moto records an API but does not serve it: invoking a stage is tested in the
emulator, tests/e2e; here, what is configured.)"""

from __future__ import annotations

from typing import Any

import pytest

from harness.deploy.inputs import UnsupportedInput
from harness.deploy.provisioners import apigateway

API = apigateway.RestApi.type_token
RESOURCE = apigateway.Resource.type_token
METHOD = apigateway.Method.type_token
INTEGRATION = apigateway.Integration.type_token
DEPLOYMENT = apigateway.Deployment.type_token
STAGE = apigateway.Stage.type_token

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"
INVOKE_ARN = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"


def _invoke_arn(function: str) -> str:
    return INVOKE_ARN.format(FUNCTION_ARN.format(function))


def _apis(moto) -> dict[str, dict[str, Any]]:
    return {api["id"]: api for api in moto.client("apigateway").get_rest_apis()["items"]}


def _paths(moto, api_id: str) -> dict[str, str]:
    return {r["path"]: r["id"] for r in moto.client("apigateway").get_resources(restApiId=api_id)["items"]}


def _proxy(provisioned, unique, uri: str | None = None) -> dict[str, Any]:
    """An API with `/{proxy+}`, ANY, and an AWS_PROXY integration: the records of each."""
    api = provisioned.apply(API, "api", {"name": unique("api"), "endpointConfiguration": {"types": "REGIONAL"}})
    where = {"restApi": api.id}
    resource = provisioned.apply(
        RESOURCE, "proxy", {**where, "parentId": api.outputs["rootResourceId"], "pathPart": "{proxy+}"}
    )
    method = {**where, "resourceId": resource.id, "httpMethod": "ANY"}
    made = provisioned.apply(METHOD, "any", {**method, "authorization": "NONE"})
    integration = provisioned.apply(
        INTEGRATION,
        "lambda",
        {**method, "type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": uri or _invoke_arn("web")},
    )
    return {"api": api, "resource": resource, "method": made, "integration": integration}


def test_an_api_is_created_with_what_programs_use(moto, provisioned, unique):
    name = unique("api")
    api = provisioned.apply(
        API,
        "api",
        {
            "name": name,
            "description": "the web tier",
            "binaryMediaTypes": ["image/png", "application/octet-stream"],
            "endpointConfiguration": {"types": "REGIONAL"},
        },
    )
    described = moto.client("apigateway").get_rest_api(restApiId=api.id)
    assert (described["name"], described["description"]) == (name, "the web tier")
    assert described["binaryMediaTypes"] == ["image/png", "application/octet-stream"]
    assert described["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert api.outputs["rootResourceId"] == _paths(moto, api.id)["/"]
    assert api.outputs["executionArn"] == f"arn:aws:execute-api:us-east-1:123456789012:{api.id}"
    assert api.outputs["arn"] == f"arn:aws:apigateway:us-east-1::/restapis/{api.id}"


def test_an_api_is_updated_in_place(moto, provisioned, unique):
    first = provisioned.apply(
        API, "api", {"name": unique("api"), "description": "v1", "binaryMediaTypes": ["image/png", "image/jpeg"]}
    )
    renamed = unique("renamed")
    second = provisioned.apply(
        API,
        "api",
        {
            "name": renamed,
            "binaryMediaTypes": ["image/png", "application/octet-stream"],
            "endpointConfiguration": {"types": "REGIONAL"},
        },
    )
    assert (second.id, second.outputs["rootResourceId"]) == (first.id, first.outputs["rootResourceId"])
    described = moto.client("apigateway").get_rest_api(restApiId=first.id)
    assert (described["name"], described.get("description", "")) == (renamed, "")
    assert described["binaryMediaTypes"] == ["image/png", "application/octet-stream"]
    assert described["endpointConfiguration"]["types"] == ["REGIONAL"]


def test_a_deleted_api_is_gone_and_an_undeclared_name_comes_from_the_logical_name(moto, provisioned):
    api = provisioned.apply(API, "autonamed", {})
    assert _apis(moto)[api.id]["name"].startswith("autonamed-")
    provisioned.delete(API, "autonamed")
    assert api.id not in _apis(moto)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"tags": {"team": "web"}}, "'tags'"),
        ({"policy": "{}"}, "'policy'"),
        ({"body": "{}"}, "'body'"),
        ({"endpointConfiguration": {"types": "PRIVATE"}}, "'endpointConfiguration.types' = 'PRIVATE'"),
        ({"endpointConfiguration": {"types": "REGIONAL", "vpcEndpointIds": ["v"]}}, "'endpointConfiguration.vpc"),
    ],
)
def test_an_api_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, extra, named):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=rf"^aws:apigateway/restApi:RestApi 'strict': .*{named}"):
        provisioned.apply(API, "strict", {"name": name, **extra})
    assert name not in [api["name"] for api in _apis(moto).values()]


def test_a_resource_has_its_path_and_a_changed_one_is_replaced(moto, provisioned, unique):
    made = _proxy(provisioned, unique)
    api, resource = made["api"], made["resource"]
    assert resource.outputs["path"] == "/{proxy+}"
    assert _paths(moto, api.id)["/{proxy+}"] == resource.id

    root = api.outputs["rootResourceId"]
    again = provisioned.apply(RESOURCE, "proxy", {"restApi": api.id, "parentId": root, "pathPart": "{proxy+}"})
    assert again.id == resource.id  # applied again unchanged: the same resource, its method kept
    assert moto.client("apigateway").get_method(restApiId=api.id, resourceId=resource.id, httpMethod="ANY")

    api_part = provisioned.apply(RESOURCE, "proxy", {"restApi": api.id, "parentId": root, "pathPart": "api"})
    assert api_part.id != resource.id and api_part.outputs["path"] == "/api"
    assert set(_paths(moto, api.id)) == {"/", "/api"}

    provisioned.delete(RESOURCE, "proxy")
    assert set(_paths(moto, api.id)) == {"/"}


def test_a_method_and_its_proxy_integration_are_configured(moto, provisioned, unique):
    made = _proxy(provisioned, unique)
    api, resource = made["api"], made["resource"]
    key = {"restApiId": api.id, "resourceId": resource.id, "httpMethod": "ANY"}
    method = moto.client("apigateway").get_method(**key)
    assert (method["httpMethod"], method["authorizationType"]) == ("ANY", "NONE")
    integration = moto.client("apigateway").get_integration(**key)
    assert (integration["type"], integration["httpMethod"], integration["uri"]) == (
        "AWS_PROXY",
        "POST",
        _invoke_arn("web"),
    )
    assert made["method"].id == f"agm-{api.id}-{resource.id}-ANY"
    assert made["integration"].id == f"agi-{api.id}-{resource.id}-ANY"


def test_an_integration_is_updated_in_place_and_deleted(moto, provisioned, unique):
    made = _proxy(provisioned, unique)
    key = {"restApiId": made["api"].id, "resourceId": made["resource"].id, "httpMethod": "ANY"}
    inputs = {"restApi": key["restApiId"], "resourceId": key["resourceId"], "httpMethod": "ANY"}
    updated = provisioned.apply(
        INTEGRATION,
        "lambda",
        {
            **inputs,
            "type": "AWS_PROXY",
            "integrationHttpMethod": "POST",
            "uri": _invoke_arn("other"),
            "timeoutMilliseconds": 10000,
        },
    )
    assert updated.id == made["integration"].id
    integration = moto.client("apigateway").get_integration(**key)
    assert (integration["uri"], integration["timeoutInMillis"]) == (_invoke_arn("other"), 10000)

    provisioned.delete(INTEGRATION, "lambda")
    assert "methodIntegration" not in moto.client("apigateway").get_method(**key)  # (moto's GetIntegration answers {})
    provisioned.delete(METHOD, "any")
    with pytest.raises(moto.client("apigateway").exceptions.NotFoundException):
        moto.client("apigateway").get_method(**key)


def test_a_method_moved_to_another_resource_is_replaced(moto, provisioned, unique):
    made = _proxy(provisioned, unique)
    api = made["api"]
    other = provisioned.apply(
        RESOURCE, "other", {"restApi": api.id, "parentId": api.outputs["rootResourceId"], "pathPart": "other"}
    )
    moved = provisioned.apply(
        METHOD, "any", {"restApi": api.id, "resourceId": other.id, "httpMethod": "ANY", "authorization": "NONE"}
    )
    assert moved.id == f"agm-{api.id}-{other.id}-ANY"
    methods = {
        r["path"]: set(r.get("resourceMethods", {}))
        for r in moto.client("apigateway").get_resources(restApiId=api.id)["items"]
    }
    assert (methods["/other"], methods["/{proxy+}"]) == ({"ANY"}, set())


def test_deleting_what_went_with_its_api_is_quiet(moto, provisioned, unique):
    _proxy(provisioned, unique)
    provisioned.delete(API, "api")
    for type_token, name in ((INTEGRATION, "lambda"), (METHOD, "any"), (RESOURCE, "proxy")):
        provisioned.delete(type_token, name)


@pytest.mark.parametrize(
    ("type_token", "extra", "named"),
    [
        (METHOD, {"authorization": "AWS_IAM"}, "'authorization' = 'AWS_IAM'"),
        (METHOD, {"authorization": "NONE", "apiKeyRequired": True}, "'apiKeyRequired' = True"),
        (METHOD, {"authorization": "NONE", "requestParameters": {"method.request.path.proxy": True}}, "'requestPa"),
        (INTEGRATION, {"type": "MOCK"}, "'type' = 'MOCK'"),
        (
            INTEGRATION,
            {
                "type": "AWS_PROXY",
                "integrationHttpMethod": "POST",
                "uri": _invoke_arn("web"),
                "cacheKeyParameters": ["a"],
            },
            "'cacheKeyParameters'",
        ),
    ],
)
def test_a_method_or_integration_input_not_applied_stops_the_deploy_naming_it(
    moto, provisioned, unique, type_token, extra, named
):
    api = provisioned.apply(API, "api", {"name": unique("api")})
    key = {"restApi": api.id, "resourceId": api.outputs["rootResourceId"], "httpMethod": "GET"}
    if type_token == INTEGRATION:
        provisioned.apply(METHOD, "get", {**key, "authorization": "NONE"})
    with pytest.raises(UnsupportedInput, match=rf"^{type_token} 'strict': .*{named}"):
        provisioned.apply(type_token, "strict", {**key, **extra})


def test_a_stage_serves_a_deployment_with_its_variables(moto, provisioned, unique):
    api = _proxy(provisioned, unique)["api"]
    deployment = provisioned.apply(DEPLOYMENT, "deployment", {"restApi": api.id, "description": "first"})
    stage = provisioned.apply(
        STAGE,
        "stage",
        {"restApi": api.id, "deployment": deployment.id, "stageName": "live", "variables": {"mode": "test"}},
    )
    described = moto.client("apigateway").get_stage(restApiId=api.id, stageName="live")
    assert (described["deploymentId"], described["variables"]) == (deployment.id, {"mode": "test"})
    assert stage.id == f"ags-{api.id}-live"
    assert stage.outputs["invokeUrl"] == f"{moto.endpoint_url}/_aws/execute-api/{api.id}/live"
    assert stage.outputs["executionArn"] == f"{api.outputs['executionArn']}/live"
    assert moto.client("apigateway").get_deployment(restApiId=api.id, deploymentId=deployment.id)["description"] == (
        "first"
    )


def test_a_stage_is_updated_in_place_and_a_renamed_one_replaced(moto, provisioned, unique):
    api = _proxy(provisioned, unique)["api"]
    deployment = provisioned.apply(DEPLOYMENT, "deployment", {"restApi": api.id})
    inputs = {"restApi": api.id, "deployment": deployment.id, "stageName": "live"}
    provisioned.apply(STAGE, "stage", {**inputs, "variables": {"gone": "1", "kept": "1"}})
    provisioned.apply(STAGE, "stage", {**inputs, "description": "v2", "variables": {"kept": "2", "new": "3"}})
    described = moto.client("apigateway").get_stage(restApiId=api.id, stageName="live")
    assert (described["description"], described["variables"]) == ("v2", {"kept": "2", "new": "3"})

    renamed = provisioned.apply(STAGE, "stage", {**inputs, "stageName": "prod"})
    assert renamed.outputs["invokeUrl"].endswith(f"/{api.id}/prod")
    stages = moto.client("apigateway").get_stages(restApiId=api.id)["item"]
    assert [s["stageName"] for s in stages] == ["prod"]

    provisioned.delete(STAGE, "stage")
    assert moto.client("apigateway").get_stages(restApiId=api.id)["item"] == []


def test_changed_triggers_make_a_new_deployment_the_stage_moves_to(moto, provisioned, unique):
    api = _proxy(provisioned, unique)["api"]
    first = provisioned.apply(DEPLOYMENT, "deployment", {"restApi": api.id, "triggers": {"redeploy": "a"}})
    stage_inputs = {"restApi": api.id, "deployment": first.id, "stageName": "live"}
    provisioned.apply(STAGE, "stage", stage_inputs)

    same = provisioned.apply(DEPLOYMENT, "deployment", {"restApi": api.id, "triggers": {"redeploy": "a"}})
    assert same.id == first.id

    second = provisioned.apply(DEPLOYMENT, "deployment", {"restApi": api.id, "triggers": {"redeploy": "b"}})
    assert second.id != first.id
    deployments = [d["id"] for d in moto.client("apigateway").get_deployments(restApiId=api.id)["items"]]
    assert deployments == [second.id]  # the old one is gone, its stage moved first
    provisioned.apply(STAGE, "stage", {**stage_inputs, "deployment": second.id})
    assert moto.client("apigateway").get_stage(restApiId=api.id, stageName="live")["deploymentId"] == second.id

    provisioned.delete(STAGE, "stage")
    provisioned.delete(DEPLOYMENT, "deployment")
    assert moto.client("apigateway").get_deployments(restApiId=api.id)["items"] == []


@pytest.mark.parametrize(
    ("type_token", "extra", "named"),
    [
        (DEPLOYMENT, {"variables": {"a": "b"}}, "'variables'"),
        (STAGE, {"stageName": "live", "tags": {"a": "b"}}, "'tags'"),
        (STAGE, {"stageName": "live", "xrayTracingEnabled": True}, "'xrayTracingEnabled' = True"),
        (STAGE, {"stageName": "live", "accessLogSettings": {"destinationArn": "x", "format": "y"}}, "'accessLog"),
    ],
)
def test_a_deployment_or_stage_input_not_applied_stops_the_deploy_naming_it(
    moto, provisioned, unique, type_token, extra, named
):
    api = _proxy(provisioned, unique)["api"]
    inputs = {"restApi": api.id, **extra}
    if type_token == STAGE:
        inputs["deployment"] = provisioned.apply(DEPLOYMENT, "deployment", {"restApi": api.id}).id
    with pytest.raises(UnsupportedInput, match=rf"^{type_token} 'strict': .*{named}"):
        provisioned.apply(type_token, "strict", inputs)
    assert moto.client("apigateway").get_stages(restApiId=api.id)["item"] == []
