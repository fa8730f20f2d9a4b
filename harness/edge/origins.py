"""Getting an answer from an origin: an S3 bucket in the emulator, read as origin access control
reads it, or a custom origin over HTTP(S) with CloudFront's timeouts."""

from __future__ import annotations

import http.client
import logging
import secrets
from typing import Any, Final
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from botocore.exceptions import BotoCoreError, ClientError

from harness.aws import AwsTarget
from harness.edge.access import CLOUDFRONT_SERVICE, AccessRequest, PolicyOutsideModel, decide
from harness.edge.exchange import OriginFailed, OriginRequest, OriginResponse, end_to_end
from harness.edge.forwarding import origin_scheme_and_port
from harness.edge.model import Distribution, Origin

log = logging.getLogger(__name__)

# What S3 answers about an object that CloudFront passes on to viewers.
S3_HEADERS: Final = frozenset(
    {
        "content-type",
        "content-length",
        "etag",
        "last-modified",
        "cache-control",
        "content-encoding",
        "content-disposition",
        "content-language",
        "expires",
        "accept-ranges",
        "x-amz-version-id",
    }
)


class S3Origins:
    """Reads S3 origins from the emulator. The emulator enforces no bucket policy, so the bucket's
    policy is evaluated here (harness/edge/access.py) as S3 evaluates it for CloudFront: signed by
    the origin access control as `cloudfront.amazonaws.com` for the distribution (`aws:SourceArn`),
    or anonymous without one. Refused: S3's 403 AccessDenied. A missing key: 404 NoSuchKey when the
    policy also grants s3:ListBucket, else 403 AccessDenied, as S3 answers."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._targets: dict[str, AwsTarget] = {}

    def fetch(
        self, origin: Origin, distribution: Distribution, method: str, path: str, *, secure: bool
    ) -> OriginResponse:
        bucket = origin.s3_bucket
        assert bucket is not None, "not an S3 origin"
        key = unquote(origin.origin_path + path).removeprefix("/")
        if method not in ("GET", "HEAD"):
            log.warning("%s %s: the edge reads S3 origins (GET, HEAD) only", method, path)
            return _s3_error(403, "AccessDenied", "Access Denied")
        s3 = self._s3(origin.s3_region or self.region)
        try:
            policy = self.bucket_policy(bucket)
            if not self._allowed(policy, origin, distribution, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", secure):
                return _s3_error(403, "AccessDenied", "Access Denied")
            try:
                answer = (s3.head_object if method == "HEAD" else s3.get_object)(Bucket=bucket, Key=key)
            except ClientError as error:
                if _code(error) not in ("NoSuchKey", "404", "NotFound"):
                    raise
                if self._allowed(policy, origin, distribution, "s3:ListBucket", f"arn:aws:s3:::{bucket}", secure):
                    return _s3_error(404, "NoSuchKey", "The specified key does not exist.", key=key)
                return _s3_error(403, "AccessDenied", "Access Denied")
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
            return _s3_error(status, _code(error), error.response.get("Error", {}).get("Message", ""))
        except BotoCoreError as error:
            raise OriginFailed(502, f"the S3 origin {origin.domain_name} did not answer: {error}") from error
        sent = answer["ResponseMetadata"]["HTTPHeaders"]
        headers = [
            (_title(name), value)
            for name, value in sent.items()
            if name in S3_HEADERS or name.startswith("x-amz-meta-")
        ]
        body = answer["Body"].read() if "Body" in answer else b""
        return OriginResponse(200, "OK", headers, body, served_by="s3")

    def _allowed(
        self, policy: str | None, origin: Origin, distribution: Distribution, action: str, resource: str, secure: bool
    ) -> bool:
        signed = origin.access_control_id is not None
        context = {"aws:SecureTransport": "true" if secure else "false"}
        if signed:
            context |= {"aws:SourceArn": distribution.arn, "aws:SourceAccount": distribution.arn.split(":")[4]}
        request = AccessRequest(action, resource, CLOUDFRONT_SERVICE if signed else None, context)
        try:
            decision = decide(policy, request)
        except PolicyOutsideModel as error:
            log.warning("bucket policy of %s refused: %s", origin.domain_name, error)
            return False
        if not decision.allowed:
            log.info("%s on %s for %s: %s", action, resource, distribution.id, decision.reason)
        return decision.allowed

    def bucket_policy(self, bucket: str) -> str | None:
        """The bucket's policy as the emulator holds it (None: it has none)."""
        s3 = self._s3(self.region)
        try:
            return str(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        except ClientError as error:
            if _code(error) == "NoSuchBucketPolicy":
                return None
            raise

    def _s3(self, region: str) -> Any:
        target = self._targets.setdefault(region, AwsTarget(self.endpoint_url, region))
        return target.client("s3")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-")) if not name.startswith("x-amz-") else name


def _s3_error(status: int, code: str, message: str, *, key: str | None = None) -> OriginResponse:
    """An error as S3 answers it: XML with the code, the message, ids."""
    key_element = f"<Key>{escape(key)}</Key>" if key is not None else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>{key_element}"
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId><HostId>{secrets.token_urlsafe(48)}</HostId></Error>"
    ).encode()
    reasons = {403: "Forbidden", 404: "Not Found"}
    headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
    return OriginResponse(status, reasons.get(status, "Error"), headers, body, served_by="s3")


class HttpOrigins:
    """Custom origins over HTTP(S), one connection per request. A connection is tried
    `connection_attempts` times, each for `connection_timeout` seconds; none made: 504 when they
    timed out, else 502. No answer within `read_timeout`: 504.

    An origin named by AWS's own domain (`*.amazonaws.com`, e.g. an API stage's
    `<api id>.execute-api.<region>.amazonaws.com`) is reached at `aws_endpoint`, the emulator, as
    LocalStack's DNS would resolve it there; the request keeps its Host header, by which the
    emulator routes it (LocalStack serves `<api id>.execute-api.<anything>` hosts as that API)."""

    def __init__(self, aws_endpoint: str | None = None) -> None:
        self.aws_endpoint = urlsplit(aws_endpoint) if aws_endpoint else None

    def address(self, origin: Origin, viewer_scheme: str) -> tuple[str, str, int]:
        """Where to connect for `origin`: scheme, host, port."""
        if self.aws_endpoint is not None and is_aws_domain(origin.domain_name):
            scheme = self.aws_endpoint.scheme or "http"
            port = self.aws_endpoint.port or (443 if scheme == "https" else 80)
            return scheme, self.aws_endpoint.hostname or "127.0.0.1", port
        scheme, port = origin_scheme_and_port(origin, viewer_scheme)
        return scheme, origin.domain_name, port

    def fetch(self, origin: Origin, request: OriginRequest, *, viewer_scheme: str) -> OriginResponse:
        scheme, host, port = self.address(origin, viewer_scheme)
        connection = self._connect(origin, scheme, host, port)
        where = f"{scheme}://{host}:{port}"
        try:
            assert connection.sock is not None
            connection.sock.settimeout(origin.read_timeout)
            connection.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
            names = set()
            for name, value in request.headers:
                connection.putheader(name, value)
                names.add(name.lower())
            if "content-length" not in names and (request.body or request.method in ("POST", "PUT", "PATCH")):
                connection.putheader("Content-Length", str(len(request.body)))
            connection.endheaders(request.body or None)
            response = connection.getresponse()
            body = response.read()
        except TimeoutError as error:
            raise OriginFailed(504, f"{where} did not answer within {origin.read_timeout} s") from error
        except (OSError, http.client.HTTPException) as error:
            raise OriginFailed(502, f"{where} broke off: {type(error).__name__}: {error}") from error
        finally:
            connection.close()
        return OriginResponse(response.status, response.reason, end_to_end(response.getheaders()), body)

    def _connect(self, origin: Origin, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        timed_out, last = False, ""
        for _ in range(max(1, origin.connection_attempts)):
            connection: http.client.HTTPConnection
            if scheme == "https":
                connection = http.client.HTTPSConnection(host, port, timeout=origin.connection_timeout)
            else:
                connection = http.client.HTTPConnection(host, port, timeout=origin.connection_timeout)
            try:
                connection.connect()
                return connection
            except TimeoutError as error:
                timed_out, last = True, str(error) or "timed out"
            except OSError as error:
                last = f"{type(error).__name__}: {error}"
            connection.close()
        where = f"{scheme}://{host}:{port}"
        if host != origin.domain_name:
            where += f" (for {origin.domain_name})"
        tries = f"{origin.connection_attempts} attempt(s) of {origin.connection_timeout} s"
        raise OriginFailed(504 if timed_out else 502, f"no connection to {where} after {tries} ({last})")


def is_aws_domain(domain_name: str) -> bool:
    """Whether `domain_name` is one of AWS's own (`….amazonaws.com`, `….amazonaws.com.cn`)."""
    name = domain_name.lower().rstrip(".")
    return name.endswith((".amazonaws.com", ".amazonaws.com.cn"))
