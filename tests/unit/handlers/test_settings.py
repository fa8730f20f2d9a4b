"""The functions' settings: read from the environment, with an error naming what is missing or wrong."""

from __future__ import annotations

import pytest

from handlers.contract import Env
from handlers.imaging import Limits, VariantSizes
from handlers.settings import SettingMissing, Settings, WebFunctionSettings

REQUIRED = {Env.IMAGES_TABLE: "images", Env.IDEMPOTENCY_TABLE: "idempotency"}
OPTIONAL = (
    Env.MAX_UPLOAD_BYTES,
    Env.MAX_PIXELS,
    Env.OPTIMIZED_EDGE,
    Env.THUMBNAIL_EDGE,
    Env.ENHANCE_QUEUE_URL,
    Env.MAX_RECEIVE_COUNT,
    Env.COMMAND_DATE_ORDER,
)
WEB = {
    Env.USERS_TABLE: "users",
    Env.SESSION_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:000000000000:secret:key",
    Env.IMAGES_BUCKET: "bucket",
    Env.MAX_UPLOAD_BYTES: "1000",
    Env.IMAGES_BASE_URL: "https://cdn.example",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in OPTIONAL:
        monkeypatch.delenv(name, raising=False)
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_defaults_apply_where_the_stack_sets_nothing(environment):
    settings = Settings.from_environment()
    assert (settings.images_table, settings.idempotency_table) == ("images", "idempotency")
    assert settings.limits == Limits() and settings.sizes == VariantSizes()
    assert settings.enhance_queue_url is None and settings.max_receive_count == 3
    assert settings.command_date_order == "day-first"


def test_numbers_are_read(environment):
    environment.setenv(Env.MAX_UPLOAD_BYTES, "1000")
    environment.setenv(Env.THUMBNAIL_EDGE, "128")
    environment.setenv(Env.MAX_RECEIVE_COUNT, "5")
    settings = Settings.from_environment()
    assert (settings.limits.max_bytes, settings.sizes.thumbnail, settings.max_receive_count) == (1000, 128, 5)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_a_missing_table_is_named(environment, name):
    environment.delenv(name)
    with pytest.raises(SettingMissing, match=f"environment variable {name} is not set"):
        Settings.from_environment()


def test_a_number_that_is_not_one_is_named_with_its_value(environment):
    environment.setenv(Env.MAX_PIXELS, "50MP")
    with pytest.raises(SettingMissing, match="MAX_PIXELS should be a whole number, not '50MP'"):
        Settings.from_environment()


def test_image_settings_out_of_range_are_named(environment):
    environment.setenv(Env.OPTIMIZED_EDGE, "0")
    settings = Settings.from_environment()  # a stage that handles no pixels does not care
    with pytest.raises(
        SettingMissing, match=r"OPTIMIZED_EDGE or THUMBNAIL_EDGE is out of range: VariantSizes\.optimized"
    ):
        settings.check_imaging()


def test_settings_load_no_pillow():
    import subprocess
    import sys

    probe = "import sys, handlers.settings, handlers.pipeline.notices; print('PIL' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )


def test_the_commands_and_the_web_function_read_the_date_order(environment):
    for name, value in WEB.items():
        environment.setenv(name, value)
    assert WebFunctionSettings.from_environment().command_date_order == "day-first"
    environment.setenv(Env.COMMAND_DATE_ORDER, "month-first")
    assert Settings.from_environment().command_date_order == "month-first"
    assert WebFunctionSettings.from_environment().command_date_order == "month-first"
    environment.setenv(Env.COMMAND_DATE_ORDER, "mdy")
    for settings in (Settings, WebFunctionSettings):
        with pytest.raises(SettingMissing, match="COMMAND_DATE_ORDER should be day-first or month-first, not 'mdy'"):
            settings.from_environment()
