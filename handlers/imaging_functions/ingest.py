"""Lambda entry point of the ingest stage: batches of S3 upload events from the ingest queue.

Each upload is checked by `Intake`; a failed message is reported alone (partial batch response) and
a redelivered one is recognised by Powertools' idempotency and not handled twice. On a message's
last attempt a failure is recorded first, so the upload does not stay pending.
"""

from __future__ import annotations

from handlers.imaging_functions.imaging_settings import IngestSettings
from handlers.imaging_functions.intake import Intake
from handlers.pipeline.uploads import uploads_in
from handlers.runtime.queue_steps import FinalFailure, QueueStep, queue_handler
from handlers.runtime.stage import Clients, Stage
from handlers.stores.image_store import ImageStore


def build_intake(settings: IngestSettings, clients: Clients) -> Intake:
    return Intake(
        ImageStore(settings.images_table, clients("dynamodb")),
        clients("s3"),
        clients("sqs"),
        settings.enhance_queue_url,
        settings.limits,
    )


# A misconfigured function fails at import, not on its first upload.
stage = Stage(IngestSettings.from_environment(), build_intake)
handler = queue_handler(
    stage,
    QueueStep(
        name="ingest_upload",
        parse=uploads_in,
        act=lambda intake, upload: intake.ingest(upload),
        logged="upload ingested",
        counted=lambda outcome: f"Uploads{outcome.status.capitalize()}",
        failure=FinalFailure("checking", lambda intake, upload, reason: intake.fail(upload, reason)),
    ),
)
