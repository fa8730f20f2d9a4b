"""The CDN's policies and function: the origin access control through which it reads the images
bucket, the cache policies of its behaviours (the variants, the API, the dashboard), the API's
origin request policy, and the format function of `/images/auto/*` (cdn_functions/image_format.js).
The distribution that uses them: components/cdn.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pulumi
import pulumi_aws as aws

ONE_DAY: Final = 86_400
ONE_YEAR: Final = 31_536_000
IMAGE_FORMAT_CODE: Final = Path(__file__).resolve().parents[1] / "cdn_functions" / "image_format.js"
# What the web app reads of a request beyond its path, cookies (the session) and query string:
# content negotiation, CORS and CSRF checks (handlers/web/auth.py: X-CSRF-Token). Not Host: API
# Gateway answers only to its own host name, which CloudFront sends when Host is not forwarded.
APP_HEADERS: Final = ("Accept", "Accept-Language", "Content-Type", "Origin", "Referer", "X-CSRF-Token")


@dataclass(frozen=True)
class CachePolicies:
    """The distribution's cache policies, one per behaviour: the variants, the API, the dashboard."""

    images: aws.cloudfront.CachePolicy
    api: aws.cloudfront.CachePolicy
    pages: aws.cloudfront.CachePolicy


def images_access(name: str, prefix: str, opts: pulumi.ResourceOptions) -> aws.cloudfront.OriginAccessControl:
    """The origin access control through which the distribution reads the images bucket."""
    return aws.cloudfront.OriginAccessControl(
        f"{name}-images-access",
        name=f"{prefix}-images",
        description="The CDN reads the images bucket, signing each request",
        origin_access_control_origin_type="s3",
        signing_behavior="always",
        signing_protocol="sigv4",
        opts=opts,
    )


def cache_policies(name: str, prefix: str, opts: pulumi.ResourceOptions) -> CachePolicies:
    """The cache policies of the variants (as long as they say), the API (never) and the dashboard
    (only what its answers allow)."""
    images = _cache_policy(
        f"{name}-images-cache",
        name=f"{prefix}-images",
        comment="Variants: as long as their Cache-Control says (a year), a day if it says nothing",
        ttls=(0, ONE_DAY, ONE_YEAR),
        query_strings="none",
        compressed=False,
        opts=opts,
    )
    api = _cache_policy(
        f"{name}-api-cache",
        name=f"{prefix}-api",
        comment="The API: never cached",
        ttls=(0, 0, 0),
        query_strings="none",
        compressed=False,
        opts=opts,
    )
    pages = _cache_policy(
        f"{name}-pages-cache",
        name=f"{prefix}-pages",
        comment="The dashboard: only what its Cache-Control allows (assets), nothing by default",
        ttls=(0, 0, ONE_YEAR),
        query_strings="all",
        compressed=True,
        opts=opts,
    )
    return CachePolicies(images=images, api=api, pages=pages)


def image_format_function(name: str, prefix: str, opts: pulumi.ResourceOptions) -> aws.cloudfront.Function:
    """The viewer-request function of `NEGOTIATED_PATH`, published (cdn_functions/image_format.js)."""
    return aws.cloudfront.Function(
        f"{name}-image-format",
        name=f"{prefix}-image-format",
        comment="Rewrites /images/auto/... to the format the browser takes best (AVIF, WebP, JPEG/PNG)",
        runtime="cloudfront-js-2.0",
        code=IMAGE_FORMAT_CODE.read_text(),
        publish=True,
        opts=opts,
    )


def app_request_policy(name: str, prefix: str, opts: pulumi.ResourceOptions) -> aws.cloudfront.OriginRequestPolicy:
    """The origin request policy of the API: every cookie and query string, and `APP_HEADERS`."""
    return aws.cloudfront.OriginRequestPolicy(
        f"{name}-app-requests",
        name=f"{prefix}-app",
        comment="The web app's API: every cookie and query string, and the headers it reads",
        cookies_config=aws.cloudfront.OriginRequestPolicyCookiesConfigArgs(cookie_behavior="all"),
        query_strings_config=aws.cloudfront.OriginRequestPolicyQueryStringsConfigArgs(query_string_behavior="all"),
        headers_config=aws.cloudfront.OriginRequestPolicyHeadersConfigArgs(
            header_behavior="whitelist",
            headers=aws.cloudfront.OriginRequestPolicyHeadersConfigHeadersArgs(items=list(APP_HEADERS)),
        ),
        opts=opts,
    )


def _cache_policy(
    resource_name: str,
    *,
    name: str,
    comment: str,
    ttls: tuple[int, int, int],
    query_strings: str,
    compressed: bool,
    opts: pulumi.ResourceOptions,
) -> aws.cloudfront.CachePolicy:
    """A cache policy keyed on the path (and the query string when `query_strings` is "all"), never
    on cookies or headers; `ttls` are (min, default, max) seconds; `compressed`: gzip and brotli
    answers are cached apart (and made by CloudFront for behaviours that compress)."""
    min_ttl, default_ttl, max_ttl = ttls
    return aws.cloudfront.CachePolicy(
        resource_name,
        name=name,
        comment=comment,
        min_ttl=min_ttl,
        default_ttl=default_ttl,
        max_ttl=max_ttl,
        parameters_in_cache_key_and_forwarded_to_origin=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs(
            cookies_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs(
                cookie_behavior="none"
            ),
            headers_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs(
                header_behavior="none"
            ),
            query_strings_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs(
                query_string_behavior=query_strings
            ),
            enable_accept_encoding_gzip=compressed,
            enable_accept_encoding_brotli=compressed,
        ),
        opts=opts,
    )
