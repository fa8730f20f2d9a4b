"""What enhance publishes (`imagepipe:imageFormats`, `srcsetWidths`, `keepCopyright`): read from the
stack's config, checked, and given to the enhance function alone."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from handlers.contract import Env
from tests.unit.components.conftest import Recorded, run_program

FUNCTION = "aws:lambda/function:Function"
PUBLISHING = (Env.IMAGE_FORMATS, Env.SRCSET_WIDTHS, Env.KEEP_COPYRIGHT, Env.DUPLICATES_SCOPE)


def _publishing(program: Recorded) -> dict[str, dict[str, str]]:
    """Each function's publishing settings, for the functions given any."""
    given = {}
    for name, function in program.of_type(FUNCTION).items():
        variables = function["environment"]["variables"]
        if any(setting in variables for setting in PUBLISHING):
            given[name] = {setting: variables.get(setting) for setting in PUBLISHING}
    return given


def test_by_default_enhance_publishes_webp_and_avif_two_narrower_widths_and_keeps_the_copyright(program):
    assert _publishing(program) == {
        "enhance": {
            Env.IMAGE_FORMATS: "webp,avif",
            Env.SRCSET_WIDTHS: "480,960",
            Env.KEEP_COPYRIGHT: "true",
            Env.DUPLICATES_SCOPE: "owner",
        }
    }


def test_a_stack_may_choose_jpeg_alone_no_widths_no_notice_and_duplicates_across_owners():
    chosen = run_program(
        {
            "imagepipe:imageFormats": "[]",
            "imagepipe:srcsetWidths": "[]",
            "imagepipe:keepCopyright": "false",
            "imagepipe:duplicatesAcross": "all",
        }
    )
    assert _publishing(chosen) == {
        "enhance": {
            Env.IMAGE_FORMATS: "",
            Env.SRCSET_WIDTHS: "",
            Env.KEEP_COPYRIGHT: "false",
            Env.DUPLICATES_SCOPE: "all",
        }
    }


@pytest.mark.parametrize(
    ("setting", "value", "wrong"),
    [
        ("imageFormats", '"webp"', "imagepipe:imageFormats: must be a list, not 'webp'"),
        ("imageFormats", "webp, avif", "imagepipe:imageFormats: .* not a valid 'JSON object'"),
        ("imageFormats", '["heic"]', r"imagepipe:imageFormats: \['heic'\] must list each of webp, avif"),
        ("srcsetWidths", "[320, 2400]", r"imagepipe:srcsetWidths: \[320, 2400\] must be .* below optimizedEdge"),
        ("keepCopyright", "maybe", "imagepipe:keepCopyright: must be true or false, not 'maybe'"),
    ],
)
def test_a_wrong_value_stops_the_program_naming_the_setting(setting, value, wrong):
    with pytest.raises(ConfigError, match=wrong):
        run_program({f"imagepipe:{setting}": value})
