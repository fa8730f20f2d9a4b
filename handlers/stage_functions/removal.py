"""Lambda entry point of the removal stage: batches of S3 deletion events from the removal queue.

Each deleted upload's record is marked `deleted`, its published variants removed and its fingerprint
forgotten by `Remover`;
a failed message is reported alone, and a redelivered one is recognised and not handled twice.
"""

from __future__ import annotations

from handlers.pipeline.outcome import STALE
from handlers.pipeline.remover import Remover
from handlers.pipeline.uploads import removals_in
from handlers.runtime.queue_steps import QueueStep, queue_handler
from handlers.runtime.stage import Clients, Stage
from handlers.stage_functions.stage_settings import RemovalSettings
from handlers.stores.fingerprint_store import FingerprintStore
from handlers.stores.image_store import ImageStore


def build_remover(settings: RemovalSettings, clients: Clients) -> Remover:
    dynamodb = clients("dynamodb")
    return Remover(
        ImageStore(settings.images_table, dynamodb),
        clients("s3"),
        FingerprintStore(settings.fingerprints_table, dynamodb),
    )


stage = Stage(RemovalSettings.from_environment(), build_remover)
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
