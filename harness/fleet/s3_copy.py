"""`aws s3 cp s3://<bucket>/<key> <file>` for a local instance (harness/fleet/local_instance.py):
the one AWS CLI command an instance's boot runs, served by the emulator's S3 through boto3."""

from __future__ import annotations

import sys

import boto3
from botocore.exceptions import ClientError


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[:2] != ["s3", "cp"] or not argv[2].startswith("s3://"):
        print(
            f"the stand-in aws takes `s3 cp s3://<bucket>/<key> <file>` only, not {' '.join(argv)!r}", file=sys.stderr
        )
        return 2
    bucket, _, key = argv[2].removeprefix("s3://").partition("/")
    try:
        boto3.client("s3").download_file(bucket, key, argv[3])
    except ClientError as error:  # as the AWS CLI says it
        print(f"fatal error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
