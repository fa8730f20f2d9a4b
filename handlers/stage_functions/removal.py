"""Lambda entry point of the removal stage: batches of S3 deletion events from the removal queue.

Each deleted upload's record is marked `deleted` and its published variants removed by `Remover`;
a failed message is reported alone, and a redelivered one is recognised and not handled twice.
"""

from __future__ import annotations

from handlers.pipeline.outcome import STALE
from handlers.pipeline.remover import Remover
from handlers.pipeline.uploads import removals_in
from handlers.runtime.queue_steps import QueueStep, queue_handler
from handlers.runtime.settings import StageSettings
from handlers.runtime.stage import Clients, Stage
from handlers.stores.image_store import ImageStore


def build_remover(settings: StageSettings, clients: Clients) -> Remover:
    return Remover(ImageStore(settings.images_table, clients("dynamodb")), clients("s3"))


stage = Stage(StageSettings.from_environment(), build_remover)
handler = queue_handler(
    stage,
    QueueStep(
        name="remove_upload",
        parse=removals_in,
        act=lambda remover, removal: remover.remove(removal),
        logged="upload removed",
        counted=lambda outcome: None if outcome.status == STALE else "UploadsDeleted",
    ),
)
