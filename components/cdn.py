"""CDN: one CloudFront distribution in front of the stack.

- `/images/auto/*`: a variant in the format the browser takes best (AVIF, else WebP, else its
  JPEG/PNG): a CloudFront Function on the viewer request (cdn_functions/image_format.js) rewrites
  the URI to that format's published key, before the cache is looked in, so the cache is keyed on
  the format (the Accept header normalised to one of three values), then as `/images/*`;
- `/images/*`: the published variants, read from the private images bucket through origin access
  control (the bucket policy lets this distribution, and nothing else, read `images/*`), cached as
  long as the variants' `Cache-Control` says (a year: their keys never change content);
- `/api/*`: the web app's JSON API (on the API's stage, or the instances tier's load balancer),
  never cached, with every cookie and query string and the headers the app reads forwarded;
- everything else (the dashboard's page shell and content-hashed assets): the same web app, cached
  only as its answers' `Cache-Control` allows (the shell says `no-cache`, assets a year), with no
  cookie forwarded.

Sessions reach only `/api/*`, which caches nothing. The shell holds no data (the page asks
`/api/me`) and assets are the same for everyone, so they need no cookie; forwarding none, CloudFront
also removes any `Set-Cookie` from their answers, and no session can be kept in those caches and
handed to another viewer (a behaviour that forwards cookies caches an answer's `Set-Cookie` with it
and sends it on every hit: harness/edge/README.md, "Cookies, Set-Cookie and Cache-Control").

Viewers are redirected to HTTPS. The bucket has exactly one policy and this component owns it: it
needs the distribution's ARN, and it also refuses every request to the bucket that is not over TLS.

The policies are the stack's own (not AWS's managed ones: components/cdn_policies.py) so that what
they do is declared in the program, where the harness's edge reads it too.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

from components.cdn_policies import (
    CachePolicies,
    app_request_policy,
    cache_policies,
    image_format_function,
    images_access,
)
from components.config import PRICE_CLASSES
from handlers.contract import NEGOTIATED_PREFIX, PUBLIC_PREFIX

IMAGES_PATH: Final = f"/{PUBLIC_PREFIX}*"  # the URL path is the object's key: /images/<variant>/<file>
NEGOTIATED_PATH: Final = f"/{NEGOTIATED_PREFIX}*"
API_PATH: Final = "/api/*"
ALL_METHODS: Final = ("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE")
READ_METHODS: Final = ("GET", "HEAD")
# Errors CloudFront would otherwise cache for 10 s and serve to the next viewer of the URL: the
# app's answers are about the moment and the viewer (not signed in, not found yet), so none is kept.
UNCACHED_ERRORS: Final = (400, 403, 404, 405, 500, 501, 502, 503, 504)
# The distribution's origins: the images bucket and the web app (on the API's stage, or the balancer).
IMAGES_ORIGIN: Final = "images"
APP_ORIGIN: Final = "app"


@dataclass(frozen=True)
class CustomDomain:
    """Names the distribution answers to besides its own, with the ACM certificate (in us-east-1,
    as CloudFront requires) that covers them. The stack does not make the DNS records."""

    aliases: Sequence[str]
    certificate_arn: str

    def __post_init__(self) -> None:
        if not self.aliases:
            raise ValueError("a custom domain needs at least one alias")

    @classmethod
    def from_settings(cls, aliases: Sequence[str], certificate_arn: str | None) -> CustomDomain | None:
        """The stack's custom domain from its settings (`imagepipe:cdnAliases`, `…CertificateArn`,
        checked together in components/config.py); None without aliases."""
        if not aliases:
            return None
        if certificate_arn is None:
            raise ValueError("the CDN's aliases need the ARN of an ACM certificate covering them")
        return cls(tuple(aliases), certificate_arn)


@dataclass(frozen=True)
class AppOrigin:
    """Where the distribution reaches the web app: `url`, the API stage's invoke URL or the instances
    tier's balancer at `http://<its DNS name>`; for a balancer reached as a CloudFront VPC origin,
    also the VPC origin's id (CloudFront then connects as the VPC origin says, to the URL's host)."""

    url: pulumi.Input[str]
    vpc_origin_id: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class CdnArgs:
    """The images bucket (its id, ARN and regional domain name), where the web app is, and the
    distribution's settings. `bucket_policy_after`: resources the bucket policy must wait for (the
    bucket's public access block: S3 refuses two changes of a bucket's access at once)."""

    name_prefix: str
    bucket_id: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    bucket_regional_domain_name: pulumi.Input[str]
    app_origin: AppOrigin
    custom_domain: CustomDomain | None = None
    price_class: str = "PriceClass_100"
    bucket_policy_after: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if self.price_class not in PRICE_CLASSES:
            raise ValueError(f"price class {self.price_class!r} is not one of {', '.join(PRICE_CLASSES)}")


@dataclass(frozen=True)
class HttpOrigin:
    """A custom (HTTP) origin as CloudFront takes it: host, ports, path prefix and protocol."""

    domain_name: str
    origin_path: str
    http_port: int
    https_port: int
    protocol_policy: str

    @classmethod
    def from_url(cls, url: str) -> HttpOrigin:
        """The origin serving `url`'s host and port, with `url`'s path as the prefix of every request
        (an API stage's invoke URL `https://<api>.execute-api.<region>.amazonaws.com/<stage>` gives
        host `<api>.execute-api…`, port 443, origin path `/<stage>`, HTTPS only)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"an HTTP origin needs an http(s) URL with a host, not {url!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"an origin URL is a host, a port and a path only, not {url!r}")
        secure = parts.scheme == "https"
        port = parts.port or (443 if secure else 80)
        return cls(
            domain_name=parts.hostname,
            origin_path=parts.path.rstrip("/"),
            http_port=80 if secure else port,
            https_port=port if secure else 443,
            protocol_policy="https-only" if secure else "http-only",
        )


def distribution_url(domain_name: str) -> str:
    """A distribution's base URL from its domain name: `https://<domain name>`, as CloudFront serves
    every distribution; `http://` for a loopback domain name (`127.0.0.1:<port>`), which is the
    harness's edge standing in for CloudFront on this machine, in plain HTTP."""
    host = urlsplit(f"//{domain_name}").hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    return f"{'http' if loopback else 'https'}://{domain_name}"


class Cdn(pulumi.ComponentResource):
    """The distribution, its policies and origin access control, and the images bucket's policy.

    `url` is where browsers, records and mails reach the stack (`cdn_url`): the first alias with a
    custom domain, else the distribution's own domain name."""

    distribution: aws.cloudfront.Distribution
    bucket_policy: aws.s3.BucketPolicy
    url: pulumi.Output[str]

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:cdn:Cdn", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        access = images_access(name, args.name_prefix, child)
        policies = cache_policies(name, args.name_prefix, child)
        app_requests = app_request_policy(name, args.name_prefix, child)
        self.image_format = image_format_function(name, args.name_prefix, child)
        self.distribution = _distribution(name, args, access, policies, app_requests, self.image_format, child)
        self.bucket_policy = _images_bucket_policy(
            name,
            args,
            self.distribution,
            pulumi.ResourceOptions(parent=self, depends_on=list(args.bucket_policy_after)),
        )

        self.distribution_id = self.distribution.id
        self.distribution_arn = self.distribution.arn
        self.domain_name = self.distribution.domain_name
        self.url = _url(args.custom_domain, self.distribution)
        self.register_outputs(
            {"url": self.url, "distribution_arn": self.distribution_arn, "domain_name": self.domain_name}
        )


def _distribution(
    name: str,
    args: CdnArgs,
    access: aws.cloudfront.OriginAccessControl,
    policies: CachePolicies,
    app_requests: aws.cloudfront.OriginRequestPolicy,
    image_format: aws.cloudfront.Function,
    opts: pulumi.ResourceOptions,
) -> aws.cloudfront.Distribution:
    """The distribution: its two origins, a behaviour per path, no error cached, HTTPS for viewers."""
    custom = args.custom_domain
    return aws.cloudfront.Distribution(
        f"{name}-distribution",
        comment=f"{args.name_prefix}: images, API and dashboard",
        enabled=True,
        is_ipv6_enabled=True,
        http_version="http2",
        price_class=args.price_class,
        aliases=list(custom.aliases) if custom else None,
        origins=_origins(args, access),
        ordered_cache_behaviors=_path_behaviors(policies, app_requests, image_format),
        default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
            target_origin_id=APP_ORIGIN,
            viewer_protocol_policy="redirect-to-https",
            allowed_methods=list(ALL_METHODS),
            cached_methods=list(READ_METHODS),
            cache_policy_id=policies.pages.id,  # no origin request policy: no cookie, no Set-Cookie
            compress=True,
        ),
        custom_error_responses=[
            aws.cloudfront.DistributionCustomErrorResponseArgs(error_code=code, error_caching_min_ttl=0)
            for code in UNCACHED_ERRORS
        ],
        restrictions=aws.cloudfront.DistributionRestrictionsArgs(
            geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none"),
        ),
        viewer_certificate=_viewer_certificate(custom),
        opts=opts,
    )


def _origins(args: CdnArgs, access: aws.cloudfront.OriginAccessControl) -> list[aws.cloudfront.DistributionOriginArgs]:
    """The images bucket, read through `access`, and the web app where `args.app_origin` says."""
    app = pulumi.Output.from_input(args.app_origin.url).apply(HttpOrigin.from_url)
    images = aws.cloudfront.DistributionOriginArgs(
        origin_id=IMAGES_ORIGIN,
        domain_name=args.bucket_regional_domain_name,
        origin_access_control_id=access.id,
    )
    if args.app_origin.vpc_origin_id is not None:
        vpc = aws.cloudfront.DistributionOriginVpcOriginConfigArgs(vpc_origin_id=args.app_origin.vpc_origin_id)
        return [
            images,
            aws.cloudfront.DistributionOriginArgs(
                origin_id=APP_ORIGIN, domain_name=app.domain_name, origin_path=app.origin_path, vpc_origin_config=vpc
            ),
        ]
    return [
        images,
        aws.cloudfront.DistributionOriginArgs(
            origin_id=APP_ORIGIN,
            domain_name=app.domain_name,
            origin_path=app.origin_path,
            custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                http_port=app.http_port,
                https_port=app.https_port,
                origin_protocol_policy=app.protocol_policy,
                origin_ssl_protocols=["TLSv1.2"],
            ),
        ),
    ]


def _path_behaviors(
    policies: CachePolicies, app_requests: aws.cloudfront.OriginRequestPolicy, image_format: aws.cloudfront.Function
) -> list[aws.cloudfront.DistributionOrderedCacheBehaviorArgs]:
    """The behaviours of `NEGOTIATED_PATH` and `IMAGES_PATH` (the bucket, read only; the first
    through the format function) and `API_PATH` (the app, uncached)."""
    negotiate = aws.cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs(
        event_type="viewer-request", function_arn=image_format.arn
    )
    return [
        *(
            aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                path_pattern=path,
                target_origin_id=IMAGES_ORIGIN,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=list(READ_METHODS),
                cached_methods=list(READ_METHODS),
                cache_policy_id=policies.images.id,
                compress=False,
                function_associations=functions,
            )
            for path, functions in ((NEGOTIATED_PATH, [negotiate]), (IMAGES_PATH, None))
        ),
        aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
            path_pattern=API_PATH,
            target_origin_id=APP_ORIGIN,
            viewer_protocol_policy="redirect-to-https",
            allowed_methods=list(ALL_METHODS),
            cached_methods=list(READ_METHODS),
            cache_policy_id=policies.api.id,
            origin_request_policy_id=app_requests.id,
            compress=False,
        ),
    ]


def _viewer_certificate(custom: CustomDomain | None) -> aws.cloudfront.DistributionViewerCertificateArgs:
    """The custom domain's certificate (SNI, TLS 1.2 at least), else CloudFront's own."""
    if custom:
        return aws.cloudfront.DistributionViewerCertificateArgs(
            acm_certificate_arn=custom.certificate_arn,
            ssl_support_method="sni-only",
            minimum_protocol_version="TLSv1.2_2021",
        )
    return aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True)


def _images_bucket_policy(
    name: str, args: CdnArgs, distribution: aws.cloudfront.Distribution, opts: pulumi.ResourceOptions
) -> aws.s3.BucketPolicy:
    """The images bucket's one policy (`bucket_policy`), naming `distribution` as its only reader."""
    return aws.s3.BucketPolicy(
        f"{name}-bucket-policy",
        bucket=args.bucket_id,
        policy=pulumi.Output.all(args.bucket_arn, distribution.arn).apply(lambda arns: bucket_policy(arns[0], arns[1])),
        opts=opts,
    )


def _url(custom: CustomDomain | None, distribution: aws.cloudfront.Distribution) -> pulumi.Output[str]:
    """Where viewers reach the stack: the custom domain's first alias, else the distribution's name."""
    return (
        pulumi.Output.from_input(f"https://{custom.aliases[0]}")
        if custom and custom.aliases
        else distribution.domain_name.apply(distribution_url)
    )


def bucket_policy(bucket_arn: str, distribution_arn: str) -> str:
    """The images bucket's policy: no request without TLS; the distribution (and no other) reads
    the published variants, `images/*`, and nothing else of the bucket."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "CdnReadsPublishedVariants",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"{bucket_arn}/{PUBLIC_PREFIX}*",
            "Condition": {"StringEquals": {"aws:SourceArn": distribution_arn}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
