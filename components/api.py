"""The REST API (v1) in front of the web function, declared before everything that names it.

The CDN names the API as its origin, and the web function is told the CDN's URL (the links it puts
in records point there), so the API itself comes first: its origin (`<api id>.execute-api.<region>
.amazonaws.com`, path `/<stage>`) depends on nothing but the API. The web component
(components/web.py) then fills it with routes to the function and deploys its stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

STAGE = "live"
"""The one stage the API is deployed to."""


@dataclass(frozen=True)
class ApiArgs:
    api_name: str
    description: str = "imagepipe: the JSON API and the dashboard (the web function)"


class Api(pulumi.ComponentResource):
    """A regional REST API, empty until the web component routes it; exposes where it is served."""

    rest_api: aws.apigateway.RestApi

    def __init__(self, name: str, args: ApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:web:Api", name, None, opts)
        self.rest_api = aws.apigateway.RestApi(
            f"{name}-rest-api",
            name=args.api_name,
            description=args.description,
            # Regional: the CDN is the edge in front of it (an edge-optimized API would add a second one).
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL"),
            # Every answer may be binary: the function base64-encodes what is not text (an icon, an
            # image) and API Gateway decodes it for the client, whatever the client accepts.
            binary_media_types=["*/*"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.stage_name = STAGE
        self.region = self.rest_api.execution_arn.apply(lambda arn: arn.split(":")[3])  # the stack's region
        self.origin_domain = pulumi.Output.all(self.rest_api.id, self.rest_api.execution_arn).apply(
            lambda values: execute_api_domain(values[0], values[1])
        )
        self.origin_path = f"/{STAGE}"
        self.origin_url = pulumi.Output.concat("https://", self.origin_domain, self.origin_path)
        self.register_outputs({"origin_url": self.origin_url})


def execute_api_domain(api_id: str, execution_arn: str) -> str:
    """The domain AWS serves a REST API's stages at: `<api id>.execute-api.<region>.amazonaws.com`
    (the region is the fourth field of the API's execution ARN)."""
    region = execution_arn.split(":")[3]
    return f"{api_id}.execute-api.{region}.amazonaws.com"
