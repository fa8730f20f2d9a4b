"""The one place clients for the emulator are made: every boto3 client the harness and the tests use
comes from an `AwsTarget`, so no endpoint string is scattered through the code."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
from botocore.config import Config

# LocalStack accepts any credentials; these are the conventional ones.
TEST_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
# The same, as a process's environment (beside AwsTarget.role_environment's, a role's).
TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": TEST_CREDENTIALS["aws_access_key_id"],
    "AWS_SECRET_ACCESS_KEY": TEST_CREDENTIALS["aws_secret_access_key"],
}


@dataclass
class AwsTarget:
    """An AWS-compatible endpoint (the embedded LocalStack, or one given by `--endpoint`) and region."""

    endpoint_url: str
    region: str = "us-east-1"
    _clients: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def client(self, service: str) -> Any:
        """A boto3 client for `service` at this endpoint (cached; boto3 clients are thread-safe)."""
        with self._lock:
            if service not in self._clients:
                # boto3-stubs types a client per literal service name; `service` is any name here.
                make_client = cast("Callable[..., Any]", boto3.session.Session().client)
                self._clients[service] = make_client(
                    service,
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    config=Config(
                        s3={"addressing_style": "path"},
                        retries={"max_attempts": 5, "mode": "standard"},
                        connect_timeout=5,
                        read_timeout=60,
                    ),
                    **TEST_CREDENTIALS,
                )
            return self._clients[service]

    def role_environment(self, role_arn: str, session_name: str) -> dict[str, str]:
        """The environment variables of credentials for `role_arn` (sts:AssumeRole at this endpoint),
        as an instance profile or Lambda gives a process: the emulator's IAM check (harness/permissions)
        then judges the process's calls against that role's policies."""
        credentials = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
        }
