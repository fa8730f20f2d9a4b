"""The seam between the program and its functions: each function, given exactly the environment the
program declares for it (recorded under Pulumi's mocks), imports its handler and reads every
variable it is given. A variable renamed on one side only fails here, not in the emulator."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import pytest

from handlers import contract
from handlers.contract import Env

FUNCTION = "aws:lambda/function:Function"
# What Lambda itself sets in every function's environment besides the declared variables.
LAMBDA_RUNTIME = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "imagepipe-contract",
    "AWS_ACCESS_KEY_ID": "contract",
    "AWS_SECRET_ACCESS_KEY": "contract",
}


class ReadRecorder(dict[str, str]):
    """An environment that remembers which variables were looked up."""

    def __init__(self, variables: dict[str, str]) -> None:
        super().__init__(variables)
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self.read.add(name)
        return super().get(name, default)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.read.add(name)
        return super().__contains__(name)


def load_handler(handler: str, variables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Import the module of `handler` ("module.function") afresh in an environment of exactly
    `variables` (plus what Lambda adds); the variables it read. Its entry point must exist."""
    module_name, _, entry = handler.rpartition(".")
    environment = ReadRecorder({**LAMBDA_RUNTIME, **variables})
    before = sys.modules.pop(module_name, None)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(os, "environ", environment)
            module = importlib.import_module(module_name)
        assert callable(getattr(module, entry, None)), f"{module_name} has no entry point {entry}"
    finally:
        sys.modules.pop(module_name, None)
        if before is not None:
            sys.modules[module_name] = before
    return environment.read & set(variables)


@pytest.fixture
def functions(program: Any) -> dict[str, dict[str, Any]]:
    declared: dict[str, dict[str, Any]] = program.of_type(FUNCTION)
    assert declared, "the program declares no function"
    return declared


def test_every_function_loads_its_handler_from_the_environment_the_program_declares(functions, monkeypatch):
    for function in functions.values():
        variables = function["environment"]["variables"]
        load_handler(function["handler"], variables, monkeypatch)  # a missing or malformed setting raises


def test_every_variable_the_program_declares_is_one_its_function_reads(functions, monkeypatch):
    unread = {}
    for name, function in functions.items():
        variables = function["environment"]["variables"]
        read = load_handler(function["handler"], variables, monkeypatch)
        if set(variables) - read:
            unread[name] = sorted(set(variables) - read)
    assert unread == {}, f"the program gives these functions variables their handlers never read: {unread}"


def test_every_variable_the_program_declares_is_in_the_contract(functions):
    for name, function in functions.items():
        unknown = set(function["environment"]["variables"]) - contract.ENVIRONMENT
        assert not unknown, f"{name} is given {sorted(unknown)}, which handlers/contract.py does not name"


def test_a_function_missing_a_variable_it_needs_fails_at_import_naming_it(functions, monkeypatch):
    from handlers.runtime.settings import SettingMissing

    variables = dict(functions["ingest"]["environment"]["variables"])
    del variables[Env.ENHANCE_QUEUE_URL]
    with pytest.raises(SettingMissing, match=f"environment variable {Env.ENHANCE_QUEUE_URL} is not set"):
        load_handler(functions["ingest"]["handler"], variables, monkeypatch)


def test_the_recorder_sees_a_variable_read_under_another_name(monkeypatch):
    """The check above can fail: a handler that reads a name the program does not give leaves the
    given one unread."""
    variables = {Env.IMAGES_TABLE: "t", Env.IDEMPOTENCY_TABLE: "i", Env.NOTIFICATIONS_TOPIC_ARN: "arn", "SENDER": "x"}
    read = load_handler("handlers.stage_functions.notify.handler", variables, monkeypatch)
    assert "SENDER" not in read
    assert {Env.IMAGES_TABLE, Env.NOTIFICATIONS_TOPIC_ARN} <= read
