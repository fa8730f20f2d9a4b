"""What every stage's Lambda entry point shares: its settings, Powertools' logger, metrics, SQS batch
processor and idempotency store, and how a message that fails for the last time is recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.settings import Settings


class Stage:
    """One stage's Lambda runtime pieces, made once per execution environment (at import)."""

    def __init__(self) -> None:
        self.settings = Settings.from_environment()
        self.logger = Logger()
        self.metrics = Metrics()
        self.processor = BatchProcessor(event_type=EventType.SQS)
        self.dynamodb = boto3.client("dynamodb")
        self.idempotency = IdempotencyConfig(expires_after_seconds=3600)
        self.persistence = DynamoDBPersistenceLayer(
            table_name=self.settings.idempotency_table, boto3_client=self.dynamodb
        )

    def process(self, event: dict[str, Any], context: LambdaContext, record_handler: Callable[[SQSRecord], None]) -> dict:
        """Handle an SQS batch record by record; the ids of the failed ones go back to SQS."""
        self.idempotency.register_lambda_context(context)
        return process_partial_response(
            event=event, record_handler=record_handler, processor=self.processor, context=context
        )

    @contextmanager
    def recording_final_failure(self, record: SQSRecord, step: str, key: str, fail: Callable[[str], None]) -> Iterator[None]:
        """Let an error fail the message; on its last attempt, first `fail(reason)` its record, since
        the message then goes to the dead-letter queue and the record would stay pending for ever."""
        try:
            yield
        except Exception as error:
            attempts = record.attributes.approximate_receive_count
            if int(attempts) >= self.settings.max_receive_count:
                self.logger.exception("giving up", extra={"key": key, "attempts": attempts})
                fail(f"{step} the image failed {attempts} times; last error: {type(error).__name__}: {error}"[:500])
            raise
