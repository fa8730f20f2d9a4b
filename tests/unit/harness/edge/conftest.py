"""The edge against real stand-ins: a moto server for S3, and a small WSGI server for the API origin
(it answers what it was sent, so tests see what the edge forwarded). The distribution served is the
stack's own: the CDN component replayed into moto by the deployer, read back from its deploy state."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from harness.aws import AwsTarget
from harness.edge.app import EdgeApp, Site
from harness.edge.functions import FunctionRuntime
from harness.edge.origins import S3Origins
from harness.edge.stack import load_stack
from tests.replaying import replay, write_project
from tests.unit.conftest import free_port

VARIANT = "images/thumbnail/0f8e2a-3.jpg"
VARIANT_BYTES = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
IMMUTABLE = "public, max-age=31536000, immutable"
API_STAGE = "/prod"


@dataclass
class Seen:
    """One request the origin received."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class AppOrigin:
    """A stand-in for the web app behind API Gateway, under the stage path `/prod`:

    - `/prod/api/session`: sets two cookies (two Set-Cookie headers);
    - `/prod/api/counter`: answers how many times it was asked (cached answers repeat);
    - `/prod/assets/app.js`: a script cacheable for 600 s (`max-age`), 2 kB of text;
    - `/prod/page`: HTML that must not be cached (`no-cache`);
    - `/prod/api/slow`: answers only once released (the read timeout's test);
    - `/prod/sets-cookie`: a new session each time (`Set-Cookie: session=<n>`, n counting from 1),
      with the `Cache-Control` its query string's `cache-control` gives (none without), body `<n>`;
    - anything else: JSON of what it was sent.
    """

    url: str
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    counter: int = 0

    def last(self) -> Seen:
        return self.seen[-1]

    def asked(self, path: str) -> int:
        """How many requests for `path` (under the stage) reached the origin."""
        return sum(1 for seen in self.seen if seen.target.split("?")[0] == f"{API_STAGE}{path}")


def _origin_app(origin: AppOrigin) -> Callable[..., Any]:
    lock = threading.Lock()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = [(k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_")]
        headers += [
            (n, environ[k])
            for k, n in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length"))
            if environ.get(k)
        ]
        target = environ.get("RAW_URI") or environ["PATH_INFO"]
        with lock:
            origin.seen.append(Seen(environ["REQUEST_METHOD"], target, headers, body))
        path = environ["PATH_INFO"]
        extra: list[tuple[str, str]] = []
        if path == f"{API_STAGE}/api/session":
            extra = [("Set-Cookie", "session=abc; Path=/; HttpOnly"), ("Set-Cookie", "theme=dark; Path=/")]
            answer, content_type = b'{"signed_in": true}', "application/json"
        elif path == f"{API_STAGE}/api/counter":
            with lock:
                origin.counter += 1
                answer, content_type = json.dumps({"count": origin.counter}).encode(), "application/json"
        elif path == f"{API_STAGE}/assets/app.js":
            extra = [("Cache-Control", "public, max-age=600"), ("ETag", '"app-1"')]
            answer, content_type = ("// the dashboard\n" + "console.log('x');\n" * 120).encode(), "text/javascript"
        elif path == f"{API_STAGE}/page":
            extra = [("Cache-Control", "no-cache")]
            with lock:
                origin.counter += 1
            answer, content_type = f"<html>{origin.counter}</html>".encode(), "text/html"
        elif path == f"{API_STAGE}/sets-cookie":
            with lock:
                origin.counter += 1
                answer, content_type = str(origin.counter).encode(), "text/plain"
            extra = [("Set-Cookie", f"session={origin.counter}; Path=/; HttpOnly")]
            said = parse_qs(environ.get("QUERY_STRING", "")).get("cache-control")
            extra += [("Cache-Control", said[0])] if said else []
        elif path == f"{API_STAGE}/api/slow":
            origin.release.wait(30)
            answer, content_type = b"{}", "application/json"
        else:
            seen = {"method": environ["REQUEST_METHOD"], "target": target, "headers": headers, "body": body.decode()}
            answer, content_type = json.dumps(seen).encode(), "application/json"
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(answer))), *extra])
        return [answer]

    return app


@pytest.fixture(scope="session")
def app_origin() -> Iterator[AppOrigin]:
    port = free_port()
    origin = AppOrigin(f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, _origin_app(origin), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        origin.release.set()
        server.shutdown()
        server.server_close()


CDN_PROGRAM = """
    from components.cdn import AppOrigin, Cdn, CdnArgs

    tiny = pulumi.Config("tiny")
    images = aws.s3.Bucket("images", bucket=tiny.require("bucket"))
    private = aws.s3.BucketPublicAccessBlock(
        "private", bucket=images.id, block_public_acls=True, block_public_policy=True,
        ignore_public_acls=True, restrict_public_buckets=True,
    )
    cdn = Cdn("cdn", CdnArgs(
        name_prefix=tiny.require("bucket"),
        bucket_id=images.id,
        bucket_arn=images.arn,
        bucket_regional_domain_name=images.bucket_regional_domain_name,
        app_origin=AppOrigin(tiny.require("api")),
        bucket_policy_after=[private],
    ))
    pulumi.export("cdn_url", cdn.url)
    pulumi.export("bucket", images.bucket)
"""


@dataclass(frozen=True)
class DeployedCdn:
    """The stack's distribution as the deployer recorded it, and where it lives."""

    site: Site
    state_path: Path
    bucket: str
    outputs: dict[str, Any]
    policy: str


@pytest.fixture(scope="session")
def deployed(moto: AwsTarget, app_origin: AppOrigin, tmp_path_factory: pytest.TempPathFactory) -> DeployedCdn:
    folder = tmp_path_factory.mktemp("cdn-project")
    bucket = f"edge-{uuid.uuid4().hex[:8]}"
    project = write_project(folder, CDN_PROGRAM, {"tiny:bucket": bucket, "tiny:api": f"{app_origin.url}{API_STAGE}"})
    state_path = folder / "state.json"
    result = replay(project, "test", moto.endpoint_url, state_path)
    assert "error" not in result, result
    s3 = moto.client("s3")
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)  # see PolicyAside
    s3.put_object(Bucket=bucket, Key=VARIANT, Body=VARIANT_BYTES, ContentType="image/jpeg", CacheControl=IMMUTABLE)
    s3.put_object(Bucket=bucket, Key="uploads/alice/raw.jpg", Body=b"raw", ContentType="image/jpeg")
    (site,) = load_stack(state_path).sites
    return DeployedCdn(site, state_path, bucket, result["outputs"], policy)


class PolicyAside(S3Origins):
    """S3 origins in moto, the bucket's deployed policy kept aside for the edge to evaluate. (moto
    applies a Deny whose condition key it does not know, aws:SecureTransport here, to every request,
    so with the policy on the bucket it would refuse even the test's own uploads; S3 and LocalStack
    do not.)"""

    def __init__(self, endpoint_url: str, policies: dict[str, str]) -> None:
        super().__init__(endpoint_url, "us-east-1")
        self.policies = policies

    def bucket_policy(self, bucket: str) -> str | None:
        return self.policies.get(bucket)


@pytest.fixture
def s3_origins(deployed: DeployedCdn, moto: AwsTarget) -> S3Origins:
    return PolicyAside(moto.endpoint_url, {deployed.bucket: deployed.policy})


@pytest.fixture(scope="session")
def functions() -> Iterator[FunctionRuntime]:
    """The node runtime of the edges' CloudFront Functions, stopped when the tests end."""
    runtime = FunctionRuntime()
    yield runtime
    runtime.close()


@pytest.fixture
def edge(deployed: DeployedCdn, s3_origins: S3Origins, functions: FunctionRuntime) -> Client:
    """A viewer of the deployed distribution through a fresh edge (an empty cache)."""
    return Client(EdgeApp(deployed.site, s3_origins, functions=functions), use_cookies=False)
