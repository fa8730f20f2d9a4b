"""CloudFront resources' inputs as the program declares them (camelCase, as the mocks see them), for
the provisioners' tests."""

from __future__ import annotations

from typing import Any

from harness.deploy.provisioners import cloudfront_policies
from harness.edge import model

ACCESS = cloudfront_policies.OriginAccessControl.type_token
CACHE = cloudfront_policies.CachePolicy.type_token
REQUESTS = cloudfront_policies.OriginRequestPolicy.type_token


def access_inputs(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "originAccessControlOriginType": "s3",
        "signingBehavior": "always",
        "signingProtocol": "sigv4",
        **extra,
    }


def cache_key_inputs(cookies="none", headers="none", query_strings="none", **encodings: bool) -> dict[str, Any]:
    def config(kind: str, behavior: Any) -> dict[str, Any]:
        if isinstance(behavior, tuple):
            behavior, items = behavior
            return {f"{kind}Behavior": behavior, f"{kind}s": {"items": list(items)}}
        return {f"{kind}Behavior": behavior}

    return {
        "cookiesConfig": config("cookie", cookies),
        "headersConfig": config("header", headers),
        "queryStringsConfig": config("queryString", query_strings),
        **{f"enableAcceptEncoding{name.capitalize()}": on for name, on in encodings.items()},
    }


def cache_inputs(name: str, ttls=(0, 86400, 31536000), **key: Any) -> dict[str, Any]:
    return {
        "name": name,
        "minTtl": ttls[0],
        "defaultTtl": ttls[1],
        "maxTtl": ttls[2],
        "parametersInCacheKeyAndForwardedToOrigin": cache_key_inputs(**key),
    }


def request_policy_inputs(name: str, headers: Any = ("whitelist", ("X-CSRF-Token",))) -> dict[str, Any]:
    behavior, items = headers
    return {
        "name": name,
        "cookiesConfig": {"cookieBehavior": "all"},
        "queryStringsConfig": {"queryStringBehavior": "all"},
        "headersConfig": {"headerBehavior": behavior, "headers": {"items": list(items)}},
    }


def distribution_inputs(access: str, cache: str, requests: str, **extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "isIpv6Enabled": True,
        "httpVersion": "http2",
        "priceClass": "PriceClass_100",
        "origins": [
            {"originId": "images", "domainName": "photos.s3.us-east-1.amazonaws.com", "originAccessControlId": access},
            {
                "originId": "app",
                "domainName": "127.0.0.1",
                "originPath": "/_aws/execute-api/abc/local",
                "customOriginConfig": {
                    "httpPort": 4566,
                    "httpsPort": 443,
                    "originProtocolPolicy": "http-only",
                    "originSslProtocols": ["TLSv1.2"],
                },
            },
        ],
        "orderedCacheBehaviors": [
            {
                "pathPattern": "/images/*",
                "targetOriginId": "images",
                "viewerProtocolPolicy": "redirect-to-https",
                "allowedMethods": ["GET", "HEAD"],
                "cachedMethods": ["GET", "HEAD"],
                "cachePolicyId": cache,
            }
        ],
        "defaultCacheBehavior": {
            "targetOriginId": "app",
            "viewerProtocolPolicy": "redirect-to-https",
            "allowedMethods": list(model.ALL_METHODS),
            "cachedMethods": ["GET", "HEAD"],
            "cachePolicyId": cache,
            "originRequestPolicyId": requests,
            "compress": True,
        },
        "customErrorResponses": [{"errorCode": 404, "errorCachingMinTtl": 0}],
        "restrictions": {"geoRestriction": {"restrictionType": "none"}},
        "viewerCertificate": {"cloudfrontDefaultCertificate": True},
        **extra,
    }
