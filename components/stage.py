"""A stage fed by its own queue: the queue (with its dead-letter queue, optionally subscribed to the
events topic) and the function consuming it. Each stage component is one of these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.function import QueueSource, StageFunction, StageFunctionArgs
from components.iam import Statement
from components.stage_queue import StageQueue, StageQueueArgs, Subscription
from components.wiring import PipelineWiring


class QueuedStage(pulumi.ComponentResource):
    """The queue hides a message six times the function's timeout, as AWS advises for Lambda."""

    queue: StageQueue
    function: StageFunction

    def __init__(
        self,
        type_token: str,
        name: str,
        *,
        function_name: str,
        handler: str,
        wiring: PipelineWiring,
        timeout_seconds: int,
        memory_size: int,
        batch_size: int,
        statements: Sequence[Statement],
        environment: Mapping[str, pulumi.Input[str]],
        subscription: Subscription | None = None,
        maximum_concurrency: int | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(type_token, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.queue = StageQueue(
            f"{name}-queue",
            StageQueueArgs(
                queue_name=function_name,
                visibility_timeout_seconds=6 * timeout_seconds,
                max_receive_count=wiring.max_receive_count,
                subscription=subscription,
            ),
            opts=child,
        )
        self.function = StageFunction(
            name,
            StageFunctionArgs(
                function_name=function_name,
                handler=handler,
                settings=wiring.lambda_settings,
                source=QueueSource(
                    self.queue.queue.arn, batch_size=batch_size, maximum_concurrency=maximum_concurrency
                ),
                timeout_seconds=timeout_seconds,
                memory_size=memory_size,
                statements=statements,
                environment=environment,
            ),
            opts=child,
        )
        self.function_name = self.function.function_name
        self.queue_arn = self.queue.queue.arn
        self.queue_url = self.queue.queue.url
        self.queue_name = self.queue.queue.name
        self.dead_letter_queue_name = self.queue.dead_letters.name
        self.register_outputs(
            {
                "function_name": self.function_name,
                "queue_arn": self.queue_arn,
                "queue_url": self.queue_url,
                "queue_name": self.queue_name,
                "dead_letter_queue_name": self.dead_letter_queue_name,
            }
        )
