"""A stand-in for EC2's instance metadata service (IMDS), for the fleet's local instances: what an
instance asks it on EC2 (its id, zone and region, and its instance profile's role credentials), in
IMDSv2's way only, as the launch template requires (`http_tokens = "required"`).

One server answers for every instance of a fleet, each under a path of its own: an instance is
pointed at `<server>/<instance id>/` with AWS_EC2_METADATA_SERVICE_ENDPOINT, which botocore (so boto3,
and the AWS CLI's stand-in) reads instead of http://169.254.169.254/. A token comes from
`PUT latest/api/token` with a TTL of 1 to 21600 s; every `GET` without a valid token of that
instance is refused 401, as IMDSv2 refuses it. The role's credentials are the role's own
(sts:AssumeRole at the emulator, renewed before they expire), so the emulator's IAM check judges
the instance's calls against the instance role's policies. What it does not serve: user data,
network interfaces, tags, spot and events; IMDSv1.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

HOST = "127.0.0.1"
MAX_TOKEN_TTL = 21_600
TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
METADATA_ENDPOINT_VARIABLE = "AWS_EC2_METADATA_SERVICE_ENDPOINT"  # where botocore asks, instead of 169.254.169.254


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    token: str
    expiration: datetime


@dataclass
class InstanceMetadata:
    """What one instance's metadata says: its id, zone and type, its role's name, and how to get
    that role's credentials (called again when they are within 5 minutes of expiring)."""

    instance_id: str
    zone: str
    instance_type: str
    role_name: str
    credentials: Callable[[], Credentials]
    _current: Credentials | None = None
    _tokens: dict[str, float] = field(default_factory=dict)

    @property
    def region(self) -> str:
        return self.zone[:-1]

    def role_credentials(self) -> Credentials:
        if self._current is None or (self._current.expiration - datetime.now(UTC)).total_seconds() < 300:
            self._current = self.credentials()
        return self._current

    def meta_data(self) -> dict[str, str]:
        """The metadata paths served (under `latest/meta-data/`) and their text."""
        return {
            "instance-id": self.instance_id,
            "instance-type": self.instance_type,
            "placement/availability-zone": self.zone,
            "placement/region": self.region,
            "iam/security-credentials/": self.role_name,
        }


class MetadataService:
    """The stand-in's server: `add` an instance, point it at `url_for(its id)`, `remove` it when it ends."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._instances: dict[str, InstanceMetadata] = {}
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None

    def start(self) -> None:
        self._server = make_server(HOST, self.port, self.app, threaded=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def add(self, instance: InstanceMetadata) -> None:
        with self._lock:
            self._instances[instance.instance_id] = instance

    def remove(self, instance_id: str) -> None:
        with self._lock:
            self._instances.pop(instance_id, None)

    def url_for(self, instance_id: str) -> str:
        return f"http://{HOST}:{self.port}/{instance_id}/"

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        instance_id, _, path = request.path.lstrip("/").partition("/")
        with self._lock:
            instance = self._instances.get(instance_id)
        if instance is None:
            response = Response("no such instance", status=404)
        elif path == "latest/api/token":
            response = _token(request, instance)
        else:
            response = _metadata(request, instance, path)
        return response(environ, start_response)


def _token(request: Request, instance: InstanceMetadata) -> Response:
    """IMDSv2's session token: PUT only, with a TTL of 1 to 21600 s."""
    if request.method != "PUT":
        return Response("", status=405)
    try:
        ttl = int(request.headers.get(TOKEN_TTL_HEADER, ""))
    except ValueError:
        ttl = 0
    if not 1 <= ttl <= MAX_TOKEN_TTL:
        return Response("", status=400)
    token = secrets.token_urlsafe(32)
    instance._tokens[token] = time.monotonic() + ttl
    return Response(token, headers={TOKEN_TTL_HEADER: str(ttl)}, mimetype="text/plain")


def _metadata(request: Request, instance: InstanceMetadata, path: str) -> Response:
    """A metadata path, for a request carrying a live token of this instance (else 401)."""
    expires = instance._tokens.get(request.headers.get(TOKEN_HEADER, ""))
    if request.method not in ("GET", "HEAD"):
        return Response("", status=405)
    if expires is None or expires < time.monotonic():
        return Response("", status=401)
    prefix = "latest/meta-data/"
    if not path.startswith(prefix):
        return Response("", status=404)
    key = path.removeprefix(prefix)
    if key == f"iam/security-credentials/{instance.role_name}":
        return Response(_credentials_document(instance.role_credentials()), mimetype="text/plain")
    text = instance.meta_data().get(key)
    return Response(text, mimetype="text/plain") if text is not None else Response("", status=404)


def _credentials_document(credentials: Credentials) -> str:
    """The role's credentials as IMDS gives them."""
    return json.dumps(
        {
            "Code": "Success",
            "LastUpdated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Type": "AWS-HMAC",
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "Token": credentials.token,
            "Expiration": credentials.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def assumed_role(sts: Any, role_arn: str, session_name: str) -> Callable[[], Credentials]:
    """Credentials of `role_arn` from sts:AssumeRole at the emulator, each call a new session, as
    EC2 gives an instance its profile's role."""

    def assume() -> Credentials:
        issued = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return Credentials(
            issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"], issued["Expiration"]
        )

    return assume
