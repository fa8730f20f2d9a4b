"""What every stage is wired to: how its function is built, the bucket, the tables and the limits."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.function import LambdaSettings
from components.iam import Statement
from handlers.contract import METRICS_NAMESPACE, Env


@dataclass(frozen=True)
class PipelineWiring:
    """The shared pieces a stage component is given by the program."""

    lambda_settings: LambdaSettings
    bucket_arn: pulumi.Input[str]
    images_table: aws.dynamodb.Table
    idempotency_table: aws.dynamodb.Table
    fingerprints_table: aws.dynamodb.Table
    max_upload_bytes: int
    max_pixels: int
    max_receive_count: int

    def environment(self, service: str) -> dict[str, pulumi.Input[str]]:
        """The settings every stage's handler reads (handlers/runtime/settings.py), for `service`."""
        return {
            Env.IMAGES_TABLE: self.images_table.name,
            Env.IDEMPOTENCY_TABLE: self.idempotency_table.name,
            Env.MAX_RECEIVE_COUNT: str(self.max_receive_count),
            Env.SERVICE_NAME: service,
            Env.METRICS_NAMESPACE: METRICS_NAMESPACE,
        }

    def limits_environment(self) -> dict[str, pulumi.Input[str]]:
        """The upload limits, for the stages that read pixels."""
        return {Env.MAX_UPLOAD_BYTES: str(self.max_upload_bytes), Env.MAX_PIXELS: str(self.max_pixels)}

    def idempotency_statement(self) -> Statement:
        """What Powertools' idempotency does with its table."""
        return Statement(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            [self.idempotency_table.arn],
        )
