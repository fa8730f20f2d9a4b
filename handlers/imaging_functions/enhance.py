"""Lambda entry point of the enhance stage: batches of accepted uploads from the enhance queue.

Each upload is rendered and published by `Publisher`; a failed message is reported alone (partial
batch response) and a redelivered one is recognised by Powertools' idempotency and not handled twice.
On a message's last attempt a failure is recorded first, so the upload does not stay pending.
"""

from __future__ import annotations

from handlers.imaging_functions.imaging_settings import EnhanceSettings
from handlers.imaging_functions.publishing import Publisher
from handlers.pipeline.uploads import requested_uploads
from handlers.runtime.queue_steps import FinalFailure, QueueStep, queue_handler
from handlers.runtime.stage import Clients, Stage
from handlers.stores.fingerprint_store import FingerprintStore
from handlers.stores.image_store import ImageStore


def build_publisher(settings: EnhanceSettings, clients: Clients) -> Publisher:
    dynamodb = clients("dynamodb")
    fingerprints = FingerprintStore(
        settings.fingerprints_table, dynamodb, across_owners=settings.duplicates_across_owners
    )
    return Publisher(
        ImageStore(settings.images_table, dynamodb), clients("s3"), settings.limits, settings.publishing, fingerprints
    )


# A misconfigured function fails at import, not on its first upload.
stage = Stage(EnhanceSettings.from_environment(), build_publisher)
handler = queue_handler(
    stage,
    QueueStep(
        name="enhance_upload",
        parse=requested_uploads,
        act=lambda publisher, upload: publisher.enhance(upload),
        logged="upload enhanced",
        counted=lambda outcome: f"Images{outcome.status.capitalize()}",
        failure=FinalFailure("enhancing", lambda publisher, upload, reason: publisher.fail(upload, reason)),
    ),
)
