"""The web app's side of the stack, whichever tier runs it (components/web.py: the web function
behind the REST API; components/instances_web.py: instances behind a load balancer): the rights it
needs, the environment it reads (the contract of handlers/contract.py `Env`), and the bucket's CORS
rule for the dashboard's upload forms.

The app may read and edit image records (Query on the table's indexes, never Scan), read and write
users and their sign-in failures, read and once create the session key, sign upload forms for
`uploads/` (a presigned POST carries the signer's right to PutObject) and delete uploads (the
removal stage does the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement, objects_under
from components.users import Users
from handlers.contract import UPLOAD_PREFIX, Env

SERVICE = "web"


@dataclass(frozen=True)
class WebAppArgs:
    """What the app works with: its tables, session key, bucket and limits, and its URLs."""

    users: Users
    images_table: aws.dynamodb.Table
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    max_upload_bytes: int
    images_base_url: pulumi.Input[str]  # where the variants are served: the CDN
    site_url: pulumi.Input[str]  # where the dashboard is served (the CDN): its pages POST upload forms to the bucket
    command_date_order: str  # how numeric dates in edits read, as in the commands' (handlers/contract.py DATE_ORDERS)


def app_statements(app: WebAppArgs) -> list[Statement]:
    """The app's rights over image records, users, the session key and uploads (the module's
    docstring says what for)."""
    images, users = app.images_table, app.users
    return [
        Statement(["dynamodb:GetItem", "dynamodb:UpdateItem"], [images.arn]),
        Statement(["dynamodb:Query"], [pulumi.Output.concat(images.arn, "/index/*")]),
        Statement(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            [users.table_arn],
        ),
        # The key is made on first use (handlers/web/session_key.py): read, and when the
        # secret has no value yet, DescribeSecret tells that apart from a missing secret.
        Statement(
            [
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
                "secretsmanager:PutSecretValue",
            ],
            [users.session_secret_arn],
        ),
        Statement(["s3:PutObject", "s3:DeleteObject"], [objects_under(app.bucket_arn, UPLOAD_PREFIX)]),
        # Whether an upload's name is in use already (a new name is numbered, not overwritten).
        Statement(
            ["s3:ListBucket"],
            [app.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{UPLOAD_PREFIX}*"]}},
        ),
    ]


def app_environment(app: WebAppArgs) -> dict[str, pulumi.Input[str]]:
    """The app's environment: its tables, secret, bucket, limits and URLs."""
    return {
        Env.IMAGES_TABLE: app.images_table.name,
        Env.USERS_TABLE: app.users.table_name,
        Env.SESSION_SECRET_ARN: app.users.session_secret_arn,
        Env.IMAGES_BUCKET: app.bucket_name,
        Env.MAX_UPLOAD_BYTES: str(app.max_upload_bytes),
        Env.IMAGES_BASE_URL: app.images_base_url,
        Env.COMMAND_DATE_ORDER: app.command_date_order,
        Env.SERVICE_NAME: SERVICE,
    }


def uploads_cors(name: str, app: WebAppArgs, opts: pulumi.ResourceOptions) -> aws.s3.BucketCorsConfiguration:
    """The bucket's CORS rule for the dashboard's upload forms: the dashboard's pages (another
    origin than the bucket's) POST them straight to S3, reading the answer and the upload's
    progress, so the browser asks first (a CORS preflight)."""
    return aws.s3.BucketCorsConfiguration(
        f"{name}-uploads-cors",
        bucket=app.bucket_name,
        cors_rules=[
            aws.s3.BucketCorsConfigurationCorsRuleArgs(
                id="dashboard-uploads",
                allowed_methods=["POST"],
                allowed_origins=[app.site_url],
                allowed_headers=["*"],
                expose_headers=["ETag", "Location"],
                max_age_seconds=3000,
            )
        ],
        opts=opts,
    )
