"""The bucket policy as S3 applies it to CloudFront's reads: the stack's own policy (components/cdn.py)
lets its distribution, and no other, read the published variants over TLS, and nothing else."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.cdn import bucket_policy
from harness.edge.access import CLOUDFRONT_SERVICE, AccessRequest, PolicyOutsideModel, decide, wildcard_matches

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


def _policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_ALL = {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": f"{BUCKET}/*"}


@pytest.mark.parametrize(
    ("condition", "context", "allowed"),
    [
        ({"StringLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/E2*"}}, {"aws:SourceArn": OURS}, True),
        ({"StringNotEquals": {"aws:SourceArn": OURS}}, {"aws:SourceArn": OURS}, False),
        ({"StringNotEquals": {"aws:SourceArn": OURS}}, {}, True),  # a negated operator holds for a missing key
        ({"ArnEquals": {"aws:SourceArn": [THEIRS, OURS]}}, {"aws:SourceArn": OURS}, True),
        ({"StringEqualsIgnoreCase": {"aws:SourceArn": OURS.upper()}}, {"aws:SourceArn": OURS}, True),
        ({"StringEqualsIfExists": {"aws:SourceArn": THEIRS}}, {}, True),
        ({"StringEquals": {"aws:SourceArn": THEIRS}}, {}, False),
        ({"Null": {"aws:SourceArn": "true"}}, {}, True),
        ({"Null": {"aws:SourceArn": "false"}}, {}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"AWS:securetransport": "TRUE"}, True),  # keys case-insensitive
    ],
)
def test_conditions_are_evaluated_as_iam_does(condition, context, allowed):
    policy = _policy({**ALLOW_ALL, "Condition": condition})
    assert decide(policy, AccessRequest("s3:GetObject", f"{BUCKET}/k", None, context)).allowed is allowed


def test_not_action_and_not_resource_invert_their_lists():
    policy = _policy(
        {"Effect": "Allow", "Principal": "*", "NotAction": "s3:Put*", "NotResource": f"{BUCKET}/private/*"}
    )
    assert decide(policy, AccessRequest("s3:GetObject", f"{BUCKET}/public/a")).allowed
    assert not decide(policy, AccessRequest("s3:PutObject", f"{BUCKET}/public/a")).allowed
    assert not decide(policy, AccessRequest("s3:GetObject", f"{BUCKET}/private/a")).allowed


@pytest.mark.parametrize(
    "statement",
    [
        {**ALLOW_ALL, "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}},
        {**ALLOW_ALL, "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}},
        {**ALLOW_ALL, "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}},
    ],
)
def test_what_the_model_does_not_cover_is_an_error_not_a_guess(statement):
    with pytest.raises(PolicyOutsideModel):
        decide(_policy(statement), AccessRequest("s3:GetObject", f"{BUCKET}/k", None, {"s3:max-keys": "5"}))


@given(st.text(alphabet="ab*?/", max_size=8), st.text(alphabet="ab/", max_size=8))
def test_iam_wildcards_are_star_and_question_mark_only(pattern, value):
    literal = all(c not in "*?" for c in pattern)
    if literal:
        assert wildcard_matches(pattern, value) == (pattern == value)
    assert wildcard_matches(pattern + "*", value + "tail") or not wildcard_matches(pattern, value)
