"""The CDN component through Pulumi's mocks: its behaviours in order, origin access control and the
bucket policy granting only this distribution, the API origin derived from the invoke URL, HTTPS,
the policies, the custom domain; and the CDN's stack settings."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.cdn import (
    ALL_METHODS,
    AppOrigin,
    Cdn,
    CdnArgs,
    CustomDomain,
    HttpOrigin,
    distribution_url,
)
from components.cdn_policies import APP_HEADERS
from components.config import ConfigError, StackConfig
from harness.mocked_program import run_mocked

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy"
REQUEST_POLICY = "aws:cloudfront/originRequestPolicy:OriginRequestPolicy"
ACCESS_CONTROL = "aws:cloudfront/originAccessControl:OriginAccessControl"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
FUNCTION = "aws:cloudfront/function:Function"
FUNCTION_ARN = "arn:aws:cloudfront::000000000000:function/imagepipe-test-image-format"
ROOT = Path(__file__).resolve().parents[3]

BUCKET_ARN = "arn:aws:s3:::photos-bucket"
DISTRIBUTION_ARN = "arn:aws:cloudfront::000000000000:distribution/E2QWRUHAPOMQZL"
DOMAIN = "d111111abcdef8.cloudfront.net"
AWS_INVOKE_URL = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod"
LOCAL_INVOKE_URL = "http://127.0.0.1:4566/_aws/execute-api/a1b2c3d4e5/local"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f6c7a36-0e8a-4c1e-9d3b-2a1f6e5d4c3b"


@dataclass
class Declared:
    """What a program declared (inputs by type and name, each resource's parent and dependencies)
    and the values of the outputs it was asked for."""

    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    parents: dict[tuple[str, str], str] = field(default_factory=dict)
    dependencies: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def one(self, type_token: str) -> dict[str, Any]:
        (inputs,) = [inputs for (typ, _), inputs in self.resources.items() if typ == type_token]
        return inputs

    def named(self, type_token: str) -> dict[str, dict[str, Any]]:
        return {inputs["name"]: inputs for (typ, _), inputs in self.resources.items() if typ == type_token}


class CloudMocks(pulumi.runtime.Mocks):
    """Answers as the AWS provider would for the resources the CDN declares."""

    def __init__(self, declared: Declared) -> None:
        self.declared = declared
        self.lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        with self.lock:
            self.declared.resources[(args.typ, args.name)] = dict(args.inputs)
        if args.typ == DISTRIBUTION:
            return "E2QWRUHAPOMQZL", {**args.inputs, "arn": DISTRIBUTION_ARN, "domainName": DOMAIN}
        if args.typ == FUNCTION:
            return args.inputs["name"], {**args.inputs, "arn": FUNCTION_ARN}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        raise AssertionError(f"the CDN should not call {args.token}")


class CloudMonitor(pulumi.runtime.mocks.MockMonitor):
    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        key = (request.type, request.name)
        with self.mocks.lock:
            if request.parent:
                self.mocks.declared.parents[key] = request.parent.split("::")[2].split("$")[-1]
            self.mocks.declared.dependencies[key] = [urn.rsplit("::", 1)[-1] for urn in request.dependencies]
        return super().RegisterResource(request)


def declare(build: Callable[[], dict[str, pulumi.Output[Any]]]) -> Declared:
    """Run `build` as a Pulumi program under the mocks; the outputs it returns, resolved."""
    declared = Declared()
    mocks = CloudMocks(declared)
    declared.outputs = run_mocked(build, mocks, project="imagepipe", stack="test", monitor=CloudMonitor(mocks))
    return declared


def cdn(invoke_url: str = AWS_INVOKE_URL, **settings: Any) -> Declared:
    def build() -> dict[str, pulumi.Output[Any]]:
        block = pulumi.CustomResource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "private", {})
        made = Cdn(
            "cdn",
            CdnArgs(
                name_prefix="imagepipe-test",
                bucket_id="photos-bucket",
                bucket_arn=BUCKET_ARN,
                bucket_regional_domain_name="photos-bucket.s3.eu-west-1.amazonaws.com",
                app_origin=AppOrigin(invoke_url),
                bucket_policy_after=[block],
                **settings,
            ),
        )
        return {"url": made.url, "arn": made.distribution_arn, "domain": made.domain_name}

    return declare(build)


@pytest.fixture(scope="module")
def declared() -> Declared:
    return cdn()


def _origins(distribution: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {origin["originId"]: origin for origin in distribution["origins"]}


def test_behaviours_are_images_then_api_then_the_web_app_by_default(declared):
    distribution = declared.one(DISTRIBUTION)
    ordered = distribution["orderedCacheBehaviors"]
    assert [(b["pathPattern"], b["targetOriginId"]) for b in ordered] == [
        ("/images/auto/*", "images"),
        ("/images/*", "images"),
        ("/api/*", "app"),
    ]
    assert distribution["defaultCacheBehavior"]["targetOriginId"] == "app"
    assert set(_origins(distribution)) == {"images", "app"}


def test_every_behaviour_redirects_viewers_to_https_and_the_images_take_reads_only(declared):
    distribution = declared.one(DISTRIBUTION)
    negotiated, images, api = distribution["orderedCacheBehaviors"]
    default = distribution["defaultCacheBehavior"]
    assert {b["viewerProtocolPolicy"] for b in (negotiated, images, api, default)} == {"redirect-to-https"}
    assert sorted(images["allowedMethods"]) == sorted(negotiated["allowedMethods"]) == ["GET", "HEAD"]
    assert sorted(api["allowedMethods"]) == sorted(default["allowedMethods"]) == sorted(ALL_METHODS)
    assert {tuple(sorted(b["cachedMethods"])) for b in (images, api, default)} == {("GET", "HEAD")}
    assert (distribution["enabled"], distribution["isIpv6Enabled"], distribution["httpVersion"]) == (
        True,
        True,
        "http2",
    )
    assert distribution["restrictions"] == {"geoRestriction": {"restrictionType": "none"}}


def test_the_images_origin_is_the_bucket_read_through_origin_access_control(declared):
    access = declared.one(ACCESS_CONTROL)
    assert (
        access["originAccessControlOriginType"],
        access["signingProtocol"],
        access["signingBehavior"],
    ) == ("s3", "sigv4", "always")
    images = _origins(declared.one(DISTRIBUTION))["images"]
    assert images["domainName"] == "photos-bucket.s3.eu-west-1.amazonaws.com"
    assert images["originAccessControlId"] == "cdn-images-access-id"
    assert "originPath" not in images  # the URL path is the key: /images/<variant>/<file>
    assert "s3OriginConfig" not in images and "customOriginConfig" not in images  # no legacy identity


def test_the_bucket_policy_lets_only_this_distribution_read_only_the_published_variants(declared):
    policy = json.loads(declared.one(BUCKET_POLICY)["policy"])
    assert declared.one(BUCKET_POLICY)["bucket"] == "photos-bucket"
    deny, allow = sorted(policy["Statement"], key=lambda s: s["Effect"] != "Deny")
    assert deny == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == f"{BUCKET_ARN}/images/*"
    assert allow["Condition"] == {"StringEquals": {"aws:SourceArn": DISTRIBUTION_ARN}}


def test_the_bucket_policy_waits_for_the_public_access_block(declared):
    assert "private" in declared.dependencies[(BUCKET_POLICY, "cdn-bucket-policy")]


def test_the_api_origin_is_the_invoke_urls_host_port_and_path(declared):
    app = _origins(declared.one(DISTRIBUTION))["app"]
    assert app["domainName"] == "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    assert app["originPath"] == "/prod"
    config = app["customOriginConfig"]
    assert (config["originProtocolPolicy"], config["httpsPort"], config["originSslProtocols"]) == (
        "https-only",
        443,
        ["TLSv1.2"],
    )


def test_the_local_invoke_url_gives_a_plain_http_origin_on_the_emulators_port():
    app = _origins(cdn(LOCAL_INVOKE_URL).one(DISTRIBUTION))["app"]
    assert (app["domainName"], app["originPath"]) == ("127.0.0.1", "/_aws/execute-api/a1b2c3d4e5/local")
    assert (app["customOriginConfig"]["originProtocolPolicy"], app["customOriginConfig"]["httpPort"]) == (
        "http-only",
        4566,
    )


@given(
    secure=st.booleans(),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}", fullmatch=True),
    port=st.one_of(st.none(), st.integers(1, 65535)),
    path=st.lists(st.from_regex(r"[A-Za-z0-9_.~-]{1,12}", fullmatch=True), max_size=4),
    trailing=st.booleans(),
)
def test_an_origin_serves_what_its_url_names(secure, host, port, path, trailing):
    scheme = "https" if secure else "http"
    url = f"{scheme}://{host}{'' if port is None else f':{port}'}/{'/'.join(path)}{'/' if trailing and path else ''}"
    origin = HttpOrigin.from_url(url)
    assert origin.domain_name == host
    assert origin.origin_path == ("/" + "/".join(path) if path else "")
    served_port = origin.https_port if secure else origin.http_port
    assert served_port == (port or (443 if secure else 80))
    assert origin.protocol_policy == f"{scheme}-only"
    rebuilt = f"{scheme}://{origin.domain_name}:{served_port}{origin.origin_path}"
    assert rebuilt.rstrip("/") == f"{scheme}://{host}:{served_port}/{'/'.join(path)}".rstrip("/")


@pytest.mark.parametrize("url", ["ftp://host/x", "https:///stage", "https://host/stage?x=1", "https://u:p@host/s"])
def test_an_origin_url_that_is_not_a_host_port_and_path_is_refused(url):
    with pytest.raises(ValueError, match="origin"):
        HttpOrigin.from_url(url)


def test_the_api_is_never_cached_and_gets_every_cookie_query_string_and_the_apps_headers(declared):
    distribution = declared.one(DISTRIBUTION)
    policies = declared.named(CACHE_POLICY)
    api = policies["imagepipe-test-api"]
    assert (api["minTtl"], api["defaultTtl"], api["maxTtl"]) == (0, 0, 0)
    key = api["parametersInCacheKeyAndForwardedToOrigin"]
    assert key["cookiesConfig"]["cookieBehavior"] == key["headersConfig"]["headerBehavior"] == "none"
    assert key["queryStringsConfig"]["queryStringBehavior"] == "none"
    assert not key["enableAcceptEncodingGzip"] and not key["enableAcceptEncodingBrotli"]
    (requests,) = declared.named(REQUEST_POLICY).values()
    assert requests["cookiesConfig"] == {"cookieBehavior": "all"}
    assert requests["queryStringsConfig"] == {"queryStringBehavior": "all"}
    headers = requests["headersConfig"]["headers"]["items"]
    assert requests["headersConfig"]["headerBehavior"] == "whitelist"
    assert set(headers) == set(APP_HEADERS) and "X-CSRF-Token" in headers
    assert not {h.lower() for h in headers} & {"host", "authorization"}
    _, _, api_behaviour = distribution["orderedCacheBehaviors"]
    assert api_behaviour["cachePolicyId"] == "cdn-api-cache-id"
    assert api_behaviour["originRequestPolicyId"] == "cdn-app-requests-id"


def test_variants_are_cached_as_their_cache_control_says_keyed_on_the_path_alone(declared):
    negotiated, images_behaviour, _ = declared.one(DISTRIBUTION)["orderedCacheBehaviors"]
    for behaviour in (negotiated, images_behaviour):
        assert behaviour["cachePolicyId"] == "cdn-images-cache-id"
        assert "originRequestPolicyId" not in behaviour and behaviour["compress"] is False
    images = declared.named(CACHE_POLICY)["imagepipe-test-images"]
    assert images["minTtl"] == 0 and images["maxTtl"] >= 31_536_000  # a year's max-age is honoured
    key = images["parametersInCacheKeyAndForwardedToOrigin"]
    assert (
        key["cookiesConfig"]["cookieBehavior"],
        key["headersConfig"]["headerBehavior"],
        key["queryStringsConfig"]["queryStringBehavior"],
    ) == ("none", "none", "none")


def test_the_negotiated_images_go_through_the_published_format_function_on_the_viewer_request(declared):
    negotiated, images, _ = declared.one(DISTRIBUTION)["orderedCacheBehaviors"]
    (function,) = declared.named(FUNCTION).values()
    assert (function["runtime"], function["publish"]) == ("cloudfront-js-2.0", True)
    assert function["code"] == (ROOT / "cdn_functions" / "image_format.js").read_text()
    assert negotiated["functionAssociations"] == [{"eventType": "viewer-request", "functionArn": FUNCTION_ARN}]
    assert "functionAssociations" not in images  # a variant's own URL is served as it is


def test_pages_are_cached_only_when_their_cache_control_allows(declared):
    default = declared.one(DISTRIBUTION)["defaultCacheBehavior"]
    assert default["cachePolicyId"] == "cdn-pages-cache-id" and default["compress"] is True
    pages = declared.named(CACHE_POLICY)["imagepipe-test-pages"]
    assert (pages["minTtl"], pages["defaultTtl"]) == (0, 0)  # no-cache honoured, nothing kept unasked
    assert pages["maxTtl"] > 0
    assert pages["parametersInCacheKeyAndForwardedToOrigin"]["cookiesConfig"]["cookieBehavior"] == "none"


def test_the_dashboards_shell_and_assets_get_no_cookie_so_no_session_can_reach_their_cache(declared):
    """Forwarding no cookie, CloudFront also removes every Set-Cookie of their answers (Cookies.html:
    "Don't forward cookies to your origin")."""
    default = declared.one(DISTRIBUTION)["defaultCacheBehavior"]
    assert "originRequestPolicyId" not in default
    pages = declared.named(CACHE_POLICY)["imagepipe-test-pages"]["parametersInCacheKeyAndForwardedToOrigin"]
    assert pages["cookiesConfig"] == {"cookieBehavior": "none"}


def test_only_a_behaviour_that_caches_nothing_forwards_cookies(declared):
    """A behaviour forwarding cookies keeps an answer's Set-Cookie with it and sends it on every hit
    (Cookies.html), and at a min TTL above 0 even a `private, no-store` one (Expiration.html): so the
    behaviours that take the session must cache nothing at all."""
    distribution = declared.one(DISTRIBUTION)
    policies = {f"{name}-id": inputs for (typ, name), inputs in declared.resources.items() if typ == CACHE_POLICY}
    requests = {f"{name}-id": inputs for (typ, name), inputs in declared.resources.items() if typ == REQUEST_POLICY}
    forwarding = []
    for behaviour in [*distribution["orderedCacheBehaviors"], distribution["defaultCacheBehavior"]]:
        policy = policies[behaviour["cachePolicyId"]]
        cookies = {policy["parametersInCacheKeyAndForwardedToOrigin"]["cookiesConfig"]["cookieBehavior"]}
        if "originRequestPolicyId" in behaviour:
            cookies.add(requests[behaviour["originRequestPolicyId"]]["cookiesConfig"]["cookieBehavior"])
        if cookies != {"none"}:
            forwarding.append(behaviour.get("pathPattern", "*"))
            assert policy["maxTtl"] == 0, behaviour
    assert forwarding == ["/api/*"]


def test_errors_are_not_kept_for_the_next_viewer(declared):
    errors = declared.one(DISTRIBUTION)["customErrorResponses"]
    assert {e["errorCode"] for e in errors} >= {403, 404, 500, 502, 503, 504}
    assert {e["errorCachingMinTtl"] for e in errors} == {0}
    assert not any("responsePagePath" in e or "responseCode" in e for e in errors)


def test_without_a_custom_domain_the_url_is_the_distributions_own_https_name(declared):
    certificate = declared.one(DISTRIBUTION)["viewerCertificate"]
    assert certificate == {"cloudfrontDefaultCertificate": True}
    assert "aliases" not in declared.one(DISTRIBUTION)
    assert declared.outputs == {"url": f"https://{DOMAIN}", "arn": DISTRIBUTION_ARN, "domain": DOMAIN}


def test_a_custom_domain_has_its_aliases_and_certificate_and_is_the_url():
    declared = cdn(custom_domain=CustomDomain(("photos.example.com", "www.photos.example.com"), CERTIFICATE))
    distribution = declared.one(DISTRIBUTION)
    assert distribution["aliases"] == ["photos.example.com", "www.photos.example.com"]
    assert distribution["viewerCertificate"] == {
        "acmCertificateArn": CERTIFICATE,
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    assert declared.outputs["url"] == "https://photos.example.com"


def test_every_resource_is_a_child_of_the_component(declared):
    for typ, name in declared.resources:
        if typ.startswith("aws:cloudfront/") or typ == BUCKET_POLICY:
            assert declared.parents[(typ, name)] == "imagepipe:cdn:Cdn", (typ, name)


@pytest.mark.parametrize(
    ("domain_name", "url"),
    [
        ("d111111abcdef8.cloudfront.net", "https://d111111abcdef8.cloudfront.net"),
        ("127.0.0.1:4580", "http://127.0.0.1:4580"),
        ("127.0.0.2:8080", "http://127.0.0.2:8080"),
        ("localhost:4581", "http://localhost:4581"),
        ("[::1]:4580", "http://[::1]:4580"),
        ("photos.example.com", "https://photos.example.com"),
        ("10.0.0.1:80", "https://10.0.0.1:80"),
    ],
)
def test_only_a_loopback_distribution_is_served_in_plain_http(domain_name, url):
    assert distribution_url(domain_name) == url


def test_a_custom_domain_comes_from_both_settings_or_none():
    assert CustomDomain.from_settings((), None) is None
    assert CustomDomain.from_settings(["a.example.com"], CERTIFICATE) == CustomDomain(("a.example.com",), CERTIFICATE)
    with pytest.raises(ValueError, match="certificate"):
        CustomDomain.from_settings(["a.example.com"], None)


def test_the_cdn_settings_default_to_no_custom_domain():
    config = StackConfig(name_prefix="imagepipe-dev")
    assert (config.cdn_price_class, config.cdn_aliases, config.cdn_certificate_arn) == ("PriceClass_100", (), None)
    assert StackConfig(
        name_prefix="imagepipe-dev", cdn_aliases=("*.photos.example.com",), cdn_certificate_arn=CERTIFICATE
    ).cdn_aliases == ("*.photos.example.com",)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"cdn_price_class": "PriceClass_50"}, "imagepipe:cdnPriceClass"),
        ({"cdn_aliases": ("Not A Name",), "cdn_certificate_arn": CERTIFICATE}, "imagepipe:cdnAliases"),
        ({"cdn_aliases": ("photos.example.com",)}, "imagepipe:cdnAliases/cdnCertificateArn"),
        ({"cdn_certificate_arn": CERTIFICATE}, "imagepipe:cdnAliases/cdnCertificateArn"),
        (
            {"cdn_aliases": ("a.example.com",), "cdn_certificate_arn": CERTIFICATE.replace("us-east-1", "eu-west-1")},
            "imagepipe:cdnCertificateArn",
        ),
    ],
)
def test_a_bad_cdn_setting_is_an_error_naming_its_key(settings, key):
    with pytest.raises(ConfigError, match=key):
        StackConfig(name_prefix="imagepipe-dev", **settings)
