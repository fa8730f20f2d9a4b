"""`POST /api/uploads` with Flask's test client against moto: the presigned POST puts the file at the
answered key, its policy allows that key, that content type and the stack's byte limit only, names
are made safe, a name in use is numbered unless replaced, every bad field is 400 naming it, and the
request needs a session and its CSRF token.

moto stores a POST upload but checks neither its signature nor its policy (a form with another key,
content type or size is stored all the same), so the policy document is decoded and held to a
small evaluator of S3's POST policy rules (`PolicyForm`) instead; notes/localstack-web-tier.md
records what LocalStack enforces of it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from flask import Flask
from flask.testing import FlaskClient

from handlers.imaging import Limits
from handlers.pipeline.uploads import Placement, image_id_for, placement_of
from handlers.web import WebSettings, create_app
from handlers.web.presigned_posts import EXPIRES_SECONDS, MAX_NUMBERED
from handlers.web.services import DEFAULT_MAX_UPLOAD_BYTES, Services, s3_client
from tests.unit.handlers.web.conftest import BUCKET, MAX_UPLOAD_BYTES, SECRET_KEY, Factory, csrf, sign_in

JPEG = b"\xff\xd8\xff\xe0 not really a jpeg, the pipeline looks at the bytes later \xff\xd9"


def ask(client: FlaskClient, body: Any, headers: dict[str, str]) -> Any:
    return client.post("/api/uploads", json=body, headers=headers)


def presign(client: FlaskClient, headers: dict[str, str], file_name: str = "cat.jpg", **more: Any) -> dict[str, Any]:
    """The answer to a good request (asserting it is one)."""
    response = ask(client, {"file_name": file_name, "content_type": "image/jpeg", **more}, headers)
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def bad_field(response: Any) -> str:
    """The field a 400 answer names."""
    assert response.status_code == 400, response.get_json()
    field: str = response.get_json()["detail"].split(":", 1)[0]
    return field


@dataclass
class PolicyForm:
    """S3's POST policy rules, as far as these policies use them: every condition holds for the
    form's fields and the file's size, and the policy has not expired."""

    policy: dict[str, Any]

    @classmethod
    def of(cls, fields: dict[str, str]) -> PolicyForm:
        return cls(json.loads(base64.b64decode(fields["policy"])))

    def allows(self, form: dict[str, str], size: int, bucket: str = BUCKET) -> bool:
        values = {name.lower(): value for name, value in {**form, "bucket": bucket}.items()}
        expires = datetime.fromisoformat(self.policy["expiration"].replace("Z", "+00:00"))
        return datetime.now(UTC) < expires and all(self._holds(c, values, size) for c in self.policy["conditions"])

    @staticmethod
    def _holds(condition: Any, values: dict[str, str], size: int) -> bool:
        if isinstance(condition, dict):
            ((name, wanted),) = condition.items()
            return values.get(name.lower()) == wanted
        operator = condition[0]
        if operator == "content-length-range":
            return bool(condition[1] <= size <= condition[2])
        value = values.get(condition[1].removeprefix("$").lower())
        if operator == "eq":
            return bool(value == condition[2])
        if operator == "starts-with":
            return value is not None and value.startswith(condition[2])
        raise AssertionError(f"a condition S3 does not know: {condition}")


# The presigned POST


def test_the_presigned_post_puts_the_file_at_the_answered_key(client: FlaskClient, s3: Any) -> None:
    answer = presign(client, csrf(client))
    assert answer["key"] == "uploads/alice/cat.jpg"
    assert answer["image_id"] == image_id_for("uploads/alice/cat.jpg")
    assert (answer["expires_in"], answer["max_bytes"]) == (EXPIRES_SECONDS, MAX_UPLOAD_BYTES)
    sent = requests.post(answer["url"], data=answer["fields"], files={"file": ("cat.jpg", JPEG)}, timeout=10)
    assert sent.status_code == 204, sent.text
    stored = s3.get_object(Bucket=BUCKET, Key="uploads/alice/cat.jpg")
    assert (stored["ContentType"], stored["Body"].read()) == ("image/jpeg", JPEG)


def test_the_fields_are_signed_with_s3v4_for_the_exact_key_and_content_type(client: FlaskClient) -> None:
    fields = presign(client, csrf(client))["fields"]
    assert fields["key"] == "uploads/alice/cat.jpg" and fields["Content-Type"] == "image/jpeg"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert {"x-amz-credential", "x-amz-date", "x-amz-signature", "policy"} <= set(fields)


def test_the_policy_names_the_key_the_content_type_and_the_size_exactly(client: FlaskClient) -> None:
    policy = PolicyForm.of(presign(client, csrf(client))["fields"]).policy
    conditions = policy["conditions"]
    assert ["eq", "$key", "uploads/alice/cat.jpg"] in conditions
    assert ["eq", "$Content-Type", "image/jpeg"] in conditions
    assert ["content-length-range", 1, MAX_UPLOAD_BYTES] in conditions
    assert {"bucket": BUCKET} in conditions
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert abs((expires - datetime.now(UTC)).total_seconds() - EXPIRES_SECONDS) < 30


def test_the_policy_allows_the_answered_form_and_nothing_else(client: FlaskClient) -> None:
    fields = presign(client, csrf(client))["fields"]
    policy = PolicyForm.of(fields)
    assert policy.allows(fields, 1) and policy.allows(fields, MAX_UPLOAD_BYTES)
    assert not policy.allows(fields, 0)
    assert not policy.allows(fields, MAX_UPLOAD_BYTES + 1)
    for key in ("uploads/rita/cat.jpg", "uploads/alice/dog.jpg", "uploads/alice/cat.jpg.html", "uploads/alice/"):
        assert not policy.allows({**fields, "key": key}, 10), key
    for content_type in ("image/png", "text/html", "image/svg+xml", "image/jpeg; charset=utf-8"):
        assert not policy.allows({**fields, "Content-Type": content_type}, 10), content_type
    assert not policy.allows(fields, 10, bucket="another-bucket")


def test_the_limit_is_the_stacks(services: Services) -> None:
    services = Services(**{**vars(services), "max_upload_bytes": 12_345})
    client = create_app(WebSettings(secret_key=SECRET_KEY, secure_cookies=False), services).test_client()
    answer = presign(client, csrf(client))
    assert answer["max_bytes"] == 12_345
    assert ["content-length-range", 1, 12_345] in PolicyForm.of(answer["fields"]).policy["conditions"]


def test_the_default_limit_is_the_pipelines() -> None:
    assert Limits().max_bytes == DEFAULT_MAX_UPLOAD_BYTES


def test_a_png_is_presigned_as_a_png(client: FlaskClient) -> None:
    response = ask(client, {"file_name": "Map.PNG", "content_type": "image/png"}, csrf(client))
    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["key"], answer["fields"]["Content-Type"]) == ("uploads/alice/Map.PNG", "image/png")


@pytest.mark.parametrize(("file_name", "content_type"), [("a.jpeg", "image/jpeg"), ("a.JPG", "IMAGE/JPEG")])
def test_either_jpeg_extension_and_any_case_of_the_type_are_taken(
    client: FlaskClient, file_name: str, content_type: str
) -> None:
    response = ask(client, {"file_name": file_name, "content_type": content_type}, csrf(client))
    assert response.status_code == 200
    assert response.get_json()["fields"]["Content-Type"] == "image/jpeg"


def test_a_reviewer_uploads_under_their_own_name(client: FlaskClient) -> None:
    assert presign(client, csrf(client, "rita"))["key"] == "uploads/rita/cat.jpg"


# File names


@pytest.mark.parametrize(
    ("file_name", "key"),
    [
        ("../../x.jpg", "uploads/alice/x.jpg"),
        ("..\\..\\x.jpg", "uploads/alice/x.jpg"),
        ("rita/../../cat.jpg", "uploads/alice/cat.jpg"),
        ("/etc/passwd.jpg", "uploads/alice/passwd.jpg"),
        ("CON.jpg", "uploads/alice/_CON.jpg"),
        (".hidden.jpg", "uploads/alice/hidden.jpg"),
        ("  Sommer\t am\nSee .jpg ", "uploads/alice/Sommer am See .jpg"),
        ("\u202egpj.jpg", "uploads/alice/gpj.jpg"),
        ("写真\x00.jpg", "uploads/alice/写真.jpg"),
    ],
)
def test_hostile_names_become_safe_keys_under_the_callers_prefix(client: FlaskClient, file_name: str, key: str) -> None:
    answer = presign(client, csrf(client), file_name)
    assert answer["key"] == key == answer["fields"]["key"]
    assert placement_of(key).owner == "alice"


def test_a_500_character_name_is_cut_keeping_its_extension(client: FlaskClient) -> None:
    key = presign(client, csrf(client), "long" * 125 + ".jpg")["key"]
    placement = placement_of(key)
    assert placement.file_name.endswith(".jpg") and len(placement.file_name.encode()) == 255
    assert placement == Placement("alice", "long" * 62 + "lon.jpg")


@pytest.mark.parametrize(
    ("file_name", "content_type"),
    [
        ("...", "image/jpeg"),  # only dots
        (". . .jpg", "image/jpeg"),  # a dot and spaces, then "jpg": no extension left
        ("\x00.png", "image/png"),  # NUL dropped, the leading dot too: "png" has no extension
        ("../", "image/jpeg"),  # a directory only
        ("cat", "image/jpeg"),  # no extension
        ("cat.png", "image/jpeg"),  # the extension says PNG
        ("cat.jpg", "image/png"),  # the extension says JPEG
        ("cat.jpg.exe", "image/jpeg"),
        ("cat.gif", "image/jpeg"),
    ],
)
def test_names_without_a_usable_name_or_with_the_wrong_extension_are_400(
    client: FlaskClient, file_name: str, content_type: str
) -> None:
    response = ask(client, {"file_name": file_name, "content_type": content_type}, csrf(client))
    assert bad_field(response) == "file_name"


# A name in use


def test_a_name_in_use_is_numbered(client: FlaskClient, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="uploads/alice/cat.jpg", Body=JPEG)
    s3.put_object(Bucket=BUCKET, Key="uploads/alice/cat (2).jpg", Body=JPEG)
    answer = presign(client, csrf(client))
    assert (answer["key"], answer["image_id"]) == (
        "uploads/alice/cat (3).jpg",
        image_id_for("uploads/alice/cat (3).jpg"),
    )


def test_replace_keeps_the_name_in_use(client: FlaskClient, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="uploads/alice/cat.jpg", Body=JPEG)
    answer = presign(client, csrf(client), replace=True)
    assert (answer["key"], answer["image_id"]) == ("uploads/alice/cat.jpg", image_id_for("uploads/alice/cat.jpg"))


def test_names_that_only_start_alike_and_other_owners_names_are_not_in_use(client: FlaskClient, s3: Any) -> None:
    for key in ("uploads/alice/cat.jpg.bak", "uploads/alice/cat.jpgx", "uploads/rita/cat.jpg", "uploads/alice/Cat.jpg"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=JPEG)
    assert presign(client, csrf(client))["key"] == "uploads/alice/cat.jpg"


def test_a_name_numbered_to_the_end_is_409(client: FlaskClient, s3: Any) -> None:
    for number in range(1, MAX_NUMBERED + 1):
        name = "cat.jpg" if number == 1 else f"cat ({number}).jpg"
        s3.put_object(Bucket=BUCKET, Key=f"uploads/alice/{name}", Body=JPEG)
    response = ask(client, {"file_name": "cat.jpg", "content_type": "image/jpeg"}, csrf(client))
    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict" and response.get_json()["detail"].startswith("file_name:")


def test_a_presigned_name_is_in_use_once_uploaded(client: FlaskClient) -> None:
    headers = csrf(client)
    first = presign(client, headers)
    requests.post(first["url"], data=first["fields"], files={"file": ("cat.jpg", JPEG)}, timeout=10)
    assert presign(client, headers)["key"] == "uploads/alice/cat (2).jpg"


# Bad input


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content_type": "image/jpeg"}, "file_name"),
        ({"file_name": None, "content_type": "image/jpeg"}, "file_name"),
        ({"file_name": "", "content_type": "image/jpeg"}, "file_name"),
        ({"file_name": 7, "content_type": "image/jpeg"}, "file_name"),
        ({"file_name": ["cat.jpg"], "content_type": "image/jpeg"}, "file_name"),
        ({"file_name": "x" * 4097 + ".jpg", "content_type": "image/jpeg"}, "file_name"),
        ({"file_name": "\ud800cat.jpg", "content_type": "image/jpeg"}, "file_name"),  # a lone surrogate
        ({"file_name": "cat.jpg"}, "content_type"),
        ({"file_name": "cat.jpg", "content_type": None}, "content_type"),
        ({"file_name": "cat.jpg", "content_type": "image/gif"}, "content_type"),
        ({"file_name": "cat.jpg", "content_type": "image/jpg"}, "content_type"),
        ({"file_name": "cat.jpg", "content_type": "image/jpeg; charset=utf-8"}, "content_type"),
        ({"file_name": "cat.svg", "content_type": "image/svg+xml"}, "content_type"),
        ({"file_name": "cat.html", "content_type": "text/html"}, "content_type"),
        ({"file_name": "cat.jpg", "content_type": "image/jpeg", "replace": "yes"}, "replace"),
        ({"file_name": "cat.jpg", "content_type": "image/jpeg", "replace": 1}, "replace"),
        ({"file_name": "cat.jpg", "content_type": "image/jpeg", "owner": "rita"}, "owner"),
        ({"file_name": "cat.jpg", "content_type": "image/jpeg", "key": "uploads/rita/x.jpg"}, "key"),
        ([], "body"),
        ("cat.jpg", "body"),
    ],
)
def test_every_bad_field_is_400_naming_it(client: FlaskClient, body: Any, field: str) -> None:
    response = ask(client, body, csrf(client))
    assert bad_field(response) == field
    assert response.get_json()["error"] == "bad-request"


def test_several_unknown_fields_are_all_named(client: FlaskClient) -> None:
    body = {"file_name": "cat.jpg", "content_type": "image/jpeg", "size": 1, "acl": "public-read"}
    assert bad_field(ask(client, body, csrf(client))) == "acl, size"


def test_a_body_that_is_not_json_is_415(client: FlaskClient) -> None:
    headers = csrf(client)
    form = client.post("/api/uploads", data={"file_name": "cat.jpg", "content_type": "image/jpeg"}, headers=headers)
    assert form.status_code == 415
    text = client.post("/api/uploads", data="{", content_type="application/json", headers=headers)
    assert bad_field(text) == "body"


# Who may ask


def test_without_the_csrf_token_the_request_is_refused(client: FlaskClient, s3: Any) -> None:
    sign_in(client)
    response = ask(client, {"file_name": "cat.jpg", "content_type": "image/jpeg"}, {})
    assert response.status_code == 403 and response.get_json()["error"] == "csrf"
    wrong = ask(client, {"file_name": "cat.jpg", "content_type": "image/jpeg"}, {"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403


def test_without_a_session_the_request_is_401(client: FlaskClient) -> None:
    response = ask(client, {"file_name": "cat.jpg", "content_type": "image/jpeg"}, {"X-CSRF-Token": "x"})
    assert response.status_code == 401


# Services


def test_a_stack_without_an_images_bucket_answers_503(services: Services) -> None:
    bare = Services(users=services.users, records=services.records, clock=services.clock)
    client = create_app(WebSettings(secret_key=SECRET_KEY, secure_cookies=False), bare).test_client()
    response = ask(client, {"file_name": "cat.jpg", "content_type": "image/jpeg"}, csrf(client))
    assert (response.status_code, response.get_json()["error"]) == (503, "unavailable")


def test_the_services_client_signs_s3v4_whatever_else_it_is_configured_with(mocked_aws: None) -> None:
    client = s3_client(endpoint_url="http://127.0.0.1:4566", config=Config(s3={"addressing_style": "path"}))
    assert client.meta.config.signature_version == "s3v4"
    assert client.generate_presigned_post("images", "uploads/a/b.jpg")["url"] == "http://127.0.0.1:4566/images"


def test_services_refuse_a_client_that_does_not_sign_s3v4(services: Services, mocked_aws: None) -> None:
    sigv2 = boto3.client("s3", config=Config(signature_version="s3"))
    with pytest.raises(ValueError, match="s3v4"):
        Services(users=services.users, records=services.records, s3=sigv2, images_bucket=BUCKET)


def test_the_s3_client_is_made_by_the_first_upload_not_by_the_app_or_the_list(
    lazy_app: Flask, s3_factory: Factory
) -> None:
    client = lazy_app.test_client()
    assert client.get("/api/health").status_code == 200
    headers = csrf(client)
    assert client.get("/api/me").status_code == 200
    assert client.get("/api/images").status_code == 200
    assert s3_factory.calls == 0
    first = presign(client, headers)
    assert s3_factory.calls == 1
    second = presign(client, headers)  # the first one's name is not in use: nothing was POSTed
    assert s3_factory.calls == 1 and first["fields"]["key"] == second["fields"]["key"] == "uploads/alice/cat.jpg"


def test_a_factory_whose_client_does_not_sign_s3v4_is_refused_when_it_is_made(
    services: Services, mocked_aws: None
) -> None:
    made = Factory(boto3.client("s3", config=Config(signature_version="s3")))
    lazy = Services(users=services.users, records=services.records, s3_factory=made, images_bucket=BUCKET)
    assert made.calls == 0
    for _ in range(2):  # the refused client is not kept
        with pytest.raises(ValueError, match=r"^the S3 client must sign with s3v4 \(see services.s3_client\)$"):
            lazy.bucket_or_none()
    assert made.calls == 2


def test_without_an_images_bucket_the_factory_is_not_called_and_uploads_are_503(
    services: Services, s3_factory: Factory
) -> None:
    bare = Services(users=services.users, records=services.records, clock=services.clock, s3_factory=s3_factory)
    client = create_app(WebSettings(secret_key=SECRET_KEY, secure_cookies=False), bare).test_client()
    response = ask(client, {"file_name": "cat.jpg", "content_type": "image/jpeg"}, csrf(client))
    assert (response.status_code, response.get_json()["error"]) == (503, "unavailable")
    assert client.get("/").status_code == 200
    assert s3_factory.calls == 0


def test_services_take_a_client_or_a_factory_not_both(services: Services, s3: Any, s3_factory: Factory) -> None:
    with pytest.raises(ValueError, match="not both"):
        Services(users=services.users, records=services.records, s3=s3, s3_factory=s3_factory, images_bucket=BUCKET)


@pytest.mark.parametrize(("initialization", "made"), [("on-demand", 0), ("snap-start", 1)])
def test_the_deployed_app_makes_its_s3_client_on_first_need_except_for_a_snapshot(
    services: Services, s3_factory: Factory, monkeypatch: pytest.MonkeyPatch, initialization: str, made: int
) -> None:
    from handlers.runtime.snapstart import INITIALIZATION_TYPE
    from handlers.web import environment
    from handlers.web.environment import WebFunctionSettings

    monkeypatch.setenv(INITIALIZATION_TYPE, initialization)
    monkeypatch.setattr(environment, "s3_client", s3_factory)
    secret = boto3.client("secretsmanager").create_secret(Name="session-key")["ARN"]
    settings = WebFunctionSettings(
        images_table=services.records.table_name,
        users_table=services.users.table_name,
        session_secret_arn=secret,
        images_bucket=BUCKET,
        max_upload_bytes=MAX_UPLOAD_BYTES,
        images_base_url="http://cdn.example",
    )
    client = environment.app_from_environment(settings).test_client()
    assert s3_factory.calls == made
    presign(client, csrf(client))
    assert s3_factory.calls == 1


@pytest.mark.parametrize("limit", [0, -1, True, 1.5])
def test_services_refuse_a_limit_that_is_not_a_positive_int(services: Services, limit: Any) -> None:
    with pytest.raises((ValueError, TypeError), match="max_upload_bytes"):
        Services(users=services.users, records=services.records, max_upload_bytes=limit)
