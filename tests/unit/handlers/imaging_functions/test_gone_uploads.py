"""An upload deleted before a stage reads it is gone, not a failure, on AWS too: the stages that read
uploads run against moto answering as AWS answers their declared roles (tests/unit/handlers/s3_as_aws.py:
a read of a missing key is 403 unless the role may list it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from harness.samples import photo_jpeg
from tests.unit.components.conftest import run_program
from tests.unit.handlers.conftest import BUCKET, fresh, sqs_batch
from tests.unit.handlers.s3_as_aws import Unevaluated, as_role, may_list

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
STACK_BUCKET = "arn:aws:s3:::imagepipe-local-images"  # the local stack's bucket, as its policies name it


@pytest.fixture(scope="module")
def declared() -> dict[str, dict]:
    """Each function's role policy as the program declares it for the local stack."""
    program = run_program()
    return {
        name.removesuffix("-policy"): json.loads(inputs["policy"])
        for name, inputs in program.of_type(ROLE_POLICY).items()
    }


def test_ingest_of_an_upload_deleted_first_leaves_no_record_and_no_failure(aws, context, declared):
    ingest = fresh("handlers.imaging_functions.ingest")
    as_role(ingest.stage.worker.s3, declared["ingest"], STACK_BUCKET)
    event = aws.upload("uploads/alice/gone.jpg", photo_jpeg(64, 48, seed=3))
    aws.s3.delete_object(Bucket=BUCKET, Key="uploads/alice/gone.jpg")
    assert ingest.handler(sqs_batch(event), context) == {"batchItemFailures": []}
    assert aws.record("uploads/alice/gone.jpg") is None


def test_enhance_of_an_upload_deleted_after_ingest_leaves_it_pending_and_no_failure(aws, context, declared):
    ingest, enhance = fresh("handlers.imaging_functions.ingest"), fresh("handlers.imaging_functions.enhance")
    as_role(enhance.stage.worker.s3, declared["enhance"], STACK_BUCKET)
    key = "uploads/alice/gone-later.jpg"
    ingest.handler(sqs_batch(aws.upload(key, photo_jpeg(64, 48, seed=4))), context)
    (request,) = aws.enhance_requests()
    aws.s3.delete_object(Bucket=BUCKET, Key=key)
    assert enhance.handler(sqs_batch(request), context) == {"batchItemFailures": []}
    assert aws.record(key)["status"] == "pending"  # removal's own event marks it deleted


def test_every_function_that_reads_uploads_may_list_them(declared):
    readers = [
        name
        for name, policy in declared.items()
        for statement in policy["Statement"]
        if "s3:GetObject" in statement["Action"] and any("/uploads/" in r for r in _listed(statement["Resource"]))
    ]
    assert sorted(readers) == ["enhance", "ingest"]
    for name in readers:
        assert may_list(declared[name], STACK_BUCKET, "uploads/alice/x.jpg"), name
        assert not may_list(declared[name], STACK_BUCKET, "secrets/x"), name  # only where it reads


def test_objects_are_read_in_one_place_only_so_a_new_reader_is_seen():
    """Every GetObject/HeadObject of the handlers is objects.read_upload's; its callers are ingest and
    enhance, held to AWS's answers above. A read anywhere else needs its role to list the prefix."""
    root = Path(__file__).resolve().parents[4]
    reading = sorted(
        str(path.relative_to(root))
        for path in (root / "handlers").rglob("*.py")
        if re.search(r"\.(get_object|head_object)\(", path.read_text())
    )
    assert reading == ["handlers/imaging_functions/objects.py"]


def test_a_role_that_may_not_list_gets_403_for_a_missing_key_and_the_object_when_it_is_there(aws):
    import boto3
    from botocore.exceptions import ClientError

    reading_only = {
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"}]
    }
    s3 = as_role(boto3.client("s3"), reading_only, f"arn:aws:s3:::{BUCKET}")
    aws.s3.put_object(Bucket=BUCKET, Key="uploads/a/here.jpg", Body=b"x")
    assert s3.get_object(Bucket=BUCKET, Key="uploads/a/here.jpg")["Body"].read() == b"x"
    for read in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as refused:
            read(Bucket=BUCKET, Key="uploads/a/missing.jpg")
        assert refused.value.response["Error"]["Code"] in ("AccessDenied", "403")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_condition_that_is_not_evaluated_is_an_error():
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": STACK_BUCKET,
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ]
    }
    with pytest.raises(Unevaluated, match="IpAddress on aws:SourceIp"):
        may_list(policy, STACK_BUCKET, "uploads/x")


def _listed(value):
    return value if isinstance(value, list) else [value]


def test_a_refused_read_fails_the_message_saying_why_a_gone_upload_may_look_refused(aws, context):
    ingest = fresh("handlers.imaging_functions.ingest")
    reading_only = {
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{STACK_BUCKET}/uploads/*"}]
    }
    as_role(ingest.stage.worker.s3, reading_only, STACK_BUCKET)
    event = aws.upload("uploads/alice/gone.jpg", photo_jpeg(64, 48, seed=3))
    aws.s3.delete_object(Bucket=BUCKET, Key="uploads/alice/gone.jpg")
    batch = sqs_batch(event)
    batch["Records"][0]["attributes"]["ApproximateReceiveCount"] = "5"  # the last attempt records why
    with pytest.raises(BatchProcessingError):
        ingest.handler(batch, context)
    reason = aws.record("uploads/alice/gone.jpg")["reason"]
    assert "UploadUnreadable: S3 refused to read uploads/alice/gone.jpg (AccessDenied)" in reason
    assert "may not list uploads/ (S3 then answers 403, not 404)" in reason
