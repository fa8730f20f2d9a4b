"""Storage: the private images bucket and the DynamoDB tables every stage reads and writes."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from handlers.contract import FingerprintsTable, IdempotencyTable, ImagesTable


@dataclass(frozen=True)
class StorageArgs:
    """Names of the stack's bucket and tables; a bucket name of None lets Pulumi pick a unique one."""

    bucket_name: str | None
    images_table_name: str
    idempotency_table_name: str
    fingerprints_table_name: str
    force_destroy: bool = False


class Storage(pulumi.ComponentResource):
    """A private bucket (uploads in, published variants out) and the image records table.

    Records are keyed by `image_id`; the owner index lists one owner's images newest first, the
    review index every owner's images by review status (the reviewers' lists); their stream carries
    each change to the notify stage. The idempotency table lets Powertools recognise a redelivered
    message. The fingerprints table finds the earlier images an upload looks like.
    """

    bucket: aws.s3.Bucket
    public_access_block: aws.s3.BucketPublicAccessBlock
    images_table: aws.dynamodb.Table
    idempotency_table: aws.dynamodb.Table
    fingerprints_table: aws.dynamodb.Table

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:storage:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.bucket = aws.s3.Bucket(
            f"{name}-images",
            bucket=args.bucket_name,
            force_destroy=args.force_destroy,
            opts=child,
        )
        # The bucket's one policy (TLS only; the CDN reads the published variants) needs the CDN's
        # distribution: components/cdn.py declares it, after this block.
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-images-private",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )

        self.images_table = _images_table(name, args.images_table_name, child)
        self.idempotency_table = _idempotency_table(name, args.idempotency_table_name, child)
        self.fingerprints_table = _fingerprints_table(name, args.fingerprints_table_name, child)

        self.bucket_id = self.bucket.id
        self.bucket_arn = self.bucket.arn
        self.bucket_name = self.bucket.bucket
        self.bucket_regional_domain_name = self.bucket.bucket_regional_domain_name
        self.images_table_name = self.images_table.name
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "images_table_name": self.images_table_name,
                "idempotency_table_name": self.idempotency_table.name,
            }
        )


def _images_table(name: str, table_name: str, opts: pulumi.ResourceOptions) -> aws.dynamodb.Table:
    """The image records: keyed by `image_id`, with the owner and review indexes and a stream."""
    return aws.dynamodb.Table(
        f"{name}-records",
        name=table_name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=ImagesTable.KEY,
        attributes=[
            aws.dynamodb.TableAttributeArgs(name=name, type="S")
            for name in (ImagesTable.KEY, ImagesTable.OWNER, ImagesTable.UPLOADED_AT, ImagesTable.REVIEW_STATUS)
        ],
        global_secondary_indexes=[
            _newest_first(ImagesTable.OWNER_INDEX, ImagesTable.OWNER),
            _newest_first(ImagesTable.REVIEW_INDEX, ImagesTable.REVIEW_STATUS),
        ],
        # Every change, before and after: the notify stage tells owners their uploads' outcomes.
        stream_enabled=True,
        stream_view_type="NEW_AND_OLD_IMAGES",
        opts=opts,
    )


def _fingerprints_table(name: str, table_name: str, opts: pulumi.ResourceOptions) -> aws.dynamodb.Table:
    """The published images' fingerprints by band (handlers/contract.py, FingerprintsTable)."""
    return aws.dynamodb.Table(
        f"{name}-fingerprints",
        name=table_name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=FingerprintsTable.KEY,
        range_key=FingerprintsTable.SORT,
        attributes=[
            aws.dynamodb.TableAttributeArgs(name=name, type="S")
            for name in (FingerprintsTable.KEY, FingerprintsTable.SORT)
        ],
        opts=opts,
    )


def _idempotency_table(name: str, table_name: str, opts: pulumi.ResourceOptions) -> aws.dynamodb.Table:
    """Powertools' idempotency records, each expiring on its own."""
    return aws.dynamodb.Table(
        f"{name}-idempotency",
        name=table_name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=IdempotencyTable.KEY,
        attributes=[aws.dynamodb.TableAttributeArgs(name=IdempotencyTable.KEY, type="S")],
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=IdempotencyTable.EXPIRES, enabled=True),
        opts=opts,
    )


def _newest_first(index: str, hash_key: str) -> aws.dynamodb.TableGlobalSecondaryIndexArgs:
    """An index listing the records sharing one `hash_key` value by upload time, every attribute
    projected (a list page is one Query, no follow-up reads)."""
    return aws.dynamodb.TableGlobalSecondaryIndexArgs(
        name=index,
        key_schemas=[
            aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=hash_key, key_type="HASH"),
            aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                attribute_name=ImagesTable.UPLOADED_AT, key_type="RANGE"
            ),
        ],
        projection_type="ALL",
    )
