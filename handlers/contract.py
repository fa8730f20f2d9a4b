"""The names the Pulumi program and the functions share, in one place.

`components/` writes each function's environment, bucket layout and tables from these names;
`handlers/` reads them through the same names; tests, the harness and the benchmark take them from
here too. Rename one here and both sides follow; write one by hand on either side and the contract
test (tests/unit/components/test_contract.py) fails.

Standard library only: `components/` imports this module and nothing else of `handlers/`.
"""

from __future__ import annotations

from typing import Final, Literal, get_args


class Env:
    """Environment variables the stack gives its functions (handlers/runtime/settings.py reads them)."""

    IMAGES_TABLE: Final = "IMAGES_TABLE"
    IDEMPOTENCY_TABLE: Final = "IDEMPOTENCY_TABLE"
    MAX_RECEIVE_COUNT: Final = "MAX_RECEIVE_COUNT"  # the stage queue's; the last attempt records failure
    ENHANCE_QUEUE_URL: Final = "ENHANCE_QUEUE_URL"  # ingest: where accepted uploads go
    NOTIFICATIONS_TOPIC_ARN: Final = "NOTIFICATIONS_TOPIC_ARN"  # notify: where notices go
    SENDER_EMAIL: Final = "SENDER_EMAIL"  # mail: the verified SES address mail comes from
    MAIL_QUEUE_URL: Final = "MAIL_QUEUE_URL"  # notify: where the owners' mails go (none: nobody is mailed)
    MAIL_OUTBOX_TABLE: Final = "MAIL_OUTBOX_TABLE"  # notify and mail: notices waiting for their digest
    MAIL_DIGEST_SECONDS: Final = "MAIL_DIGEST_SECONDS"  # notify: an owner's mails in this window go as one
    MAIL_RATE: Final = "MAIL_RATE"  # mail: mails a second this function sends at most
    COMMAND_REJECTIONS_URL: Final = "COMMAND_REJECTIONS_URL"  # commands: where invalid ones go, with why
    COMMAND_DATE_ORDER: Final = "COMMAND_DATE_ORDER"  # commands and web: how numeric dates read (DATE_ORDERS)
    USERS_TABLE: Final = "USERS_TABLE"  # web: who may sign in; notify: the addresses they gave
    IMAGES_BUCKET: Final = "IMAGES_BUCKET"  # web: where presigned uploads go, and deletions
    IMAGES_BASE_URL: Final = "IMAGES_BASE_URL"  # web and notify: where the variants are served (the CDN)
    SESSION_SECRET_ARN: Final = "SESSION_SECRET_ARN"  # web: the Secrets Manager secret that signs sessions
    MAX_UPLOAD_BYTES: Final = "MAX_UPLOAD_BYTES"  # the stages that read pixels: their limits
    MAX_PIXELS: Final = "MAX_PIXELS"
    OPTIMIZED_EDGE: Final = "OPTIMIZED_EDGE"  # enhance: the long edges of the variants
    THUMBNAIL_EDGE: Final = "THUMBNAIL_EDGE"
    IMAGE_FORMATS: Final = "IMAGE_FORMATS"  # enhance: the formats besides JPEG/PNG, comma-separated (MODERN_FORMATS)
    SRCSET_WIDTHS: Final = "SRCSET_WIDTHS"  # enhance: the optimized image's narrower widths, comma-separated
    KEEP_COPYRIGHT: Final = "KEEP_COPYRIGHT"  # enhance: "true" keeps the copyright notice in the variants
    FINGERPRINTS_TABLE: Final = "FINGERPRINTS_TABLE"  # enhance and removal: where duplicates are found
    DUPLICATES_SCOPE: Final = "DUPLICATES_SCOPE"  # enhance: whose earlier images count (DUPLICATE_SCOPES)
    # Read by Powertools itself: the service name in logs and metrics, and the metrics namespace.
    SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
    METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"


ENVIRONMENT: Final = frozenset(value for name, value in vars(Env).items() if name.isupper())
"""Every variable a function of the stack may be given."""

METRICS_NAMESPACE: Final = "imagepipe"

# The AWS services the functions make clients for: the deployment package's botocore carries the
# data of these only (components/package.py), and a client for any other fails to be made.
SDK_SERVICES: Final = ("dynamodb", "s3", "secretsmanager", "ses", "sns", "sqs")

# Which package each function's handler module is deployed with: handlers/requirements/<name>.txt
# says what it carries besides the handlers. A function gets only the libraries its code loads.
PACKAGES: Final = {
    "handlers.imaging_functions.ingest": "imaging",
    "handlers.imaging_functions.enhance": "imaging",
    "handlers.stage_functions.removal": "stage",
    "handlers.stage_functions.notify": "stage",
    "handlers.stage_functions.mail": "stage",
    "handlers.stage_functions.commands": "stage",
    "handlers.web.lambda_entry": "web",
}

# The instances tier's bundle: the web app and gunicorn, which each instance runs (no function has it).
INSTANCE_BUNDLE: Final = "instance"
# What of handlers/ each package carries: the code every function shares, and its own kind's. A
# function's zip holds no other kind's code (components/package.py).
SHARED_SOURCES: Final = ("__init__.py", "contract.py", "runtime", "stores", "pipeline")
PACKAGE_SOURCES: Final = {
    "stage": (*SHARED_SOURCES, "stage_functions"),
    "imaging": (*SHARED_SOURCES, "imaging", "imaging_functions"),
    "web": (*SHARED_SOURCES, "web"),
    INSTANCE_BUNDLE: (*SHARED_SOURCES, "web"),
}

# The bucket: uploads come in under one prefix, published variants go out under the other.
UPLOAD_PREFIX: Final = "uploads/"  # uploads/<owner>/<file name>
# images/<variant>/<image id>-<upload version>.<extension>: the CDN serves this prefix as it is, at
# <cdn_url>/images/... (a CloudFront origin cannot drop a path prefix, only add one).
PUBLIC_PREFIX: Final = "images/"
VARIANTS: Final = ("optimized", "thumbnail")
# images/auto/<formats>/<variant>/<file>.<jpg|png>: the URL of a variant in whichever format the
# browser takes best of <formats> (the modern ones published, joined by "-", e.g. "avif-webp"): the
# CDN's function (cdn_functions/image_format.js) rewrites it to that format's own key.
NEGOTIATED_PREFIX: Final = f"{PUBLIC_PREFIX}auto/"
# Each variant is published as JPEG (PNG when transparent), and in the stack's modern formats: a
# variant's format is one of these, its key's extension says which (images/<variant>/<id>-<version>
# [-w<width>].<extension>; -w<width> for the optimized image's narrower widths, for `srcset`).
ImageFormat = Literal["jpeg", "png", "webp", "avif"]
IMAGE_FORMATS: Final[tuple[ImageFormat, ...]] = get_args(ImageFormat)
MODERN_FORMATS: Final[tuple[ImageFormat, ...]] = ("webp", "avif")  # the ones a stack may choose
DEFAULT_FORMATS: Final[tuple[ImageFormat, ...]] = MODERN_FORMATS
DEFAULT_SRCSET_WIDTHS: Final = (480, 960)  # the optimized image's own width (≤ its long edge) is the widest
MAX_SRCSET_WIDTHS: Final = 8
EXTENSIONS: Final[dict[ImageFormat, str]] = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}


class ImagesTable:
    """The image records: keyed by image id; one owner's images newest first through one index,
    every owner's images awaiting (or given) a review through another."""

    KEY: Final = "image_id"
    OWNER: Final = "owner"
    UPLOADED_AT: Final = "uploaded_at"
    OWNER_INDEX: Final = "owner-index"  # hash OWNER, range UPLOADED_AT
    # Every owner's images by their review, newest first (a reviewer's lists): hash REVIEW_STATUS,
    # range UPLOADED_AT, all attributes projected. Sparse: only records with a review (processed
    # uploads) are in it.
    REVIEW_STATUS: Final = "review_status"
    REVIEW_INDEX: Final = "review-index"


class FingerprintsTable:
    """Where published images are found by their fingerprint's bands (handlers/imaging/fingerprint.py),
    to flag an upload that looks like an earlier one: an item per band of each published image, keyed
    by the band within its scope, then by upload time and image id, so a Query of a band lists its
    candidates oldest first. Items carry the image id, its whole fingerprint and its file name."""

    KEY: Final = "band"  # <scope>#<band>: the scope `owner:<owner>`, or `all` across owners
    SORT: Final = "placed"  # <uploaded_at>#<image id>


class MailOutboxTable:
    """Notices waiting to go out in one owner's digest mail (handlers/pipeline/mail_digest.py): an item
    per notice, keyed by its digest (`<owner>#<window start>`) and the notice's digest of its own
    fields, so posting one again writes the same item. Items expire a day after they were posted."""

    KEY: Final = "digest"
    SORT: Final = "notice_id"
    EXPIRES: Final = "expires"


# Whose earlier images an upload is compared with (`imagepipe:duplicatesAcross`).
DuplicateScope = Literal["owner", "all"]
DUPLICATE_SCOPES: Final[tuple[DuplicateScope, ...]] = get_args(DuplicateScope)


class UsersTable:
    """The people who sign in to the web tier: keyed by user name."""

    KEY: Final = "username"
    EXPIRES: Final = "expires_at"  # a TTL attribute: sign-in failure counts expire by themselves
    EMAIL: Final = "email"  # a user's address; an owner address item's too
    # The stack's owners' addresses (imagepipe:ownerEmails), one item each, written by the program:
    # key OWNER_ADDRESS + <owner>, the address in EMAIL. No user name has a '#', so none is a user.
    OWNER_ADDRESS: Final = "owner#"


# Roles: a photographer sees and edits their own images; a reviewer sees every image and reviews.
PHOTOGRAPHER: Final = "photographer"
REVIEWER: Final = "reviewer"
ROLES: Final = (PHOTOGRAPHER, REVIEWER)


class IdempotencyTable:
    """Powertools' idempotency records."""

    KEY: Final = "id"
    EXPIRES: Final = "expiration"  # a TTL attribute


# Record statuses: pending → processed | rejected | failed; deleted once the owner removes the upload.
PENDING: Final = "pending"
PROCESSED: Final = "processed"
REJECTED: Final = "rejected"
FAILED: Final = "failed"
DELETED: Final = "deleted"
TERMINAL: Final = (PROCESSED, REJECTED, FAILED)
"""An upload's outcomes: every upload reaches exactly one."""

# An image's review, apart from its pipeline status; a re-upload of the key starts a new one.
AWAITING: Final = "awaiting"
PASSED: Final = "passed"
# REJECTED (above) is also the verdict of a rejecting review, kept in `review_status`.
REVIEW_STATUSES: Final = (AWAITING, PASSED, REJECTED)


class Record:
    """Fields of an image record besides the table's keys above (handlers/stores/image_record.py
    types them). Clients read the first group; the pipeline keeps the second for itself."""

    STATUS: Final = "status"
    REASON: Final = "reason"  # why it was rejected or failed
    REJECTION_CODE: Final = "rejection_code"  # a RejectionCode
    SOURCE_KEY: Final = "source_key"
    SOURCE_SIZE: Final = "source_size"
    SOURCE_WIDTH: Final = "source_width"
    SOURCE_HEIGHT: Final = "source_height"
    FORMAT: Final = "format"  # JPEG | PNG
    CONTENT_TYPE: Final = "content_type"
    FILE_NAME: Final = "file_name"
    CAPTION: Final = "caption"
    PHOTOGRAPHER: Final = "photographer"
    DATE: Final = "date"  # the photo's date, ISO 8601
    COPYRIGHT: Final = "copyright"  # the photo's copyright notice, read from it at ingest
    KEYWORDS: Final = "keywords"  # a list of words, read from the photo at ingest
    REVIEW_STATUS: Final = "review_status"
    REVIEW_REASON: Final = "review_reason"
    REVIEWED_AT: Final = "reviewed_at"
    VARIANTS: Final = "variants"  # a list: each variant's name (VARIANTS), format, key, bytes, width, height
    OPTIMIZED_KEY: Final = "optimized_key"  # the variants' keys in the bucket (see key_of)
    THUMBNAIL_KEY: Final = "thumbnail_key"

    DUPLICATE_OF: Final = "duplicate_of"  # the earliest earlier image it looks like, or None (once processed)
    FINGERPRINT: Final = "fingerprint"  # the upright pixels' perceptual hash (handlers/imaging/fingerprint.py)
    SOURCE_BUCKET: Final = "source_bucket"
    SOURCE_ETAG: Final = "source_etag"
    UPLOAD_ORDER: Final = "upload_order"  # orders uploads of one key (handlers/pipeline/uploads.py)
    UPLOAD_VERSION: Final = "upload_version"
    CREATED_AT: Final = "created_at"
    UPDATED_AT: Final = "updated_at"
    PROCESSED_AT: Final = "processed_at"
    DELETED_AT: Final = "deleted_at"
    REVIEW_ORDER: Final = "review_order"  # the applied verdict's command: publish time|message id

    @staticmethod
    def order_of(field: str) -> str:
        """Where the order of the last command applied to `field` is kept (e.g. `caption_order`)."""
        return f"{field}_order"

    @staticmethod
    def key_of(variant: str) -> str:
        """Where the bucket key of a published variant is kept (`optimized_key`, `thumbnail_key`)."""
        return f"{variant}_key"


# Commands on the events topic, in the shapes such systems already publish.
# Metadata: message attribute METADATA_TYPE, body {"id": <image id or upload key>, "value": <new value>}.
METADATA_TYPE: Final = "metadata_type"
METADATA_FIELDS: Final = {
    "Caption": Record.CAPTION,
    "Date": Record.DATE,
    "Photographer": Record.PHOTOGRAPHER,
    "name": Record.PHOTOGRAPHER,
    "Name": Record.PHOTOGRAPHER,
}
# Review: body {"id": ..., "date": ..., "update": {"status": "Pass" | "Reject", "reason": ...}}.
VERDICTS: Final = {"Pass": PASSED, "Reject": REJECTED}
# How a command's numeric date (a review's `date`, a Date command's `value`) reads: 01/05/2025 is
# 1 May 2025 day-first (the seed-001 family's), 5 January 2025 month-first. ISO 8601 reads one way.
DateOrder = Literal["day-first", "month-first"]
DAY_FIRST: Final[DateOrder] = "day-first"
MONTH_FIRST: Final[DateOrder] = "month-first"
DATE_ORDERS: Final[tuple[DateOrder, ...]] = get_args(DateOrder)
# The object's user metadata an uploader may set (S3 `x-amz-meta-photographer`): the photographer.
PHOTOGRAPHER_METADATA: Final = "photographer"

RejectionCode = Literal[
    "bad-key",  # not uploads/<owner>/<file name>
    "empty",
    "unsupported-format",
    "too-large",
    "too-many-pixels",
    "truncated",
    "corrupt",
]
"""Why an upload was rejected, short and stable (a record's `rejection_code`); its `reason` says it
in words a person can act on."""
REJECTION_CODES: Final[frozenset[str]] = frozenset(get_args(RejectionCode))
