"""Lambda SnapStart as a stack option (`imagepipe:lambdaSnapStart`): off, the program declares what it
always did; on, every function publishes a SnapStart version behind a `live` alias, and everything
that invokes a function invokes the alias. And the local stack, whose emulator runs python3.11 only,
is refused with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import components.package
from components.config import ConfigError, StackConfig
from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.lambda_ import Function
from tests.unit.components.conftest import Recorded, run_program

FUNCTION = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
INTEGRATION = "aws:apigateway/integration:Integration"
PERMISSION = "aws:lambda/permission:Permission"
ARN = "arn:aws:lambda:us-east-1:000000000000:{name}"
INVOKE = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
LOCAL_RESOURCES = 125  # what the program declares for the local stack (tests/unit/harness/deploy/test_replay.py)
FUNCTIONS = 8  # ingest, enhance, removal, notify, mail, metadata, review, web


@pytest.fixture(scope="module")
def snap_started() -> Iterator[Recorded]:
    """The program with SnapStart on (python3.12); its package is not built (the mocks never read it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(components.package, "build_package", lambda *args, **kwargs: Path("handlers-python3.12.zip"))
        yield run_program({"imagepipe:lambdaRuntime": "python3.12", "imagepipe:lambdaSnapStart": "true"})


def _cloud_resources(program: Recorded) -> int:
    return sum(typ.startswith("aws:") for typ, _ in program.resources)


def test_off_the_program_declares_no_alias_no_version_and_no_snap_start(program):
    assert _cloud_resources(program) == LOCAL_RESOURCES
    assert not program.of_type(ALIAS)
    functions = program.of_type(FUNCTION)
    assert len(functions) == FUNCTIONS
    for function in functions.values():
        assert "snapStart" not in function and "publish" not in function
    for name, mapping in program.of_type(MAPPING).items():
        function = functions[name.removesuffix("-source")]  # a function's mapping is `<function>-source`
        assert mapping["functionName"] == ARN.format(name=function["name"])
    web = ARN.format(name="imagepipe-local-web")
    for integration in program.of_type(INTEGRATION).values():
        assert integration["uri"] == INVOKE.format(arn=web)
    (permission,) = program.of_type(PERMISSION).values()
    assert permission["function"] == "imagepipe-local-web" and "qualifier" not in permission


def test_on_every_function_publishes_a_snap_start_version(snap_started):
    functions = snap_started.of_type(FUNCTION)
    assert len(functions) == FUNCTIONS
    for function in functions.values():
        assert function["snapStart"] == {"applyOn": "PublishedVersions"}
        assert function["publish"] is True
        assert function["runtime"] == "python3.12"


def test_on_every_function_has_one_live_alias_on_its_published_version(snap_started):
    functions = snap_started.of_type(FUNCTION)
    aliases = snap_started.of_type(ALIAS)
    assert sorted(alias["functionName"] for alias in aliases.values()) == sorted(f["name"] for f in functions.values())
    for name, alias in aliases.items():
        assert alias["name"] == "live" and alias["functionVersion"] == "1"
        assert snap_started.parents[(ALIAS, name)] == "imagepipe:lambda:StageFunction"
    # Nothing else changes: one alias more per function.
    assert _cloud_resources(snap_started) == LOCAL_RESOURCES + FUNCTIONS


def test_on_every_event_source_mapping_invokes_the_alias(snap_started):
    functions = snap_started.of_type(FUNCTION)
    mappings = snap_started.of_type(MAPPING)
    assert len(mappings) == FUNCTIONS - 1  # every function but the web one consumes a source
    for name, mapping in mappings.items():
        function = functions[name.removesuffix("-source")]["name"]
        assert mapping["functionName"] == ARN.format(name=f"{function}:live")


def test_on_the_api_integrates_with_and_is_allowed_to_invoke_the_alias(snap_started):
    web_alias = ARN.format(name="imagepipe-local-web:live")
    integrations = snap_started.of_type(INTEGRATION)
    assert len(integrations) == 2
    for integration in integrations.values():
        assert integration["uri"] == INVOKE.format(arn=web_alias)
    (permission,) = snap_started.of_type(PERMISSION).values()
    assert (permission["function"], permission["qualifier"]) == ("imagepipe-local-web", "live")


def test_on_every_resource_is_still_a_child_of_a_component(snap_started):
    for typ, name in snap_started.resources:
        if typ.startswith("aws:"):
            assert snap_started.parents.get((typ, name), "").startswith("imagepipe:"), f"{typ} {name}"


@pytest.mark.parametrize("runtime", ["python3.12", "python3.13"])
def test_snap_start_is_taken_with_a_python_312_or_later_runtime(runtime):
    config = StackConfig(name_prefix="imagepipe-dev", lambda_runtime=runtime, lambda_snap_start=True)
    assert config.lambda_snap_start


def test_snap_start_with_python_311_is_refused_naming_both_settings():
    with pytest.raises(ConfigError) as refused:
        StackConfig(name_prefix="imagepipe-dev", lambda_snap_start=True)  # python3.11, the default
    message = str(refused.value)
    assert message.startswith("imagepipe:lambdaSnapStart: ")
    assert "imagepipe:lambdaRuntime python3.12 or python3.13" in message and "'python3.11'" in message


def test_snap_start_is_off_by_default():
    assert StackConfig(name_prefix="imagepipe-dev").lambda_snap_start is False


def test_the_replay_deployer_refuses_snap_start_saying_the_emulator_runs_python_311_only():
    inputs = Inputs(
        {
            "name": "imagepipe-local-ingest",
            "runtime": "python3.12",
            "publish": True,
            "snapStart": {"applyOn": "PublishedVersions"},
        },
        f"{FUNCTION} 'ingest'",
    )
    with pytest.raises(DeployError) as refused:
        Function().read("ingest", inputs, None)  # refused while reading: before any call
    message = str(refused.value)
    assert message.startswith(f"{FUNCTION} 'ingest': SnapStart (imagepipe:lambdaSnapStart)")
    assert "python3.11 only" in message and "turn imagepipe:lambdaSnapStart off" in message
