"""Reading objects that may be gone, as S3 answers a role.

S3 answers a read (GetObject, HeadObject) of a key the bucket does not hold with 404 NoSuchKey only
when the caller may also list the bucket (`s3:ListBucket`, evaluated with `s3:prefix` set to that
key); to any other caller it answers 403 AccessDenied, which a function cannot tell from a real
refusal. A stage that reads objects a person may delete first (uploads) is given the listing of
the prefixes it reads, and no more, so that a gone object is reported gone.
"""

from __future__ import annotations

import pulumi

from components.iam import Statement


def listing_under(bucket_arn: pulumi.Input[str], *prefixes: str) -> Statement:
    """`s3:ListBucket` on the bucket, only for listings of keys under `prefixes` (e.g. `uploads/`)."""
    if not prefixes or not all(prefix.endswith("/") for prefix in prefixes):
        raise ValueError(f"listing needs one or more prefixes ending in '/', not {list(prefixes)}")
    return Statement(
        ["s3:ListBucket"],
        [bucket_arn],
        conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in sorted(prefixes)]}},
    )
