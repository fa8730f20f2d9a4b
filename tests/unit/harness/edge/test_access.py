"""The bucket policy as S3 applies it to CloudFront's reads: the stack's own policy (components/cdn.py)
lets its distribution, and no other, read the published variants over TLS, and nothing else."""

from __future__ import annotations

import pytest

from components.cdn import bucket_policy
from harness.edge.access import CLOUDFRONT_SERVICE, AccessRequest, decide

BUCKET = "arn:aws:s3:::photos"
OURS = "arn:aws:cloudfront::000000000000:distribution/E2QWRUHAPOMQZL"
THEIRS = "arn:aws:cloudfront::000000000000:distribution/EOTHERDISTRIB"
POLICY = bucket_policy(BUCKET, OURS)


def _read(key: str, *, source: str | None = OURS, secure: bool = True, service: str | None = CLOUDFRONT_SERVICE):
    context = {"aws:SecureTransport": "true" if secure else "false"}
    if source:
        context["aws:SourceArn"] = source
    return AccessRequest("s3:GetObject", f"{BUCKET}/{key}", service, context)


def test_the_distribution_reads_a_published_variant():
    decision = decide(POLICY, _read("images/thumbnail/abc-1.jpg"))
    assert decision.allowed and "CdnReadsPublishedVariants" in decision.reason


@pytest.mark.parametrize(
    ("request_", "why"),
    [
        (_read("images/thumbnail/abc-1.jpg", source=THEIRS), "no statement allows it"),
        (_read("images/thumbnail/abc-1.jpg", source=None), "no statement allows it"),
        (_read("uploads/alice/raw.jpg"), "no statement allows it"),
        (_read("images/thumbnail/abc-1.jpg", secure=False), "DenyInsecureTransport"),
        (_read("images/thumbnail/abc-1.jpg", service=None), "no statement allows it"),  # anonymous
        (_read("images/thumbnail/abc-1.jpg", service="lambda.amazonaws.com"), "no statement allows it"),
        (
            AccessRequest(
                "s3:ListBucket", BUCKET, CLOUDFRONT_SERVICE, {"aws:SourceArn": OURS, "aws:SecureTransport": "true"}
            ),
            "no statement allows it",
        ),
        (
            AccessRequest(
                "s3:PutObject",
                f"{BUCKET}/images/x",
                CLOUDFRONT_SERVICE,
                {"aws:SourceArn": OURS, "aws:SecureTransport": "true"},
            ),
            "no statement allows it",
        ),
    ],
)
def test_everything_else_is_refused(request_, why):
    decision = decide(POLICY, request_)
    assert not decision.allowed and why in decision.reason


def test_no_policy_grants_nothing():
    assert not decide(None, _read("images/x")).allowed
