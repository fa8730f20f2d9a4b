"""Dates in `PATCH /api/images/<id>` read as the events topic's commands read them: ISO 8601, or
numeric in the stack's date order (`COMMAND_DATE_ORDER`, day-first unless the stack says otherwise),
recorded as ISO 8601; a date that is not one is a 400 naming the forms taken and the order read."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest
from flask.testing import FlaskClient

from handlers.contract import MONTH_FIRST
from handlers.web import WebSettings, create_app
from handlers.web.environment import WebFunctionSettings
from handlers.web.services import Services
from tests.unit.handlers.web.conftest import BUCKET, MAX_UPLOAD_BYTES, csrf, put_record

RECORD = {
    "image_id": "i1",
    "owner": "alice",
    "status": "processed",
    "source_key": "uploads/alice/i1.jpg",
    "file_name": "i1.jpg",
    "source_size": 1234,
    "uploaded_at": "2026-11-22T10:00:00.000Z",
    "upload_version": "v1",
}


def edit_date(client: FlaskClient, value: str) -> Any:
    return client.patch("/api/images/i1", json={"date": value}, headers=csrf(client))


@pytest.fixture
def month_first(settings: WebSettings, services: Services) -> FlaskClient:
    return create_app(settings, replace(services, date_order=MONTH_FIRST)).test_client()


def test_a_numeric_date_reads_day_first_by_default(client: FlaskClient, dynamodb: Any) -> None:
    put_record(dynamodb, RECORD)
    response = edit_date(client, "1/5/2026")
    assert (response.status_code, response.get_json()["date"]) == (200, "2026-05-01")


def test_a_numeric_date_reads_month_first_where_the_stack_says_so(month_first: FlaskClient, dynamodb: Any) -> None:
    put_record(dynamodb, RECORD)
    response = edit_date(month_first, "1/5/2026")
    assert (response.status_code, response.get_json()["date"]) == (200, "2026-01-05")
    refused = edit_date(month_first, "31/12/2025")
    assert refused.status_code == 400
    assert refused.get_json()["detail"] == (
        "date: the date '31/12/2025' is not a date: day 12 of month 31 of 2025 does not exist; use ISO 8601 "
        "(2025-05-01, or a date and time) or month/day/year (05/01/2025 or 5/1/2025); this stack reads numeric "
        "dates month-first"
    )


def test_the_deployed_app_reads_numeric_dates_in_the_order_its_function_is_given(
    services: Services, dynamodb: Any
) -> None:
    from handlers.web import environment

    put_record(dynamodb, RECORD)
    secret = boto3.client("secretsmanager").create_secret(Name="session-key")["ARN"]
    settings = WebFunctionSettings(
        images_table=services.records.table_name,
        users_table=services.users.table_name,
        session_secret_arn=secret,
        images_bucket=BUCKET,
        max_upload_bytes=MAX_UPLOAD_BYTES,
        images_base_url="http://cdn.example",
        command_date_order=MONTH_FIRST,
    )
    client = environment.app_from_environment(settings).test_client()
    assert edit_date(client, "1/5/2026").get_json()["date"] == "2026-01-05"
