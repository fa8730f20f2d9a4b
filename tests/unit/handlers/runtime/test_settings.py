"""The functions' settings: read from the environment, with an error naming what is missing or wrong."""

from __future__ import annotations

import pytest

from handlers.contract import Env
from handlers.imaging import Limits, Outputs, VariantSizes
from handlers.imaging_functions.imaging_settings import EnhanceSettings, ImagingSettings, IngestSettings
from handlers.imaging_functions.publishing import Publishing
from handlers.runtime.settings import SettingMissing, StageSettings
from handlers.stage_functions.stage_settings import CommandSettings, RemovalSettings
from handlers.web.environment import WebFunctionSettings

REQUIRED = {Env.IMAGES_TABLE: "images", Env.IDEMPOTENCY_TABLE: "idempotency"}
FINGERPRINTS = {Env.FINGERPRINTS_TABLE: "fingerprints"}  # enhance's and removal's
COMMANDS = {Env.COMMAND_REJECTIONS_URL: "https://sqs.example/rejections"}
OPTIONAL = (
    Env.MAX_UPLOAD_BYTES,
    Env.MAX_PIXELS,
    Env.OPTIMIZED_EDGE,
    Env.THUMBNAIL_EDGE,
    Env.IMAGE_FORMATS,
    Env.SRCSET_WIDTHS,
    Env.KEEP_COPYRIGHT,
    Env.DUPLICATES_SCOPE,
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
    for name, value in {**REQUIRED, **FINGERPRINTS}.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_defaults_apply_where_the_stack_sets_nothing(environment):
    settings = EnhanceSettings.from_environment()
    assert (settings.images_table, settings.idempotency_table) == ("images", "idempotency")
    assert settings.limits == Limits() and settings.publishing == Publishing(VariantSizes(), Outputs(), True)
    assert settings.publishing.outputs == Outputs(("webp", "avif"), (480, 960))
    assert settings.max_receive_count == 5  # the stack's default
    for name, value in COMMANDS.items():
        environment.setenv(name, value)
    assert CommandSettings.from_environment().command_date_order == "day-first"


@pytest.mark.parametrize("kind", [EnhanceSettings, RemovalSettings])
def test_enhance_and_removal_cannot_do_without_the_fingerprints_table(environment, kind):
    environment.delenv(Env.FINGERPRINTS_TABLE)
    ImagingSettings.from_environment()  # ingest does not need it
    with pytest.raises(SettingMissing, match="environment variable FINGERPRINTS_TABLE is not set"):
        kind.from_environment()


def test_whose_earlier_images_count_is_the_owners_unless_the_stack_says_all(environment):
    assert EnhanceSettings.from_environment().duplicates_across_owners is False
    environment.setenv(Env.DUPLICATES_SCOPE, "all")
    assert EnhanceSettings.from_environment().duplicates_across_owners is True
    environment.setenv(Env.DUPLICATES_SCOPE, "everyone")
    with pytest.raises(SettingMissing, match="DUPLICATES_SCOPE should be owner or all, not 'everyone'"):
        EnhanceSettings.from_environment()


@pytest.mark.parametrize("kind", [IngestSettings, CommandSettings])
def test_what_a_kind_of_function_cannot_do_without_is_named(environment, kind):
    name = Env.ENHANCE_QUEUE_URL if kind is IngestSettings else Env.COMMAND_REJECTIONS_URL
    with pytest.raises(SettingMissing, match=f"environment variable {name} is not set"):
        kind.from_environment()


def test_numbers_are_read(environment):
    environment.setenv(Env.MAX_UPLOAD_BYTES, "1000")
    environment.setenv(Env.THUMBNAIL_EDGE, "128")
    environment.setenv(Env.MAX_RECEIVE_COUNT, "8")
    settings = EnhanceSettings.from_environment()
    assert (settings.limits.max_bytes, settings.publishing.sizes.thumbnail, settings.max_receive_count) == (
        1000,
        128,
        8,
    )


@pytest.mark.parametrize(
    ("formats", "widths", "keep", "publishing"),
    [
        ("avif", "320, 640", "false", Publishing(VariantSizes(), Outputs(("avif",), (320, 640)), False)),
        ("", "", "true", Publishing(VariantSizes(), Outputs((), ()), True)),  # JPEG/PNG alone
    ],
)
def test_the_formats_widths_and_copyright_are_read(environment, formats, widths, keep, publishing):
    environment.setenv(Env.IMAGE_FORMATS, formats)
    environment.setenv(Env.SRCSET_WIDTHS, widths)
    environment.setenv(Env.KEEP_COPYRIGHT, keep)
    assert EnhanceSettings.from_environment().publishing == publishing


@pytest.mark.parametrize(
    ("name", "value", "wrong"),
    [
        (Env.IMAGE_FORMATS, "webp,gif", "IMAGE_FORMATS or SRCSET_WIDTHS is wrong: Outputs.formats: 'gif' is not one"),
        (Env.SRCSET_WIDTHS, "480,wide", "SRCSET_WIDTHS should list whole numbers, not 'wide'"),
        (Env.SRCSET_WIDTHS, "4", "IMAGE_FORMATS or SRCSET_WIDTHS is wrong: Outputs.widths"),
        (Env.KEEP_COPYRIGHT, "yes", "KEEP_COPYRIGHT should be true or false, not 'yes'"),
    ],
)
def test_wrong_formats_widths_or_copyright_are_named(environment, name, value, wrong):
    environment.setenv(name, value)
    ImagingSettings.from_environment()  # ingest does not read them
    with pytest.raises(SettingMissing, match=wrong):
        EnhanceSettings.from_environment()


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_a_missing_table_is_named(environment, name):
    environment.delenv(name)
    with pytest.raises(SettingMissing, match=f"environment variable {name} is not set"):
        StageSettings.from_environment()


def test_a_number_that_is_not_one_is_named_with_its_value(environment):
    environment.setenv(Env.MAX_PIXELS, "50MP")
    with pytest.raises(SettingMissing, match="MAX_PIXELS should be a whole number, not '50MP'"):
        ImagingSettings.from_environment()


def test_image_settings_out_of_range_are_named(environment):
    environment.setenv(Env.OPTIMIZED_EDGE, "0")
    ImagingSettings.from_environment()  # a stage that publishes no variants does not care
    with pytest.raises(
        SettingMissing, match=r"OPTIMIZED_EDGE or THUMBNAIL_EDGE is out of range: VariantSizes\.optimized"
    ):
        EnhanceSettings.from_environment()


def test_settings_load_no_pillow():
    import subprocess
    import sys

    probe = (
        "import sys, handlers.runtime.settings, handlers.stage_functions.stage_settings, handlers.pipeline.notices;"
        " print('PIL' in sys.modules)"
    )
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )


def test_the_commands_and_the_web_function_read_the_date_order(environment):
    for name, value in {**WEB, **COMMANDS}.items():
        environment.setenv(name, value)
    assert WebFunctionSettings.from_environment().command_date_order == "day-first"
    environment.setenv(Env.COMMAND_DATE_ORDER, "month-first")
    assert CommandSettings.from_environment().command_date_order == "month-first"
    assert WebFunctionSettings.from_environment().command_date_order == "month-first"
    environment.setenv(Env.COMMAND_DATE_ORDER, "mdy")
    for settings in (CommandSettings, WebFunctionSettings):
        with pytest.raises(SettingMissing, match="COMMAND_DATE_ORDER should be day-first or month-first, not 'mdy'"):
            settings.from_environment()
