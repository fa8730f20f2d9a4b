"""CloudFront VPC origins, as the replay deployer records them for the harness's CDN edge: nothing is
created for CloudFront (it is not in the emulator), but the endpoint must be a load balancer the
emulator has. The edge sends a VPC origin's requests to where the harness serves that balancer
(harness/edge/stack.py)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.deploy.inputs import DeployError, Inputs, UnsupportedInput
from harness.deploy.provisioners.base import Applied, Context, Provisioner
from harness.deploy.provisioners.cloudfront_policies import cloudfront_id, only
from harness.deployed.stack_state import ResourceRecord
from harness.edge import model


@dataclass(frozen=True)
class VpcOriginSpec:
    where: str
    name: str
    endpoint_arn: str
    http_port: int
    https_port: int
    protocol_policy: str
    ssl_protocols: tuple[str, ...]


class VpcOrigin(Provisioner[VpcOriginSpec]):
    """A VPC origin to an Application Load Balancer (the only endpoint the edge can reach)."""

    type_token = model.VPC_ORIGIN_TYPE

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> VpcOriginSpec:
        config = inputs.sub("vpcOriginEndpointConfig")
        if config is None:
            raise DeployError(f"{inputs.where}: input 'vpcOriginEndpointConfig' is required")
        ssl = config.sub("originSslProtocols")
        protocols: tuple[str, ...] = ()
        if ssl is not None:
            protocols = tuple(ssl.take("items"))
            if ssl.take("quantity") != len(protocols):
                raise DeployError(f"{inputs.where}: originSslProtocols' quantity is not the number of its items")
        endpoint_arn = config.take("arn")
        if ":loadbalancer/app/" not in endpoint_arn:
            raise UnsupportedInput(
                f"{inputs.where}: input 'vpcOriginEndpointConfig.arn' = {endpoint_arn!r}: the edge reaches "
                "Application Load Balancers only"
            )
        return VpcOriginSpec(
            inputs.where,
            config.take("name"),
            endpoint_arn,
            int(config.take("httpPort")),
            int(config.take("httpsPort")),
            only(config, "originProtocolPolicy", ("http-only",)),
            protocols,
        )

    def apply(self, ctx: Context, spec: VpcOriginSpec, previous: ResourceRecord | None) -> Applied:
        elbv2 = ctx.client("elbv2")
        try:
            elbv2.describe_load_balancers(LoadBalancerArns=[spec.endpoint_arn])
        except elbv2.exceptions.LoadBalancerNotFoundException:
            raise DeployError(f"{spec.where}: no load balancer {spec.endpoint_arn} in the emulator") from None
        origin_id = previous.id if previous is not None else cloudfront_id()
        edge = model.VpcOrigin(origin_id, spec.endpoint_arn, spec.http_port, spec.https_port, spec.protocol_policy)
        return Applied(
            origin_id,
            {
                "arn": f"arn:aws:cloudfront::{ctx.account}:vpcorigin/{origin_id}",
                "etag": cloudfront_id(),
                "vpcOriginEndpointConfig": {
                    "name": spec.name,
                    "arn": spec.endpoint_arn,
                    "httpPort": spec.http_port,
                    "httpsPort": spec.https_port,
                    "originProtocolPolicy": spec.protocol_policy,
                    "originSslProtocols": {"items": list(spec.ssl_protocols), "quantity": len(spec.ssl_protocols)},
                },
                "edge": edge.to_json(),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        """Nothing exists outside the deploy state: forgetting the record deletes it."""
