"""CloudFront's resources, recorded (the emulator has no CloudFront) with the outputs CloudFront gives
them and the configuration the edge serves; created, updated in place, deleted, and refused when an
input is not applied or CloudFront itself would refuse the configuration."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from harness.deploy.inputs import DeployError, Inputs, UnsupportedInput
from harness.deploy.provisioners import Context, cloudfront
from harness.deployed.loopback_ports import LoopbackPorts
from harness.deployed.stack_state import ResourceRecord, StackState
from harness.edge import model
from tests.replaying import replay
from tests.unit.harness.deploy.provisioners.cloudfront_inputs import (
    ACCESS,
    CACHE,
    REQUESTS,
    access_inputs,
    cache_inputs,
    distribution_inputs,
    request_policy_inputs,
)

DISTRIBUTION = cloudfront.Distribution.type_token
CLOUDFRONT_ID = re.compile(r"^E[A-Z0-9]{13}$")
ACCOUNT = "123456789012"  # moto's


def test_an_origin_access_control_is_recorded_as_cloudfront_answers(provisioned, unique):
    name = unique("oac")
    access = provisioned.apply(ACCESS, "access", access_inputs(name, description="reads images"))
    assert CLOUDFRONT_ID.match(access.id) and CLOUDFRONT_ID.match(access.outputs["etag"])
    assert access.outputs["arn"] == f"arn:aws:cloudfront::{ACCOUNT}:origin-access-control/{access.id}"
    assert model.OriginAccessControl.from_json(access.outputs["edge"]) == model.OriginAccessControl(
        access.id, name, "s3", "always", "sigv4"
    )
    renamed = provisioned.apply(ACCESS, "access", access_inputs(unique("oac")))
    assert renamed.id == access.id and renamed.outputs["etag"] != access.outputs["etag"]
    assert renamed.outputs["description"] == ""
    provisioned.delete(ACCESS, "access")


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"signingBehavior": "never"}, "'signingBehavior' = 'never'"),
        ({"originAccessControlOriginType": "lambda"}, "'originAccessControlOriginType' = 'lambda'"),
        ({"tags": {"team": "web"}}, "'tags'"),
    ],
)
def test_an_origin_access_control_input_not_applied_is_named(provisioned, unique, extra, named):
    with pytest.raises(UnsupportedInput, match=rf"^{re.escape(ACCESS)} 'strict': .*{re.escape(named)}"):
        provisioned.apply(ACCESS, "strict", access_inputs(unique("oac"), **extra))


def test_a_cache_policy_records_its_key_and_ttls_and_is_updated_in_place(provisioned, unique):
    name = unique("cache")
    policy = provisioned.apply(
        CACHE,
        "cache",
        cache_inputs(name, (0, 0, 600), cookies=("whitelist", ("lang",)), query_strings="all", gzip=True),
    )
    assert uuid.UUID(policy.id) and policy.outputs["arn"] == f"arn:aws:cloudfront::{ACCOUNT}:cache-policy/{policy.id}"
    edge = model.CachePolicy.from_json(policy.outputs["edge"])
    assert (edge.min_ttl, edge.default_ttl, edge.max_ttl, edge.gzip, edge.brotli) == (0, 0, 600, True, False)
    assert edge.cookies == model.Selection("whitelist", ("lang",), case_sensitive=True)
    assert edge.query_strings.behavior == "all" and edge.headers == model.Selection(case_sensitive=False)

    updated = provisioned.apply(CACHE, "cache", cache_inputs(name, (0, 0, 0)))
    assert updated.id == policy.id and updated.outputs["etag"] != policy.outputs["etag"]
    assert model.CachePolicy.from_json(updated.outputs["edge"]).caching_disabled


@pytest.mark.parametrize(
    ("policy", "refusal"),
    [
        (cache_inputs("p", (10, 5, 100)), "0 <= minTtl <= defaultTtl <= maxTtl"),
        (cache_inputs("p", (0, 0, 0), query_strings="all"), "disables caching"),
        (cache_inputs("p", (0, 0, 0), gzip=True), "disables caching"),
        (cache_inputs("p", headers=("whitelist", ("Accept-Encoding",))), "refuses Accept-Encoding in a cache policy"),
        (cache_inputs("p", cookies="whitelist"), "needs the names it lists"),
        (cache_inputs("p", cookies=("all", ("session",))), "lists no names"),
        ({"name": "p"}, "'parametersInCacheKeyAndForwardedToOrigin' is required"),
    ],
)
def test_a_cache_policy_cloudfront_refuses_is_refused(provisioned, policy, refusal):
    with pytest.raises(DeployError, match=re.escape(refusal)):
        provisioned.apply(CACHE, "refused", policy)


def test_a_cache_policy_input_not_applied_is_named(provisioned, unique):
    with pytest.raises(
        UnsupportedInput, match=r"'parametersInCacheKeyAndForwardedToOrigin.headersConfig.headerBehavior'"
    ):
        provisioned.apply(CACHE, "strict", cache_inputs(unique("cache"), headers="allViewer"))


def test_an_origin_request_policy_records_what_it_forwards(provisioned, unique):
    headers = ("whitelist", ("Origin", "X-CSRF-Token", "CloudFront-Viewer-Address"))
    policy = provisioned.apply(REQUESTS, "requests", request_policy_inputs(unique("requests"), headers))
    edge = model.OriginRequestPolicy.from_json(policy.outputs["edge"])
    assert edge.cookies.behavior == edge.query_strings.behavior == "all"
    assert edge.headers.selects("x-csrf-token") and not edge.headers.selects("Host")
    assert policy.outputs["arn"].endswith(f":origin-request-policy/{policy.id}")


@pytest.mark.parametrize(
    ("headers", "error", "refusal"),
    [
        (("whitelist", ("Authorization",)), DeployError, "refuses Authorization in an origin request policy"),
        (("whitelist", ("CloudFront-Viewer-Country",)), UnsupportedInput, "CloudFront-Viewer-Country"),
        (("allViewer", ("Origin",)), DeployError, "lists no names"),
    ],
)
def test_an_origin_request_policy_the_edge_or_cloudfront_cannot_apply_is_refused(
    provisioned, unique, headers, error, refusal
):
    with pytest.raises(error, match=re.escape(refusal)):
        provisioned.apply(REQUESTS, "refused", request_policy_inputs(unique("requests"), headers))


def test_a_distribution_is_recorded_with_its_edge_port_and_configuration(provisioned, cdn_policies):
    made = provisioned.apply(DISTRIBUTION, "cdn", distribution_inputs(**cdn_policies))
    outputs = made.outputs
    assert CLOUDFRONT_ID.match(made.id) and outputs["arn"] == f"arn:aws:cloudfront::{ACCOUNT}:distribution/{made.id}"
    first, last = cloudfront.EDGE_PORTS
    port = outputs["localPort"]
    assert first <= port <= last and port != 4566
    assert outputs["domainName"] == f"127.0.0.1:{port}"
    assert (outputs["status"], outputs["hostedZoneId"], outputs["enabled"]) == ("Deployed", "Z2FDTNDATAQYW2", True)
    served = model.Distribution.from_json(outputs["edge"])
    assert (served.id, served.arn, served.port) == (made.id, outputs["arn"], port)
    assert [(b.path_pattern, b.origin_id) for b in served.behaviours] == [("/images/*", "images"), ("*", "app")]
    images, app = served.origins
    assert (images.s3_bucket, images.s3_region, images.access_control_id) == (
        "photos",
        "us-east-1",
        cdn_policies["access"],
    )
    assert (app.domain_name, app.http_port, app.origin_path, app.protocol_policy) == (
        "127.0.0.1",
        4566,
        "/_aws/execute-api/abc/local",
        "http-only",
    )
    assert (app.read_timeout, app.connection_attempts, app.connection_timeout) == (30, 3, 10)
    assert served.error_caching_min_ttl(404) == 0 and served.error_caching_min_ttl(503) is None
    assert served.behaviours[1].origin_request_policy_id == cdn_policies["requests"]


def test_a_distribution_is_updated_in_place_keeping_its_id_and_port(provisioned, cdn_policies):
    made = provisioned.apply(DISTRIBUTION, "cdn", distribution_inputs(**cdn_policies))
    changed = distribution_inputs(**cdn_policies)
    changed["orderedCacheBehaviors"].insert(0, {**changed["orderedCacheBehaviors"][0], "pathPattern": "/api/*"})
    changed["orderedCacheBehaviors"][0]["targetOriginId"] = "app"
    again = provisioned.apply(DISTRIBUTION, "cdn", {**changed, "enabled": False})
    assert (again.id, again.outputs["localPort"], again.outputs["callerReference"]) == (
        made.id,
        made.outputs["localPort"],
        made.outputs["callerReference"],
    )
    assert again.outputs["etag"] != made.outputs["etag"]
    served = model.Distribution.from_json(again.outputs["edge"])
    assert [b.path_pattern for b in served.behaviours] == ["/api/*", "/images/*", "*"]
    assert served.enabled is False


def test_a_deleted_distribution_gives_its_port_back(provisioned, cdn_policies, moto_context):
    port = provisioned.apply(DISTRIBUTION, "cdn", distribution_inputs(**cdn_policies)).outputs["localPort"]
    assert port in moto_context.ports.held()
    provisioned.delete(DISTRIBUTION, "cdn")
    assert port not in moto_context.ports.held()


def test_two_distributions_get_two_ports_and_a_port_held_by_the_last_deploy_is_not_given_again(moto, cdn_policies):
    held = ResourceRecord(DISTRIBUTION, "old", "EOLD", "", {"localPort": cloudfront.EDGE_PORTS[0]})
    state = StackState("test", moto.endpoint_url, None, {"old": held})
    ctx = Context(moto, ports=LoopbackPorts.held_in(state))
    ports = []
    for name in ("one", "two"):
        inputs = Inputs(distribution_inputs(**cdn_policies), f"{DISTRIBUTION} {name!r}")
        ports.append(cloudfront.Distribution().provision(ctx, name, inputs, None).outputs["localPort"])
    assert len(set(ports)) == 2 and cloudfront.EDGE_PORTS[0] not in ports


def _without(inputs: dict[str, Any], path: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(inputs))
    *parents, last = path.split(".")
    node = copy
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    del node[last]
    return copy


@pytest.mark.parametrize(
    ("change", "error", "named"),
    [
        (lambda d: d | {"webAclId": "arn:waf"}, UnsupportedInput, "'webAclId'"),
        (lambda d: d | {"defaultRootObject": "index.html"}, UnsupportedInput, "'defaultRootObject'"),
        (
            lambda d: d | {"restrictions": {"geoRestriction": {"restrictionType": "whitelist", "locations": ["FR"]}}},
            UnsupportedInput,
            "'restrictions.geoRestriction.restrictionType' = 'whitelist'",
        ),
        (
            lambda d: (
                d
                | {
                    "defaultCacheBehavior": {
                        **d["defaultCacheBehavior"],
                        "functionAssociations": [{"eventType": "viewer-response", "functionArn": "arn:f"}],
                    }
                }
            ),
            UnsupportedInput,
            "a viewer-response function: the edge runs viewer-request ones only",
        ),
        (
            lambda d: (
                d
                | {
                    "defaultCacheBehavior": {
                        **d["defaultCacheBehavior"],
                        "functionAssociations": [{"eventType": "origin-request", "functionArn": "arn:f"}],
                    }
                }
            ),
            UnsupportedInput,
            "'defaultCacheBehavior.functionAssociations[0].eventType' = 'origin-request'",
        ),
        (
            lambda d: d | {"customErrorResponses": [{"errorCode": 404, "responsePagePath": "/404.html"}]},
            UnsupportedInput,
            "'customErrorResponses[0].responsePagePath'",
        ),
        (lambda d: _without(d, "defaultCacheBehavior.cachePolicyId"), UnsupportedInput, "cachePolicyId' is required"),
        (
            lambda d: d | {"defaultCacheBehavior": {**d["defaultCacheBehavior"], "targetOriginId": "nowhere"}},
            DeployError,
            "targets origin 'nowhere'",
        ),
        (
            lambda d: d | {"origins": [{**d["origins"][0], "domainName": "example.com"}, d["origins"][1]]},
            DeployError,
            "an origin without customOriginConfig is an S3 bucket's",
        ),
        (lambda d: d | {"aliases": ["photos.example.com"]}, DeployError, "refuses aliases"),
        (
            lambda d: d | {"defaultCacheBehavior": {**d["defaultCacheBehavior"], "allowedMethods": ["GET", "POST"]}},
            DeployError,
            "GET+HEAD, +OPTIONS, or all seven",
        ),
    ],
)
def test_a_distribution_the_edge_or_cloudfront_cannot_apply_is_refused_naming_why(
    provisioned, cdn_policies, change, error, named, moto_context
):
    held = moto_context.ports.held()
    with pytest.raises(error, match=re.escape(named)):
        provisioned.apply(DISTRIBUTION, "refused", change(distribution_inputs(**cdn_policies)))
    assert moto_context.ports.held() <= held  # a refused distribution holds no port


@pytest.mark.parametrize(
    ("domain", "bucket"),
    [
        ("photos.s3.amazonaws.com", ("photos", None)),
        ("photos.s3.eu-west-1.amazonaws.com", ("photos", "eu-west-1")),
        ("my.photos.s3-us-gov-west-1.amazonaws.com", ("my.photos", "us-gov-west-1")),
        ("photos.s3-website-us-east-1.amazonaws.com", None),
        ("photos.example.com", None),
    ],
)
def test_an_s3_origin_is_known_by_its_rest_endpoint(domain, bucket):
    assert cloudfront.s3_bucket_of(domain) == bucket


CDN_PROGRAM = """
    from components.cdn import AppOrigin, Cdn, CdnArgs

    images = aws.s3.Bucket("images", bucket=pulumi.Config("tiny").require("bucket"))
    private = aws.s3.BucketPublicAccessBlock(
        "private", bucket=images.id, block_public_acls=True, block_public_policy=True,
        ignore_public_acls=True, restrict_public_buckets=True,
    )
    cdn = Cdn("cdn", CdnArgs(
        name_prefix=pulumi.Config("tiny").require("bucket"),
        bucket_id=images.id,
        bucket_arn=images.arn,
        bucket_regional_domain_name=images.bucket_regional_domain_name,
        app_origin=AppOrigin("http://127.0.0.1:4566/_aws/execute-api/abc123/local"),
        bucket_policy_after=[private],
    ))
    pulumi.export("cdn_url", cdn.url)
    pulumi.export("distribution_arn", cdn.distribution_arn)
"""


def test_the_cdn_component_is_replayed_whole_and_again_unchanged(moto, tiny_project, tmp_path, unique):
    bucket = unique("tiny-cdn")
    project, state = tiny_project(CDN_PROGRAM, {"tiny:bucket": bucket}), tmp_path / "state.json"
    first = replay(project, "test", moto.endpoint_url, state)
    assert first.get("error") is None, first
    # bucket, access block; access control, 3 cache policies, request policy, format function, distribution,
    # bucket policy
    assert first["created"] == 10
    url, arn = first["outputs"]["cdn_url"], first["outputs"]["distribution_arn"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d{4}", url)
    policy = json.loads(moto.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Condition"]["StringEquals"]["aws:SourceArn"] == arn
    records = json.loads(state.read_text())["resources"]
    assert {r["type"] for r in records.values()} >= {DISTRIBUTION, CACHE, REQUESTS, ACCESS}

    again = replay(project, "test", moto.endpoint_url, state)
    assert (again["created"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert again["outputs"]["cdn_url"] == url
