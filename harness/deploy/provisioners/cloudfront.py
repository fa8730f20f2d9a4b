"""CloudFront's distributions (their policies and origin access controls: cloudfront_policies.py).

LocalStack community has no CloudFront, so nothing is created in the emulator: each resource is
recorded in the deploy state, with the outputs CloudFront gives it (ids, ARNs, ETags, `Deployed`)
and, under `edge`, its configuration normalised into harness/edge/model.py, which the harness's edge
serves. A distribution's domain name is `127.0.0.1:<port>`, where the edge serves it in plain HTTP;
its port is claimed once (from EDGE_PORTS) and kept from deploy to deploy.

Strict as every provisioner: an input the edge does not apply is an error naming it, and so is a
configuration CloudFront itself refuses (e.g. a cache key on a policy that disables caching).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from harness.deploy.inputs import DeployError, Inputs, UnsupportedInput
from harness.deploy.provisioners.base import Applied, Context, Provisioner
from harness.deploy.provisioners.cloudfront_policies import cloudfront_id, only
from harness.deployed.loopback_ports import LOCAL_PORT_OUTPUT
from harness.deployed.stack_state import ResourceRecord
from harness.edge import model

# Where the edge serves distributions: above the emulator's 4566 and LocalStack's 4510-4559.
EDGE_PORTS: Final = (4580, 4629)
EDGE_HOST: Final = "127.0.0.1"
HOSTED_ZONE_ID: Final = "Z2FDTNDATAQYW2"  # CloudFront's zone, for alias records
# <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, <bucket>.s3-<region>.amazonaws.com
_S3_DOMAIN: Final = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3(?:[.-](?P<region>(?!website)[a-z]{2}(?:-[a-z]+)+-\d))?"
    r"\.amazonaws\.com$"
)


@dataclass(frozen=True)
class DistributionSpec:
    """A distribution: what the edge serves (enabled, aliases, origins, behaviours, the default one
    last, and error caching as (status code, minimum TTL) pairs), what is only recorded (the other
    settings by input name, and the viewer certificate), and what an error applying it names it by."""

    where: str
    enabled: bool
    settings: dict[str, Any]
    aliases: tuple[str, ...]
    certificate: dict[str, Any]
    origins: tuple[model.Origin, ...]
    behaviours: tuple[model.Behaviour, ...]
    error_caching: tuple[tuple[int, int], ...]


class Distribution(Provisioner[DistributionSpec]):
    """A web distribution: origins (S3 buckets, through origin access control or not; HTTP servers),
    behaviours with cache and origin request policies, error caching. Served by the edge on
    `127.0.0.1:<port>`, its domain name."""

    type_token = model.DISTRIBUTION_TYPE

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> DistributionSpec:
        where = inputs.where
        enabled = bool(inputs.take("enabled"))
        settings = {
            "comment": inputs.take("comment", ""),
            "isIpv6Enabled": bool(inputs.take("isIpv6Enabled", False)),
            # The edge answers HTTP/1.1 whatever the viewer protocol declared (a recorded setting).
            "httpVersion": only(inputs, "httpVersion", ("http1.1", "http2", "http2and3", "http3"), "http2"),
            "priceClass": only(
                inputs, "priceClass", ("PriceClass_100", "PriceClass_200", "PriceClass_All"), "PriceClass_All"
            ),
            "waitForDeployment": bool(inputs.take("waitForDeployment", True)),
            "retainOnDelete": bool(inputs.take("retainOnDelete", False)),
        }
        aliases = tuple(inputs.take("aliases", []))
        _no_geo_restriction(inputs)
        certificate = _viewer_certificate(inputs, aliases)
        origins = tuple(_origin(origin) for origin in inputs.each("origins"))
        default = inputs.sub("defaultCacheBehavior")
        if default is None:
            raise DeployError(f"{where}: input 'defaultCacheBehavior' is required")
        behaviours = (
            *(_behaviour(b, b.take("pathPattern")) for b in inputs.each("orderedCacheBehaviors")),
            _behaviour(default, model.DEFAULT_PATH_PATTERN),
        )
        error_caching = tuple(_error_caching(error) for error in inputs.each("customErrorResponses"))
        return DistributionSpec(where, enabled, settings, aliases, certificate, origins, behaviours, error_caching)

    def validate(self, where: str, spec: DistributionSpec) -> None:
        _check_references(where, spec.origins, spec.behaviours, spec.error_caching)

    def apply(self, ctx: Context, spec: DistributionSpec, previous: ResourceRecord | None) -> Applied:
        if previous is not None:
            distribution_id, port = previous.id, int(previous.outputs[LOCAL_PORT_OUTPUT])
            caller_reference = previous.outputs["callerReference"]
        else:
            distribution_id, caller_reference = cloudfront_id(), str(uuid.uuid4())
            try:
                port = ctx.ports.claim(*EDGE_PORTS)
            except RuntimeError as error:
                raise DeployError(f"{spec.where}: the edge has no port for it: {error}") from None
        arn = f"arn:aws:cloudfront::{ctx.account}:distribution/{distribution_id}"
        edge = model.Distribution(
            distribution_id, arn, port, spec.enabled, spec.origins, spec.behaviours, spec.error_caching, spec.aliases
        )
        return Applied(
            distribution_id,
            {
                **spec.settings,
                "enabled": spec.enabled,
                "aliases": list(spec.aliases),
                "viewerCertificate": spec.certificate,
                "arn": arn,
                "domainName": f"{EDGE_HOST}:{port}",
                "hostedZoneId": HOSTED_ZONE_ID,
                "status": "Deployed",
                "etag": cloudfront_id(),
                "callerReference": caller_reference,
                "lastModifiedTime": datetime.now(UTC).isoformat(timespec="seconds"),
                "inProgressValidationBatches": 0,
                "trustedKeyGroups": [{"enabled": False, "items": []}],
                "trustedSigners": [{"enabled": False, "items": []}],
                LOCAL_PORT_OUTPUT: port,
                "edge": edge.to_json(),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        """Forgetting the record deletes it (the edge stops serving it once reloaded); its port is free."""
        ctx.ports.release(int(record.outputs[LOCAL_PORT_OUTPUT]))


def s3_bucket_of(domain_name: str) -> tuple[str, str | None] | None:
    """The bucket (and region, when the name has one) an S3 REST endpoint's domain name names."""
    match = _S3_DOMAIN.match(domain_name)
    return (match["bucket"], match["region"]) if match else None


def _origin(origin: Inputs) -> model.Origin:
    where = f"{origin.where}: input '{origin.path}"
    origin_id = origin.take("originId")
    domain_name = origin.take("domainName")
    origin_path = origin.take("originPath", "")
    if origin_path and (not origin_path.startswith("/") or origin_path.endswith("/")):
        raise DeployError(
            f"{where}.originPath' = {origin_path!r}: CloudFront wants a path starting, not ending, with /"
        )
    common: dict[str, Any] = {
        "id": origin_id,
        "domain_name": domain_name,
        "origin_path": origin_path,
        "connection_attempts": origin.take("connectionAttempts", 3),
        "connection_timeout": origin.take("connectionTimeout", 10),
        "custom_headers": tuple((h.take("name"), h.take("value")) for h in origin.each("customHeaders")),
    }
    access_control = origin.take("originAccessControlId", None)
    vpc = origin.sub("vpcOriginConfig")
    if vpc is not None:
        return _vpc_origin(origin, vpc, common, access_control)
    custom = origin.sub("customOriginConfig")
    s3 = origin.sub("s3OriginConfig")
    if s3 is not None:
        s3.ignore("originAccessIdentity", "")  # legacy origin access identities are not applied
    if custom is None:
        bucket = s3_bucket_of(domain_name)
        if bucket is None:
            raise DeployError(
                f"{where}.domainName' = {domain_name!r}: an origin without customOriginConfig is an S3 bucket's "
                "REST endpoint (<bucket>.s3.<region>.amazonaws.com)"
            )
        return model.Origin(**common, s3_bucket=bucket[0], s3_region=bucket[1], access_control_id=access_control)
    if access_control is not None:
        raise UnsupportedInput(
            f"{where}.originAccessControlId': the edge applies origin access control to S3 origins only"
        )
    if s3 is not None:
        raise DeployError(f"{where}': an origin has customOriginConfig or s3OriginConfig, not both")
    custom.ignore("ipAddressType", "ipv4")
    _check_ssl_protocols(custom)
    return model.Origin(
        **common,
        http_port=custom.take("httpPort"),
        https_port=custom.take("httpsPort"),
        protocol_policy=only(custom, "originProtocolPolicy", ("http-only", "https-only", "match-viewer")),
        read_timeout=custom.take("originReadTimeout", 30),
        keepalive_timeout=custom.take("originKeepaliveTimeout", 5),
    )


def _vpc_origin(origin: Inputs, vpc: Inputs, common: dict[str, Any], access_control: str | None) -> model.Origin:
    """An origin reached through a CloudFront VPC origin (its id): no custom or S3 settings of its own."""
    if access_control is not None or origin.sub("customOriginConfig") or origin.sub("s3OriginConfig"):
        raise DeployError(
            f"{origin.where}: input '{origin.path}': an origin with vpcOriginConfig has no customOriginConfig, "
            "s3OriginConfig or originAccessControlId"
        )
    return model.Origin(
        **common,
        vpc_origin_id=vpc.take("vpcOriginId"),
        protocol_policy="http-only",  # the VPC origin's, checked where the edge resolves it
        read_timeout=vpc.take("originReadTimeout", 30),
        keepalive_timeout=vpc.take("originKeepaliveTimeout", 5),
    )


def _check_ssl_protocols(custom: Inputs) -> None:
    """The TLS versions CloudFront may use to an HTTPS origin (the edge uses what Python's ssl does)."""
    protocols = custom.take("originSslProtocols")
    unknown = set(protocols) - {"SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"}
    if not protocols or unknown:
        raise DeployError(f"{custom.where}: input '{custom.path}.originSslProtocols' = {protocols}: SSLv3 to TLSv1.2")


def _behaviour(behaviour: Inputs, path_pattern: str) -> model.Behaviour:
    where = f"{behaviour.where}: input '{behaviour.path}"
    allowed = tuple(behaviour.take("allowedMethods"))
    cached = tuple(behaviour.take("cachedMethods"))
    if frozenset(allowed) not in model.ALLOWED_METHOD_SETS:
        raise DeployError(
            f"{where}.allowedMethods' = {list(allowed)}: CloudFront takes GET+HEAD, +OPTIONS, or all seven"
        )
    if frozenset(cached) not in model.CACHED_METHOD_SETS or not set(cached) <= set(allowed):
        raise DeployError(f"{where}.cachedMethods' = {list(cached)}: GET+HEAD or GET+HEAD+OPTIONS, among the allowed")
    cache_policy = behaviour.take("cachePolicyId", None)
    if cache_policy is None:
        raise UnsupportedInput(
            f"{where}.cachePolicyId' is required by the edge (legacy forwarded values are not applied)"
        )
    if not path_pattern or len(path_pattern) > 255:
        raise DeployError(f"{where}.pathPattern' = {path_pattern!r}: 1 to 255 characters")
    return model.Behaviour(
        path_pattern=path_pattern,
        origin_id=behaviour.take("targetOriginId"),
        viewer_protocol_policy=only(
            behaviour, "viewerProtocolPolicy", ("allow-all", "https-only", "redirect-to-https")
        ),
        allowed_methods=allowed,
        cached_methods=cached,
        cache_policy_id=cache_policy,
        origin_request_policy_id=behaviour.take("originRequestPolicyId", None),
        compress=bool(behaviour.take("compress", False)),
        viewer_request_function=_viewer_request_function(behaviour),
    )


def _viewer_request_function(behaviour: Inputs) -> str | None:
    """The ARN of the behaviour's viewer-request CloudFront Function (the edge runs no other kind)."""
    arns = []
    for association in behaviour.each("functionAssociations"):
        event = only(association, "eventType", ("viewer-request", "viewer-response"))
        if event != "viewer-request":
            raise UnsupportedInput(f"{association.where}: a {event} function: the edge runs viewer-request ones only")
        arns.append(association.take("functionArn"))
    if len(arns) > 1:
        raise DeployError(f"{behaviour.where}: CloudFront takes one function per event type, not {len(arns)}")
    return arns[0] if arns else None


def _error_caching(error: Inputs) -> tuple[int, int]:
    code = error.take("errorCode")
    if not (400 <= code <= 599):
        raise DeployError(f"{error.where}: input '{error.path}.errorCode' = {code}: a 4xx or 5xx status")
    return code, error.take("errorCachingMinTtl", 10)


def _viewer_certificate(inputs: Inputs, aliases: tuple[str, ...]) -> dict[str, Any]:
    """The viewer certificate as recorded (the edge serves plain HTTP: no certificate is used)."""
    certificate = inputs.sub("viewerCertificate")
    if certificate is None:
        raise DeployError(f"{inputs.where}: input 'viewerCertificate' is required")
    default = bool(certificate.take("cloudfrontDefaultCertificate", False))
    acm = certificate.take("acmCertificateArn", None)
    recorded: dict[str, Any] = {"cloudfrontDefaultCertificate": default}
    if acm is not None:
        recorded |= {
            "acmCertificateArn": acm,
            "sslSupportMethod": only(certificate, "sslSupportMethod", ("sni-only", "vip", "static-ip")),
            "minimumProtocolVersion": certificate.take("minimumProtocolVersion", "TLSv1"),
        }
        if not acm.startswith("arn:aws:acm:us-east-1:"):
            raise DeployError(f"{inputs.where}: CloudFront takes ACM certificates from us-east-1 only, not {acm!r}")
    if default == (acm is not None):
        raise DeployError(f"{inputs.where}: viewerCertificate is CloudFront's default certificate or an ACM one")
    if aliases and default:
        raise DeployError(f"{inputs.where}: CloudFront refuses aliases {list(aliases)} with its default certificate")
    return recorded


def _no_geo_restriction(inputs: Inputs) -> None:
    restrictions = inputs.sub("restrictions")
    if restrictions is None:
        raise DeployError(f"{inputs.where}: input 'restrictions' is required")
    geo = restrictions.sub("geoRestriction")
    if geo is None:
        raise DeployError(f"{inputs.where}: input 'restrictions.geoRestriction' is required")
    only(geo, "restrictionType", ("none",))
    geo.ignore("locations", [])


def _check_references(
    where: str,
    origins: tuple[model.Origin, ...],
    behaviours: tuple[model.Behaviour, ...],
    error_caching: tuple[tuple[int, int], ...],
) -> None:
    ids = [origin.id for origin in origins]
    if not ids or len(set(ids)) != len(ids):
        raise DeployError(f"{where}: origins need distinct ids, and at least one ({ids})")
    for behaviour in behaviours:
        if behaviour.origin_id not in ids:
            raise DeployError(
                f"{where}: the behaviour for {behaviour.path_pattern!r} targets origin {behaviour.origin_id!r}, "
                f"which is not one of {ids}"
            )
    patterns = [b.path_pattern for b in behaviours[:-1]]
    if len({p.lstrip("/") for p in patterns}) != len(patterns):
        raise DeployError(f"{where}: two ordered behaviours have the same path pattern ({patterns})")
    codes = [code for code, _ in error_caching]
    if len(set(codes)) != len(codes):
        raise DeployError(f"{where}: two custom error responses for the same code ({codes})")
