"""API Gateway REST (v1): APIs, resources, methods, integrations, deployments and stages.

Deleting what is already gone with its API or its parent resource (API Gateway deletes those
together) is quiet, since a redeploy deletes stale resources newest first, children after parents
are gone."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from harness.deploy.inputs import Inputs, UnsupportedInput
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deployed.stack_state import ResourceRecord

_ENDPOINT_TYPES = ("EDGE", "REGIONAL")  # PRIVATE needs VPC endpoints, which are not emulated here
_PROXY_TYPES = ("AWS_PROXY", "HTTP_PROXY")  # the others need request and response mappings


@dataclass(frozen=True)
class RestApiSpec:
    """An API: its name, description, binary media types and endpoint type (EDGE or REGIONAL)."""

    name: str
    description: str
    binary_media_types: list[str]
    endpoint_type: str


class RestApi(Provisioner[RestApiSpec]):
    type_token = "aws:apigateway/restApi:RestApi"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> RestApiSpec:
        api_name = physical_name(inputs, name, previous, max_length=1024)
        description = inputs.take("description", "")
        binary = inputs.take("binaryMediaTypes", [])
        endpoint = inputs.sub("endpointConfiguration")
        return RestApiSpec(api_name, description, binary, _endpoint_type(endpoint) if endpoint is not None else "EDGE")

    def apply(self, ctx: Context, spec: RestApiSpec, previous: ResourceRecord | None) -> Applied:
        api_name, description, binary = spec.name, spec.description, spec.binary_media_types
        endpoint_type = spec.endpoint_type
        apigateway = ctx.client("apigateway")
        if previous is None:
            created = apigateway.create_rest_api(
                name=api_name,
                **({"description": description} if description else {}),
                endpointConfiguration={"types": [endpoint_type]},
            )
            api_id = created["id"]
            root = created.get("rootResourceId") or _root_resource(apigateway, api_id)
            # Binary media types are added after: moto's CreateRestApi drops them.
            operations = _api_changes(
                {"name": api_name, "description": description, "binaryMediaTypes": [], "endpointType": endpoint_type},
                api_name,
                description,
                binary,
                endpoint_type,
            )
            if operations:
                apigateway.update_rest_api(restApiId=api_id, patchOperations=operations)
        else:
            api_id, root = previous.id, previous.outputs["rootResourceId"]
            operations = _api_changes(previous.outputs, api_name, description, binary, endpoint_type)
            if operations:
                apigateway.update_rest_api(restApiId=api_id, patchOperations=operations)
        return Applied(
            api_id,
            {
                "name": api_name,
                "description": description,
                "binaryMediaTypes": binary,
                "endpointType": endpoint_type,
                "rootResourceId": root,
                "arn": f"arn:aws:apigateway:{ctx.region}::/restapis/{api_id}",
                "executionArn": ctx.arn("execute-api", api_id),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        apigateway = ctx.client("apigateway")
        with _gone(apigateway):
            apigateway.delete_rest_api(restApiId=record.id)


@dataclass(frozen=True)
class ResourceSpec:
    """A resource: its API, its parent resource and its path part."""

    rest_api: str
    parent_id: str
    path_part: str


class Resource(Provisioner[ResourceSpec]):
    """A path part under a parent. Any change of API, parent or path part replaces it (the AWS
    provider moves it in place; moto cannot), and with it go its methods: theirs change too."""

    type_token = "aws:apigateway/resource:Resource"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> ResourceSpec:
        return ResourceSpec(inputs.take("restApi"), inputs.take("parentId"), inputs.take("pathPart"))

    def apply(self, ctx: Context, spec: ResourceSpec, previous: ResourceRecord | None) -> Applied:
        where = {"restApi": spec.rest_api, "parentId": spec.parent_id, "pathPart": spec.path_part}
        if previous is not None and all(previous.outputs[k] == v for k, v in where.items()):
            return Applied(previous.id, previous.outputs)
        if previous is not None:
            self.delete(ctx, previous)
        created = ctx.client("apigateway").create_resource(
            restApiId=where["restApi"], parentId=where["parentId"], pathPart=where["pathPart"]
        )
        return Applied(created["id"], {**where, "path": created["path"]})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        apigateway = ctx.client("apigateway")
        with _gone(apigateway):
            apigateway.delete_resource(restApiId=record.outputs["restApi"], resourceId=record.id)


@dataclass(frozen=True)
class MethodSpec:
    """A method: its API, resource and HTTP method (by input name), and its authorization (NONE)."""

    method: dict[str, str]
    authorization: str


class Method(Provisioner[MethodSpec]):
    """A method without authorization (LocalStack community does not run authorizers; the app
    authenticates). Its API, resource and HTTP method are what it is: a change of any replaces it."""

    type_token = "aws:apigateway/method:Method"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> MethodSpec:
        where = _method_of(inputs)
        authorization = inputs.take("authorization")
        if authorization != "NONE":
            raise UnsupportedInput(
                f"{inputs.where}: input 'authorization' = {authorization!r} is not applied by the replay deployer "
                "(only 'NONE' is)"
            )
        inputs.ignore("apiKeyRequired", False)
        return MethodSpec(where, authorization)

    def apply(self, ctx: Context, spec: MethodSpec, previous: ResourceRecord | None) -> Applied:
        where, authorization = spec.method, spec.authorization
        outputs = {**where, "authorization": authorization}
        identity = f"agm-{where['restApi']}-{where['resourceId']}-{where['httpMethod']}"
        if previous is not None and previous.outputs == outputs:
            return Applied(previous.id, outputs)
        if previous is not None:
            self.delete(ctx, previous)
        ctx.client("apigateway").put_method(**_method_key(where), authorizationType=authorization)
        return Applied(identity, outputs)

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        apigateway = ctx.client("apigateway")
        with _gone(apigateway):
            apigateway.delete_method(**_method_key(record.outputs))


@dataclass(frozen=True)
class IntegrationSpec:
    """An integration: its method's API, resource and HTTP method (by input name), its type (a proxy
    type), and its settings as PutIntegration takes them."""

    method: dict[str, str]
    kind: str
    settings: dict[str, Any]


class Integration(Provisioner[IntegrationSpec]):
    """A proxy integration (AWS_PROXY to a Lambda's invoke ARN, or HTTP_PROXY). Changed settings are
    put over the existing integration, as PutIntegration does."""

    type_token = "aws:apigateway/integration:Integration"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> IntegrationSpec:
        where = _method_of(inputs)
        kind = inputs.take("type")
        if kind not in _PROXY_TYPES:
            raise UnsupportedInput(
                f"{inputs.where}: input 'type' = {kind!r} is not applied by the replay deployer (only {_PROXY_TYPES})"
            )
        settings = {
            "integrationHttpMethod": inputs.take("integrationHttpMethod"),
            "uri": inputs.take("uri"),
            "timeoutInMillis": inputs.take("timeoutMilliseconds", 29000),
        }
        return IntegrationSpec(where, kind, settings)

    def apply(self, ctx: Context, spec: IntegrationSpec, previous: ResourceRecord | None) -> Applied:
        where, kind, settings = spec.method, spec.kind, spec.settings
        if previous is not None and any(previous.outputs[k] != v for k, v in where.items()):
            self.delete(ctx, previous)
        ctx.client("apigateway").put_integration(**_method_key(where), type=kind, **settings)
        return Applied(
            f"agi-{where['restApi']}-{where['resourceId']}-{where['httpMethod']}",
            {**where, "type": kind, **settings, "timeoutMilliseconds": settings["timeoutInMillis"]},
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        apigateway = ctx.client("apigateway")
        with _gone(apigateway):
            apigateway.delete_integration(**_method_key(record.outputs))


@dataclass(frozen=True)
class DeploymentSpec:
    """A deployment: its API, its description, and its triggers (any change of which redeploys)."""

    rest_api: str
    description: str
    triggers: dict[str, Any]


class Deployment(Provisioner[DeploymentSpec]):
    """A snapshot of the API. A change of `triggers` (or of the API, or of the description, which
    moto cannot update in place) makes a new deployment: the stages on the old one move to it, and the
    old one is deleted, as Pulumi's create-before-delete replacement leaves it."""

    type_token = "aws:apigateway/deployment:Deployment"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> DeploymentSpec:
        return DeploymentSpec(inputs.take("restApi"), inputs.take("description", ""), inputs.take("triggers", {}))

    def apply(self, ctx: Context, spec: DeploymentSpec, previous: ResourceRecord | None) -> Applied:
        outputs: dict[str, Any] = {"restApi": spec.rest_api, "description": spec.description, "triggers": spec.triggers}
        if previous is not None and all(previous.outputs[k] == v for k, v in outputs.items()):
            return Applied(previous.id, previous.outputs)
        apigateway = ctx.client("apigateway")
        description = {"description": spec.description} if spec.description else {}
        created = apigateway.create_deployment(restApiId=spec.rest_api, **description)
        if previous is not None:
            if previous.outputs["restApi"] == spec.rest_api:
                for stage in _stages_on(apigateway, spec.rest_api, previous.id):
                    apigateway.update_stage(
                        restApiId=spec.rest_api,
                        stageName=stage,
                        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": created["id"]}],
                    )
            self.delete(ctx, previous)
        return Applied(created["id"], {**outputs, "createdDate": str(created.get("createdDate", ""))})

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        apigateway = ctx.client("apigateway")
        with _gone(apigateway):
            apigateway.delete_deployment(restApiId=record.outputs["restApi"], deploymentId=record.id)


@dataclass(frozen=True)
class StageSpec:
    """A stage: its API, name, deployment, description and stage variables."""

    api: str
    stage: str
    deployment: str
    description: str
    variables: dict[str, str]


class Stage(Provisioner[StageSpec]):
    """A named stage on a deployment, with its stage variables. Its `invokeUrl` is where the emulator
    serves it (Context.execute_api_url)."""

    type_token = "aws:apigateway/stage:Stage"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> StageSpec:
        api = inputs.take("restApi")
        stage = inputs.take("stageName")
        deployment = inputs.take("deployment")
        description = inputs.take("description", "")
        variables = {k: str(v) for k, v in inputs.take("variables", {}).items()}
        inputs.ignore("xrayTracingEnabled", False)
        inputs.ignore("cacheClusterEnabled", False)
        return StageSpec(api, stage, deployment, description, variables)

    def apply(self, ctx: Context, spec: StageSpec, previous: ResourceRecord | None) -> Applied:
        api, stage, deployment, description = spec.api, spec.stage, spec.deployment, spec.description
        variables = spec.variables
        apigateway = ctx.client("apigateway")
        if previous is not None and (previous.outputs["restApi"], previous.outputs["stageName"]) != (api, stage):
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            apigateway.create_stage(
                restApiId=api, stageName=stage, deploymentId=deployment, description=description, variables=variables
            )
        else:
            operations = list(_stage_changes(apigateway, api, stage, deployment, description, variables))
            if operations:
                apigateway.update_stage(restApiId=api, stageName=stage, patchOperations=operations)
        return Applied(
            f"ags-{api}-{stage}",
            {
                "restApi": api,
                "stageName": stage,
                "deployment": deployment,
                "description": description,
                "variables": variables,
                "invokeUrl": ctx.execute_api_url(api, stage),
                "executionArn": ctx.arn("execute-api", f"{api}/{stage}"),
                "arn": f"arn:aws:apigateway:{ctx.region}::/restapis/{api}/stages/{stage}",
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        apigateway = ctx.client("apigateway")
        with _gone(apigateway):
            apigateway.delete_stage(restApiId=record.outputs["restApi"], stageName=record.outputs["stageName"])


def _endpoint_type(endpoint: Inputs) -> str:
    types = endpoint.take("types")
    if isinstance(types, list) and len(types) == 1:
        types = types[0]
    if types not in _ENDPOINT_TYPES:
        raise UnsupportedInput(
            f"{endpoint.where}: input 'endpointConfiguration.types' = {types!r} is not applied by the replay "
            f"deployer (only one of {_ENDPOINT_TYPES})"
        )
    return cast(str, types)


def _api_changes(
    was: dict[str, Any], api_name: str, description: str, binary: list[str], endpoint_type: str
) -> list[dict[str, str]]:
    """The patch operations from what the API was to what is declared. (Binary media types name the
    type in the path, as AWS wants, and in the value too, which moto reads and LocalStack overwrites.)"""
    operations = []
    if was["name"] != api_name:
        operations.append({"op": "replace", "path": "/name", "value": api_name})
    if was["description"] != description:
        operations.append({"op": "replace", "path": "/description", "value": description})
    for media in [m for m in was["binaryMediaTypes"] if m not in binary]:
        operations.append({"op": "remove", "path": f"/binaryMediaTypes/{_pointer(media)}", "value": media})
    for media in [m for m in binary if m not in was["binaryMediaTypes"]]:
        operations.append({"op": "add", "path": f"/binaryMediaTypes/{_pointer(media)}", "value": media})
    if was["endpointType"] != endpoint_type:
        path = f"/endpointConfiguration/types/{was['endpointType']}"
        operations.append({"op": "replace", "path": path, "value": endpoint_type})
    return operations


def _stage_changes(
    apigateway: Any, api: str, stage: str, deployment: str, description: str, variables: dict[str, str]
) -> Iterator[dict[str, str]]:
    """The patch operations from the stage as it is (read back: a new deployment may have moved it)."""
    current = apigateway.get_stage(restApiId=api, stageName=stage)
    if current.get("deploymentId") != deployment:
        yield {"op": "replace", "path": "/deploymentId", "value": deployment}
    if current.get("description", "") != description:
        yield {"op": "replace", "path": "/description", "value": description}
    was = current.get("variables", {})
    for key in sorted(set(was) - set(variables)):
        yield {"op": "remove", "path": f"/variables/{key}"}
    for key, value in sorted(variables.items()):
        if was.get(key) != value:
            yield {"op": "replace", "path": f"/variables/{key}", "value": value}


def _stages_on(apigateway: Any, api: str, deployment: str) -> list[str]:
    with _gone(apigateway):
        return [s["stageName"] for s in apigateway.get_stages(restApiId=api)["item"] if s["deploymentId"] == deployment]
    return []


def _method_of(inputs: Inputs) -> dict[str, str]:
    return {
        "restApi": inputs.take("restApi"),
        "resourceId": inputs.take("resourceId"),
        "httpMethod": inputs.take("httpMethod"),
    }


def _method_key(where: dict[str, Any]) -> dict[str, str]:
    return {"restApiId": where["restApi"], "resourceId": where["resourceId"], "httpMethod": where["httpMethod"]}


def _root_resource(apigateway: Any, api_id: str) -> str:
    return cast(str, next(r["id"] for r in apigateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/"))


def _pointer(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


def _gone(apigateway: Any) -> contextlib.suppress:
    return contextlib.suppress(apigateway.exceptions.NotFoundException)
