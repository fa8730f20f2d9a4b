"""What every stage's Lambda entry point shares: its settings, Powertools' logger, metrics, batch
processor (SQS by default, or a DynamoDB stream) and idempotency store, and how a message that fails
for the last time, or runs out of time on its last attempt, is recorded.

The AWS SDK is loaded on the first invocation, not at import: importing boto3 and making its clients
is most of a cold start (see `make bench`), and an execution environment that is initialised but
never invoked should not pay for it. Everything else, including a missing setting, is settled at
import, so a misconfigured function still fails at once.

With SnapStart (python3.12+, `imagepipe:lambdaSnapStart`) the init is run once and snapshotted, so
there the SDK is loaded and the worker made at import, to be in the snapshot (handlers/runtime/snapstart.py,
which also registers the restore hooks).

Locally, `python -m harness faults` can inject an error into a share of a function's invocations
(harness/faults.py); the harness's Lambda runtime then puts it in the environment (INJECTED_FAULT) for
that invocation, and the stage raises it where each message's attempt starts, as its own failure: the
message is retried, and its last attempt records the failure with the fault as the reason. Nothing
sets it on AWS, where FIS injects errors around the handler instead (README: "Fault injection").
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.contract import IdempotencyTable
from handlers.runtime import gc_pause, snapstart
from handlers.runtime.settings import StageSettings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer, IdempotencyConfig

# How long before an invocation times out its record is marked failed, if this is its last attempt.
DEADLINE_MARGIN_MS = 2000
OUT_OF_TIME = "it did not finish within the function's time limit"
INJECTED_FAULT = "IMAGEPIPE_INJECTED_FAULT"
"""Set by the harness's Lambda runtime while an invocation it injects an error into runs: JSON
{"request_id", "message"} (harness/lambda_executor/imagepipe_lambda_executor/faults.py)."""
Worker = TypeVar("Worker")
Settings = TypeVar("Settings", bound=StageSettings)
Result = TypeVar("Result")
Clients = Callable[[str], Any]
"""`clients("s3")`: the execution environment's boto3 client for a service, made once."""


class InjectedFault(RuntimeError):
    """The error `python -m harness faults` injected into this invocation (see the module docstring)."""


@dataclass(frozen=True)
class Prepared(Generic[Worker]):
    """What the first invocation makes and every later one reuses."""

    worker: Worker
    idempotency: IdempotencyConfig
    persistence: BasePersistenceLayer


class Stage(Generic[Settings, Worker]):
    """One stage's Lambda runtime pieces. `build_worker(settings, clients)` makes the object that
    does the stage's work from its settings (its kind's, read by its entry point at import) and
    boto3 clients."""

    def __init__(
        self,
        settings: Settings,
        build_worker: Callable[[Settings, Clients], Worker],
        event_type: EventType = EventType.SQS,
    ) -> None:
        self.settings = settings
        self.logger = Logger()
        self.metrics = Metrics()
        self.processor = BatchProcessor(event_type=event_type)
        self._build_worker = build_worker
        self._prepared: Prepared[Worker] | None = None
        self._context: LambdaContext | None = None  # the invocation's, while it runs
        # In a SnapStart init, the first call's setup now, into the snapshot; each restored copy then
        # draws its own log sampling decision.
        snapstart.prepare_snapshot(self.prepare, after_restore=[self.logger.refresh_sample_rate_calculation])

    def prepare(self) -> Prepared[Worker]:
        """The SDK clients, idempotency store and worker: made on the first call, then the same."""
        if self._prepared is None:
            try:
                self._prepared = self._make()
            finally:  # the init is over (or failed): what it made is frozen, the collector back on
                gc_pause.resume()
        return self._prepared

    def _make(self) -> Prepared[Worker]:
        import boto3
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

        clients = functools.cache(boto3.client)
        return Prepared(
            worker=self._build_worker(self.settings, clients),
            idempotency=IdempotencyConfig(expires_after_seconds=3600),
            persistence=DynamoDBPersistenceLayer(
                table_name=self.settings.idempotency_table,
                key_attr=IdempotencyTable.KEY,
                expiry_attr=IdempotencyTable.EXPIRES,
                boto3_client=clients("dynamodb"),
            ),
        )

    @property
    def worker(self) -> Worker:
        return self.prepare().worker

    def idempotent_on(
        self, keyword: str, output: type[Any] | None = None
    ) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
        """A decorator: the function, called with `keyword=<a JSON-able value or a dataclass>`, runs at
        most once per distinct value (Powertools idempotency, with this stage's store); a repeated
        call returns the first call's result (of dataclass `output`, when given; else JSON-able)."""

        def decorate(function: Callable[..., Result]) -> Callable[..., Result]:
            guarded: list[Callable[..., Result]] = []

            @functools.wraps(function)
            def call(**kwargs: Any) -> Result:
                if not guarded:
                    from aws_lambda_powertools.utilities.idempotency import idempotent_function
                    from aws_lambda_powertools.utilities.idempotency.serialization.dataclass import (
                        DataclassSerializer,
                    )

                    prepared = self.prepare()
                    guarded.append(
                        idempotent_function(
                            function,
                            data_keyword_argument=keyword,
                            config=prepared.idempotency,
                            persistence_store=prepared.persistence,
                            output_serializer=DataclassSerializer(output) if output else None,
                        )
                    )
                return guarded[0](**kwargs)

            return call

        return decorate

    def process(
        self,
        event: dict[str, Any],
        context: LambdaContext,
        record_handler: Callable[[Any], None],
        *,
        raises_injected_faults: bool = False,
    ) -> PartialItemFailureResponse:
        """Handle a batch record by record; the ids of the failed ones go back to the event source.
        An injected fault fails each record before `record_handler` runs, unless the handler raises
        it itself (`raises_injected_faults`: inside `recording_final_failure`)."""
        self.prepare().idempotency.register_lambda_context(context)
        self._context = context

        def handle(record: Any) -> None:
            if not raises_injected_faults:
                self.raise_injected_fault()
            record_handler(record)

        try:
            return process_partial_response(
                event=event, record_handler=handle, processor=self.processor, context=context
            )
        finally:
            self._context = None

    def raise_injected_fault(self) -> None:
        """Raise InjectedFault if the harness injected an error into the running invocation."""
        value = os.environ.get(INJECTED_FAULT)
        if not value or self._context is None:
            return
        try:
            fault = json.loads(value)
        except ValueError:
            return
        if isinstance(fault, dict) and fault.get("request_id") == self._context.aws_request_id:
            raise InjectedFault(str(fault.get("message") or "injected fault"))

    def seconds_left(self) -> float:
        """How long the running invocation may still work, DEADLINE_MARGIN_MS kept for its ending
        (no end outside an invocation)."""
        if self._context is None:
            return float("inf")
        return (self._context.get_remaining_time_in_millis() - DEADLINE_MARGIN_MS) / 1000

    @contextmanager
    def recording_final_failure(
        self, record: SQSRecord, step: str, key: str, fail: Callable[[str], None]
    ) -> Iterator[None]:
        """Let an error fail the message. On its last attempt (the message then goes to the
        dead-letter queue, and its record would stay pending for ever), first `fail(reason)` the
        record: at once on an error, or shortly before the invocation's time runs out, since Lambda
        then ends the process with no chance to record anything."""
        attempts = int(record.attributes.approximate_receive_count)
        last = attempts >= self.settings.max_receive_count
        watchdog = self._deadline_watch(step, key, attempts, fail) if last else None
        try:
            self.raise_injected_fault()
            yield
        except Exception as error:
            if last:
                self.logger.exception("giving up", extra={"key": key, "attempts": attempts})
                fail(f"{step} the image failed {attempts} times; last error: {type(error).__name__}: {error}"[:500])
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()

    def _deadline_watch(
        self, step: str, key: str, attempts: int, fail: Callable[[str], None]
    ) -> threading.Timer | None:
        """A timer that records the failure DEADLINE_MARGIN_MS before the invocation times out."""
        seconds = self.seconds_left()
        if self._context is None or seconds <= 0:
            return None

        def out_of_time() -> None:
            self.logger.error("giving up: out of time", extra={"key": key, "attempts": attempts})
            fail(f"{step} the image failed {attempts} times; last error: {OUT_OF_TIME}")

        timer = threading.Timer(seconds, out_of_time)
        timer.daemon = True
        timer.start()
        return timer
