"""Whether a bucket policy lets a request through, as S3 decides it for CloudFront's reads.

An origin access control signs CloudFront's request to S3 as the service principal
`cloudfront.amazonaws.com`, with the request context key `aws:SourceArn` set to the distribution's
ARN (and `aws:SourceAccount` to its account). The emulator does not enforce bucket policies, so the
edge evaluates the bucket's policy itself (IAM's logic: harness/permissions/evaluation.py) before it
reads an object.
"""

from __future__ import annotations

from typing import Final

from harness.permissions.evaluation import Decision, PolicyOutsideModel, statements_of
from harness.permissions.evaluation import Request as AccessRequest
from harness.permissions.evaluation import decide as decide_statements

__all__ = ["CLOUDFRONT_SERVICE", "AccessRequest", "Decision", "PolicyOutsideModel", "decide"]

CLOUDFRONT_SERVICE: Final = "cloudfront.amazonaws.com"


def decide(policy: str | None, request: AccessRequest) -> Decision:
    """S3's answer to `request` under the bucket `policy` (JSON; None: the bucket has none)."""
    if not policy:
        return Decision(False, "the bucket has no policy granting it")
    return decide_statements(statements_of(policy), request)
