"""Web: the function that runs the web app (handlers/web), routed by the REST API, and its stage.

Every path of the API (`/` and `/{proxy+}`, any method) goes to the function through a Lambda proxy
integration; the app does its own routing, authentication and CSRF checks (LocalStack does not run
API Gateway authorizers, so one would go untested).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.api import Api
from components.function import LambdaSettings, StageFunction, StageFunctionArgs
from components.web_app import WebAppArgs, app_environment, app_statements, uploads_cors


@dataclass(frozen=True)
class WebArgs:
    """The function's name and build, the API it serves, and what the app works with."""

    function_name: str
    lambda_settings: LambdaSettings
    api: Api
    app: WebAppArgs
    memory_size: int = 512


class Web(pulumi.ComponentResource):
    """The web function with the app's rights (components/web_app.py), the API's routes to it, and
    the deployed stage."""

    function: StageFunction
    stage: aws.apigateway.Stage

    def __init__(self, name: str, args: WebArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:web:Web", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rest_api = args.api.rest_api

        self.function = _web_function(name, args, child)
        routes = _routes(name, rest_api, self.function, child)
        deployment = _deployment(name, rest_api, routes, pulumi.ResourceOptions(parent=self, depends_on=routes))
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=rest_api.id,
            stage_name=args.api.stage_name,
            deployment=deployment.id,
            opts=child,
        )
        uploads_cors(name, args.app, child)

        self.function_name = self.function.function.name
        self.api_url = self.stage.invoke_url
        self.register_outputs({"function_name": self.function_name, "api_url": self.api_url})


def _web_function(name: str, args: WebArgs, opts: pulumi.ResourceOptions) -> StageFunction:
    """The function running the web app, with the app's rights and environment."""
    return StageFunction(
        f"{name}-function",
        StageFunctionArgs(
            function_name=args.function_name,
            handler="handlers.web.lambda_entry.handler",
            settings=args.lambda_settings,
            source=None,
            statements=app_statements(args.app),
            environment=app_environment(args.app),
            memory_size=args.memory_size,
            timeout_seconds=29,  # API Gateway's own limit for an integration
        ),
        opts=opts,
    )


def _routes(
    name: str, rest_api: aws.apigateway.RestApi, function: StageFunction, opts: pulumi.ResourceOptions
) -> list[pulumi.CustomResource]:
    """The API's `/{proxy+}` resource, and for it and `/` an ANY method with a Lambda proxy
    integration to `function`, and the function's permission for the API to invoke it: the routes
    (the resource aside) that a deployment snapshots."""
    proxy = aws.apigateway.Resource(
        f"{name}-proxy", rest_api=rest_api.id, parent_id=rest_api.root_resource_id, path_part="{proxy+}", opts=opts
    )
    routes: list[pulumi.CustomResource] = []
    for route, resource_id in (("root", rest_api.root_resource_id), ("proxy", proxy.id)):
        method = aws.apigateway.Method(
            f"{name}-{route}-any",
            rest_api=rest_api.id,
            resource_id=resource_id,
            http_method="ANY",
            authorization="NONE",
            opts=opts,
        )
        integration = aws.apigateway.Integration(
            f"{name}-{route}-function",
            rest_api=rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            type="AWS_PROXY",
            integration_http_method="POST",
            # With SnapStart the API invokes the function's alias (its published version).
            uri=function.invoke_arn,
            opts=opts,
        )
        routes += [method, integration]
    permission = aws.lambda_.Permission(
        f"{name}-invoked-by-api",
        function=function.function.name,
        action="lambda:InvokeFunction",
        principal="apigateway.amazonaws.com",
        source_arn=pulumi.Output.concat(rest_api.execution_arn, "/*/*"),
        qualifier=function.qualifier,  # None: the function itself
        opts=opts,
    )
    routes.append(permission)
    return routes


def _deployment(
    name: str, rest_api: aws.apigateway.RestApi, routes: list[pulumi.CustomResource], opts: pulumi.ResourceOptions
) -> aws.apigateway.Deployment:
    """The API's deployment of `routes`, made again whenever they change."""
    return aws.apigateway.Deployment(
        f"{name}-deployment",
        rest_api=rest_api.id,
        description="the web function on every path",
        # A deployment is a snapshot: the live stage keeps calling what the routes said when it
        # was made. So a new one whenever anything the provider reports of a route, its
        # integration or the function's permission changes (their ids alone do not change on an
        # in-place update: pulumi-aws's Deployment docs), or the API's binary media types do.
        triggers={
            "routes": declared_state(routes),
            "binary_media_types": rest_api.binary_media_types.apply(lambda types: ",".join(types or [])),
        },
        opts=opts,
    )


def declared_state(resources: Sequence[pulumi.CustomResource]) -> pulumi.Output[str]:
    """A digest of every property the provider reports for `resources` (each property its class
    declares, and its id), so that a change to any of their inputs changes it."""
    states = [
        pulumi.Output.all(id=resource.id, **{name: getattr(resource, name) for name in _properties(type(resource))})
        for resource in resources
    ]
    return pulumi.Output.all(*states).apply(
        lambda values: hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
    )


def _properties(cls: type) -> list[str]:
    """The output properties of a resource class (those a plain CustomResource has left out)."""
    common = {name for name, value in inspect.getmembers(pulumi.CustomResource) if isinstance(value, property)}
    return sorted(name for name, value in inspect.getmembers(cls) if isinstance(value, property) and name not in common)
