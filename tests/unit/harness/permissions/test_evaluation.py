"""IAM's evaluation logic (harness/permissions/evaluation.py): conditions, Not* lists, wildcards,
what it refuses to guess, and its agreement with moto's evaluator where both apply."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto.iam.access_control import IAMPolicy, PermissionResult

from harness.permissions.evaluation import PolicyOutsideModel, Request, decide, statements_of, wildcard_matches

BUCKET = "arn:aws:s3:::photos"
OURS = "arn:aws:cloudfront::000000000000:distribution/E2QWRUHAPOMQZL"
THEIRS = "arn:aws:cloudfront::000000000000:distribution/EOTHERDISTRIB"


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
    assert decide(statements_of(policy), Request("s3:GetObject", f"{BUCKET}/k", None, context)).allowed is allowed


def test_not_action_and_not_resource_invert_their_lists():
    policy = _policy(
        {"Effect": "Allow", "Principal": "*", "NotAction": "s3:Put*", "NotResource": f"{BUCKET}/private/*"}
    )
    assert decide(statements_of(policy), Request("s3:GetObject", f"{BUCKET}/public/a")).allowed
    assert not decide(statements_of(policy), Request("s3:PutObject", f"{BUCKET}/public/a")).allowed
    assert not decide(statements_of(policy), Request("s3:GetObject", f"{BUCKET}/private/a")).allowed


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
        decide(statements_of(_policy(statement)), Request("s3:GetObject", f"{BUCKET}/k", None, {"s3:max-keys": "5"}))


@given(st.text(alphabet="ab*?/", max_size=8), st.text(alphabet="ab/", max_size=8))
def test_iam_wildcards_are_star_and_question_mark_only(pattern, value):
    literal = all(c not in "*?" for c in pattern)
    if literal:
        assert wildcard_matches(pattern, value) == (pattern == value)
    assert wildcard_matches(pattern + "*", value + "tail") or not wildcard_matches(pattern, value)


ACTIONS = st.sampled_from(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "sqs:SendMessage"])
# `*` only: moto reads `?` literally, where IAM has it match one character (tested above).
PATTERNS = st.sampled_from(["s3:GetObject", "s3:Get*", "s3:*Object", "sqs:*", "s3:*et*", "*"])
RESOURCES = st.sampled_from([f"{BUCKET}/a/b", f"{BUCKET}/a/c", BUCKET, "arn:aws:sqs:us-east-1:1:q"])
RESOURCE_PATTERNS = st.sampled_from([f"{BUCKET}/a/*", f"{BUCKET}/*/b", f"{BUCKET}*", "arn:aws:sqs:*:*:q", "*"])
STATEMENTS = st.lists(
    st.fixed_dictionaries(
        {
            "Effect": st.sampled_from(["Allow", "Deny"]),
            "Action": st.lists(PATTERNS, min_size=1, max_size=2),
            "Resource": st.lists(RESOURCE_PATTERNS, min_size=1, max_size=2),
        }
    ),
    min_size=1,
    max_size=4,
)


@given(STATEMENTS, ACTIONS, RESOURCES)
def test_without_conditions_it_decides_as_motos_evaluator(statements, action, resource):
    """moto's evaluator (the one moto enforces IAM with) on the part of IAM it models in full."""
    moto = IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    expected = moto.is_action_permitted(action, resource) == PermissionResult.PERMITTED
    assert decide(statements, Request(action, resource)).allowed is expected
