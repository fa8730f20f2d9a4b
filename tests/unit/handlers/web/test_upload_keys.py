"""A file name cannot steer where S3 stores an upload: `POST /api/uploads` answers a key with none of
the characters S3's POST Object substitutes (`${filename}`), and the form it answers, sent to moto
(which substitutes `${filename}` as S3 does) with any file name in its multipart part, stores the
file at exactly that key."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from tests.unit.handlers.web.conftest import BUCKET, csrf

JPEG = b"\xff\xd8\xff\xe0 the pipeline looks at the bytes later \xff\xd9"


def presign(client: FlaskClient, file_name: str) -> dict[str, Any]:
    response = client.post(
        "/api/uploads", json={"file_name": file_name, "content_type": "image/jpeg"}, headers=csrf(client)
    )
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


@pytest.mark.parametrize("file_name", ["${filename}.jpg", "$\u200b{filename}.jpg", "a/${filename}/${filename}.jpg"])
def test_the_answered_key_holds_no_s3_post_variable(client: FlaskClient, file_name: str) -> None:
    answer = presign(client, file_name)
    assert "${" not in answer["key"] and not set("${}") & set(answer["key"]), answer["key"]
    assert answer["fields"]["key"] == answer["key"] == "uploads/alice/__filename_.jpg"


@pytest.mark.parametrize("part_file_name", ["evil.jpg", "../rita/evil.jpg", "cat.jpg"])
def test_the_upload_is_stored_at_the_answered_key_whatever_the_part_is_called(
    client: FlaskClient, s3: Any, part_file_name: str
) -> None:
    answer = presign(client, "${filename}.jpg")
    files = {"file": (part_file_name, JPEG, "image/jpeg")}
    sent = requests.post(answer["url"], data=answer["fields"], files=files, timeout=10)
    assert sent.status_code == 204, sent.text
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="uploads/")
    assert [entry["Key"] for entry in listed["Contents"]] == [answer["key"]]
