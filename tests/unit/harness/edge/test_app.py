"""The stack's distribution served by the edge: the deployed CDN component (replayed into moto), its
S3 origin in moto, its API origin a small local server that says what it was sent."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re

from werkzeug.test import Client

from harness.edge.app import EdgeApp
from harness.edge.model import Origin
from harness.edge.origins import HttpOrigins, is_aws_domain
from tests.unit.harness.edge.conftest import API_STAGE, IMMUTABLE, VARIANT, VARIANT_BYTES, free_port


def _echo(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data())


def test_a_variant_is_read_from_the_bucket_then_served_from_the_cache(edge, deployed):
    first = edge.get(f"/{VARIANT}")
    assert first.status_code == 200 and first.get_data() == VARIANT_BYTES
    assert first.headers["X-Cache"] == "Miss from edge" and "Age" not in first.headers
    assert (first.headers["Content-Type"], first.headers["Cache-Control"]) == ("image/jpeg", IMMUTABLE)
    second = edge.get(f"/{VARIANT}")
    assert second.headers["X-Cache"] == "Hit from edge" and int(second.headers["Age"]) >= 0
    assert second.get_data() == VARIANT_BYTES and second.headers["ETag"] == first.headers["ETag"]
    head = edge.head(f"/{VARIANT}")
    assert head.headers["X-Cache"] == "Hit from edge" and head.get_data() == b""
    assert int(head.headers["Content-Length"]) == len(VARIANT_BYTES)


FORMATS = {"jpg": VARIANT_BYTES, "webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ", "avif": b"\x00\x00\x00\x1cftypavif"}


def test_a_negotiated_url_serves_the_best_format_the_browser_takes_each_cached_apart(edge, deployed, moto):
    stem = VARIANT.removesuffix(".jpg")
    for extension, body in FORMATS.items():
        if extension != "jpg":
            moto.client("s3").put_object(
                Bucket=deployed.bucket, Key=f"{stem}.{extension}", Body=body, ContentType=f"image/{extension}"
            )
    negotiated = f"/images/auto/avif-webp/{VARIANT.removeprefix('images/')}"
    served = {}
    for accept in ("image/avif,image/webp,*/*", "image/webp,*/*", "*/*", "image/avif,image/webp,*/*"):
        answer = edge.get(negotiated, headers={"Accept": accept})
        assert answer.status_code == 200
        served.setdefault(accept, []).append((answer.get_data(), answer.headers["X-Cache"]))
    assert served == {
        "image/avif,image/webp,*/*": [(FORMATS["avif"], "Miss from edge"), (FORMATS["avif"], "Hit from edge")],
        "image/webp,*/*": [(FORMATS["webp"], "Miss from edge")],
        "*/*": [(VARIANT_BYTES, "Miss from edge")],
    }
    # A variant's own URL is its own format, whatever the browser takes.
    assert edge.get(f"/{stem}.webp", headers={"Accept": "image/avif"}).get_data() == FORMATS["webp"]


def test_a_malformed_negotiated_url_is_the_functions_404_never_the_bucket(edge):
    answer = edge.get("/images/auto/avif/../uploads/alice/raw.jpg", headers={"Accept": "image/avif"})
    assert (answer.status_code, answer.headers["X-Cache"]) == (404, "FunctionGeneratedResponse from edge")
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_missing_variant_is_s3s_access_denied_since_the_cdn_may_not_list_the_bucket(edge):
    response = edge.get("/images/thumbnail/missing-1.jpg")
    assert response.status_code == 403 and response.headers["X-Cache"] == "Error from edge"
    assert b"<Code>AccessDenied</Code>" in response.get_data()
    assert response.headers["Content-Type"] == "application/xml"


def test_another_distribution_is_refused_by_the_bucket_policy(deployed, s3_origins):
    site = deployed.site
    other = dataclasses.replace(site.distribution, arn=site.distribution.arn.replace(site.distribution.id, "EOTHER"))
    edge = Client(EdgeApp(dataclasses.replace(site, distribution=other), s3_origins))
    response = edge.get(f"/{VARIANT}")
    assert response.status_code == 403 and b"AccessDenied" in response.get_data()


def test_only_the_published_variants_are_readable_through_the_cdn(deployed, s3_origins):
    images = deployed.site.distribution.origin("images")
    s3 = s3_origins
    raw = s3.fetch(images, deployed.site.distribution, "GET", "/uploads/alice/raw.jpg", secure=True)
    assert raw.status == 403
    variant = s3.fetch(images, deployed.site.distribution, "GET", f"/{VARIANT}", secure=True)
    assert variant.status == 200 and variant.body == VARIANT_BYTES
    insecure = s3.fetch(images, deployed.site.distribution, "GET", f"/{VARIANT}", secure=False)
    assert insecure.status == 403  # the policy's DenyInsecureTransport


def test_api_requests_are_forwarded_to_the_stage_with_what_the_policy_forwards(edge, app_origin):
    response = edge.post(
        "/api/images/42/review?mode=full&lang=fr",
        data=b'{"status": "Pass"}',
        headers={
            "Content-Type": "application/json",
            "Cookie": "session=abc; theme=dark",
            "X-CSRF-Token": "tok",
            "Authorization": "Bearer t",
            "Origin": "http://127.0.0.1",
            "X-Secret-Internal": "nope",
            "User-Agent": "pytest",
            "Host": "cdn.example",
        },
    )
    seen = _echo(response)
    assert response.headers["X-Cache"] == "Miss from edge"
    assert seen["method"] == "POST" and seen["body"] == '{"status": "Pass"}'
    assert seen["target"] == f"{API_STAGE}/api/images/42/review?mode=full&lang=fr"
    sent = {name.lower(): value for name, value in seen["headers"]}
    assert sent["cookie"] == "session=abc; theme=dark"
    assert (sent["x-csrf-token"], sent["origin"], sent["content-type"]) == (
        "tok",
        "http://127.0.0.1",
        "application/json",
    )
    assert sent["authorization"] == "Bearer t"  # a POST: CloudFront forwards Authorization
    assert "x-secret-internal" not in sent
    assert sent["user-agent"] == "Amazon CloudFront"
    assert sent["host"] == app_origin.url.removeprefix("http://")  # the origin's own, not the viewer's
    assert sent["x-forwarded-for"] == "127.0.0.1" and "(imagepipe edge)" in sent["via"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{56}", sent["x-amz-cf-id"])


def test_a_get_to_the_api_keeps_its_authorization_header_to_itself(edge):
    sent = {n.lower(): v for n, v in _echo(edge.get("/api/me", headers={"Authorization": "Bearer t"}))["headers"]}
    assert "authorization" not in sent


def test_a_head_the_origin_answers_keeps_the_origins_length(edge, app_origin):
    response = edge.head("/api/anything")
    assert response.status_code == 200 and response.get_data() == b""
    assert app_origin.last().method == "HEAD" and int(response.headers["Content-Length"]) > 0


def test_the_api_is_never_cached(edge):
    first = _echo(edge.get("/api/counter"))["count"]
    second = edge.get("/api/counter")
    assert _echo(second)["count"] == first + 1 and second.headers["X-Cache"] == "Miss from edge"


def test_every_cookie_the_origin_sets_reaches_the_viewer(edge):
    response = edge.post("/api/session", data=b"{}", headers={"Content-Type": "application/json"})
    assert response.headers.getlist("Set-Cookie") == ["session=abc; Path=/; HttpOnly", "theme=dark; Path=/"]


def test_pages_are_cached_only_as_their_cache_control_allows(edge, app_origin):
    page = edge.get("/page")
    assert edge.get("/page").get_data() != page.get_data()  # no-cache: asked of the origin every time
    asked = app_origin.asked("/assets/app.js")
    script = edge.get("/assets/app.js")
    again = edge.get("/assets/app.js")
    assert (script.headers["X-Cache"], again.headers["X-Cache"]) == ("Miss from edge", "Hit from edge")
    assert again.get_data() == script.get_data() and app_origin.asked("/assets/app.js") == asked + 1


def test_the_web_app_is_compressed_for_viewers_accepting_gzip_and_cached_apart(edge):
    zipped = edge.get("/assets/app.js", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    plain = edge.get("/assets/app.js")
    assert "Content-Encoding" not in plain.headers and plain.headers["X-Cache"] == "Miss from edge"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert edge.get("/assets/app.js", headers={"Accept-Encoding": "gzip"}).headers["X-Cache"] == "Hit from edge"


def test_a_variant_is_never_compressed(edge):
    response = edge.get(f"/{VARIANT}", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers and response.get_data() == VARIANT_BYTES


def test_a_revalidation_and_a_range_are_answered_from_the_whole_answer(edge):
    etag = edge.get(f"/{VARIANT}").headers["ETag"]
    revalidated = edge.get(f"/{VARIANT}", headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.get_data() == b""
    assert "Content-Length" not in revalidated.headers and revalidated.headers["ETag"] == etag
    part = edge.get(f"/{VARIANT}", headers={"Range": "bytes=4-9"})
    assert part.status_code == 206 and part.get_data() == VARIANT_BYTES[4:10]
    assert part.headers["Content-Range"] == f"bytes 4-9/{len(VARIANT_BYTES)}"
    assert edge.get(f"/{VARIANT}", headers={"Range": "bytes=99999-"}).status_code == 416


def test_a_method_the_behaviour_does_not_allow_is_refused_as_cloudfront_does(edge):
    response = edge.delete(f"/{VARIANT}")
    assert response.status_code == 403 and response.headers["X-Cache"] == "Error from edge"
    assert b"not configured to allow the HTTP request method" in response.get_data()


def test_an_unreachable_origin_is_a_502_and_a_silent_one_a_504(deployed, s3_origins):
    site = deployed.site
    app = site.distribution.origin("app")

    def edge_with(origin: Origin) -> Client:
        origins = tuple(origin if o.id == "app" else o for o in site.distribution.origins)
        distribution = dataclasses.replace(site.distribution, origins=origins)
        return Client(EdgeApp(dataclasses.replace(site, distribution=distribution), s3_origins))

    closed = edge_with(dataclasses.replace(app, http_port=free_port(), connection_attempts=1))
    refused = closed.get("/api/health")
    assert refused.status_code == 502 and refused.headers["X-Cache"] == "Error from edge"
    assert b"no connection to http://127.0.0.1" in refused.get_data()

    silent = edge_with(dataclasses.replace(app, read_timeout=1))
    timed_out = silent.get("/api/slow")
    assert timed_out.status_code == 504 and b"did not answer within 1 s" in timed_out.get_data()


def test_a_disabled_distribution_answers_403(deployed, s3_origins):
    disabled = dataclasses.replace(deployed.site.distribution, enabled=False)
    edge = Client(EdgeApp(dataclasses.replace(deployed.site, distribution=disabled), s3_origins))
    assert edge.get(f"/{VARIANT}").status_code == 403


def test_the_deployed_url_is_the_edges_loopback_port(deployed):
    assert deployed.outputs["cdn_url"] == f"http://127.0.0.1:{deployed.site.distribution.port}"


def test_an_api_stage_named_by_its_aws_domain_is_reached_at_the_emulator_by_host(deployed, s3_origins, app_origin):
    """The program names the API origin `<api>.execute-api.<region>.amazonaws.com`, as on AWS; here
    the emulator serves it, routing by the Host header (as LocalStack's DNS would send it there)."""
    site = deployed.site
    aws_name = "a1b2c3.execute-api.us-east-1.amazonaws.com"
    origin = dataclasses.replace(
        site.distribution.origin("app"), domain_name=aws_name, https_port=443, protocol_policy="https-only"
    )
    origins = tuple(origin if o.id == "app" else o for o in site.distribution.origins)
    distribution = dataclasses.replace(site.distribution, origins=origins)
    app = EdgeApp(dataclasses.replace(site, distribution=distribution), s3_origins, HttpOrigins(app_origin.url))
    seen = _echo(Client(app).get("/api/health"))
    assert seen["target"] == f"{API_STAGE}/api/health"
    assert {n.lower(): v for n, v in seen["headers"]}["host"] == aws_name

    elsewhere = EdgeApp(dataclasses.replace(site, distribution=distribution), s3_origins, HttpOrigins())
    assert elsewhere.http.address(origin, "http") == ("https", aws_name, 443)  # without an emulator: AWS itself
    assert is_aws_domain("abc.execute-api.eu-west-1.amazonaws.com") and not is_aws_domain("api.example.com")
