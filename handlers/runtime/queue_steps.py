"""A stage fed by a queue, declared: what it parses from each message, what it does with each item,
what it logs and counts, and how it records giving up. `queue_handler` makes the Lambda handler of
such a declaration: each item is handled at most once (Powertools' idempotency, keyed on the item, a
dataclass, and keeping the outcome, a dataclass too), a failed message is reported alone, and on a
message's last attempt a failure is recorded before the message goes to the dead-letter queue."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from handlers.pipeline.outcome import Outcome

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from handlers.runtime.stage import Stage


class Keyed(Protocol):
    """An item of a queue: an object in the bucket, named by its key in the logs."""

    @property
    def key(self) -> str: ...


Worker = TypeVar("Worker")
Item = TypeVar("Item", bound=Keyed)
Handler = Callable[[dict[str, Any], "LambdaContext"], "PartialItemFailureResponse"]


@dataclass(frozen=True)
class FinalFailure(Generic[Worker, Item]):
    """How a stage gives up on an item on its message's last attempt: the step it was at, in words
    ("checking"), and how the worker records the failure with its reason."""

    step: str
    record: Callable[[Worker, Item, str], None]


@dataclass(frozen=True)
class QueueStep(Generic[Worker, Item]):
    """What a stage does with each message of its queue. `name` names what it does to one item in
    the entry point's module (`ingest_upload`): with the module, it keys the item's idempotency
    records, so two stages never take one another's."""

    name: str
    parse: Callable[[str], Iterable[Item]]  # a message's body -> the items it carries
    act: Callable[[Worker, Item], Outcome]  # what the stage does with one item
    logged: str  # what the log says of an item done
    counted: Callable[[Outcome], str | None]  # the metric an outcome adds one to (None: none)
    failure: FinalFailure[Worker, Item] | None = None  # None: a given-up item records nothing


def queue_handler(stage: Stage[Any, Worker], step: QueueStep[Worker, Item]) -> Handler:
    """The Lambda handler of `stage` doing `step`, logged and measured by the stage's Powertools."""
    logger, metrics = stage.logger, stage.metrics

    def act(item: Item) -> Outcome:
        outcome = step.act(stage.worker, item)
        logger.info(step.logged, extra={"key": item.key, **asdict(outcome)})
        if name := step.counted(outcome):
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        return outcome

    act.__module__, act.__name__, act.__qualname__ = step.act.__module__, step.name, step.name
    act_once = stage.idempotent_on("item", output=Outcome)(act)

    def record_handler(record: SQSRecord) -> None:
        for item in step.parse(record.body):
            if step.failure is None:
                act_once(item=item)
                continue
            fail = functools.partial(step.failure.record, stage.worker, item)
            with stage.recording_final_failure(record, step.failure.step, item.key, fail):
                act_once(item=item)

    @metrics.log_metrics
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        return stage.process(event, context, record_handler, raises_injected_faults=step.failure is not None)

    return handler
