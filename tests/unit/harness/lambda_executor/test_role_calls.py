"""The emulator-side recorder of roles' calls (imagepipe_lambda_executor/role_calls.py): which
access key signed a request, however it was signed."""

from __future__ import annotations

import io

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from imagepipe_lambda_executor.role_calls import access_key_id

CREDENTIAL = "LSIAKEY/20261205/us-east-1/s3/aws4_request"


def request(**kwargs: object) -> Request:
    return Request(EnvironBuilder(method="POST", **kwargs).get_environ())


@pytest.mark.parametrize(
    "signed",
    [
        {"headers": {"Authorization": f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=host, Signature=x"}},
        {"headers": {"Authorization": "AWS LSIAKEY:signature"}},
        {"query_string": {"X-Amz-Credential": CREDENTIAL}},
        {
            "data": {
                "key": "uploads/o/a.jpg",
                "X-Amz-Credential": CREDENTIAL,
                "file": (io.BytesIO(b"\xff\xd8"), "a.jpg"),
            }
        },
    ],
    ids=["sigv4-header", "sigv2-header", "presigned-url", "browser-post"],
)
def test_the_access_key_is_found_however_the_request_was_signed(signed: dict) -> None:
    assert access_key_id(request(**signed)) == "LSIAKEY"


def test_an_unsigned_request_has_none() -> None:
    assert access_key_id(request()) is None
