"""Stack settings: defaults, and a clear error naming the key for each bad value."""

from __future__ import annotations

import pytest

from components.config import ConfigError, StackConfig


def test_defaults_are_the_documented_ones():
    config = StackConfig(name_prefix="imagepipe-dev")
    assert (config.max_upload_bytes, config.max_pixels) == (25 * 1024 * 1024, 50_000_000)
    assert (config.optimized_edge, config.thumbnail_edge) == (1600, 256)
    assert (config.lambda_runtime, config.lambda_architecture) == ("python3.11", "x86_64")
    assert config.resource_name("ingest") == "imagepipe-dev-ingest"
    assert (config.sender_email, dict(config.owner_emails)) == (None, {})  # no mail unless asked for
    assert (config.alarm_period_seconds, config.alert_emails) == (60, ())
    assert config.lambda_snap_start is False
    assert config.command_date_order == "day-first"  # numeric dates in commands as the seed-001 family writes them
    assert (config.image_formats, config.srcset_widths, config.keep_copyright) == (("webp", "avif"), (480, 960), True)
    assert config.duplicates_across == "owner"
    assert config.max_receive_count == 5  # AWS's advice for a queue Lambda consumes


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"name_prefix": "Bad Prefix"}, "imagepipe:namePrefix"),
        ({"images_bucket_name": "Not_A_Bucket"}, "imagepipe:imagesBucketName"),
        ({"lambda_runtime": "nodejs20.x"}, "imagepipe:lambdaRuntime"),
        ({"lambda_architecture": "mips"}, "imagepipe:lambdaArchitecture"),
        ({"lambda_snap_start": True}, "imagepipe:lambdaSnapStart"),  # with python3.11
        ({"lambda_snap_start": "yes"}, "imagepipe:lambdaSnapStart"),
        ({"max_upload_bytes": 0}, "imagepipe:maxUploadBytes"),
        ({"max_pixels": -1}, "imagepipe:maxPixels"),
        ({"thumbnail_edge": 2000}, "imagepipe:thumbnailEdge/optimizedEdge"),
        (
            {"image_formats": ("webp", "jxl")},
            "imagepipe:imageFormats: \\['webp', 'jxl'\\] must list each of webp, avif",
        ),
        ({"image_formats": ("avif", "avif")}, "imagepipe:imageFormats"),
        ({"image_formats": ("jpeg",)}, "imagepipe:imageFormats.*JPEG/PNG are always published"),
        ({"srcset_widths": (480, 1600)}, "imagepipe:srcsetWidths.*below optimizedEdge \\(1600"),
        ({"srcset_widths": (8,)}, "imagepipe:srcsetWidths"),
        ({"srcset_widths": ("480",)}, "imagepipe:srcsetWidths"),
        ({"srcset_widths": (480, 480)}, "imagepipe:srcsetWidths"),
        ({"srcset_widths": tuple(range(100, 1000, 100))}, "imagepipe:srcsetWidths: .* at most 8"),
        ({"keep_copyright": "yes"}, "imagepipe:keepCopyright"),
        ({"duplicates_across": "team"}, "imagepipe:duplicatesAcross: 'team' is not one of owner, all"),
        ({"max_receive_count": 0}, "imagepipe:maxReceiveCount"),
        ({"log_retention_days": 10}, "imagepipe:logRetentionDays"),
        ({"sender_email": "not an address"}, "imagepipe:senderEmail"),
        ({"sender_email": "a@b.co", "owner_emails": {"ann": "ann-at-home"}}, "imagepipe:ownerEmails"),
        ({"sender_email": "a@b.co", "owner_emails": {"a/b": "ann@b.co"}}, "imagepipe:ownerEmails"),
        ({"sender_email": "a@b.co", "owner_emails": ["ann@b.co"]}, "imagepipe:ownerEmails"),
        ({"owner_emails": {"ann": "ann@b.co"}}, "imagepipe:senderEmail"),
        ({"alarm_period_seconds": 45}, "imagepipe:alarmPeriodSeconds"),
        ({"alarm_period_seconds": 90}, "imagepipe:alarmPeriodSeconds"),
        ({"alert_emails": ("ops-at-example",)}, "imagepipe:alertEmails"),
        ({"command_date_order": "dmy"}, "imagepipe:commandDateOrder: 'dmy' is not one of day-first, month-first"),
        ({"command_date_order": "Day-First"}, "imagepipe:commandDateOrder"),
    ],
)
def test_a_bad_value_is_an_error_naming_its_key(settings, key):
    with pytest.raises(ConfigError, match=key):
        StackConfig(**{"name_prefix": "imagepipe-dev", **settings})
