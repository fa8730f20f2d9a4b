"""The api benchmark's plumbing against the deployed stack (small lists; no timing asserted): every
figure comes out, and the callers, their records and the table copy are gone afterwards, also when
a step fails."""

from __future__ import annotations

import json
import secrets
import socket

import pytest

from handlers.contract import ImagesTable
from handlers.stores.user_store import UserStore
from harness.bench import BenchError
from harness.bench.api import INSTANCES_STACK, Names, run_api
from harness.bench.report import render_instances
from tests.stack_fixtures import harness_process

SIZES = (50, 80)  # page 2 of 50 is full at 24 a page


def leftovers(stack, names: Names) -> list[str]:
    """What a run named `names` left behind: its users, its records in the stack's table, its copy."""
    dynamodb = stack.target.client("dynamodb")
    users = UserStore(stack.outputs["users_table"], dynamodb)
    found = [f"user {names.user(size)}" for size in SIZES if users.get(names.user(size)) is not None]
    for size in SIZES:
        records = dynamodb.query(
            TableName=stack.table,
            IndexName=ImagesTable.OWNER_INDEX,
            KeyConditionExpression="#o = :o",
            ExpressionAttributeNames={"#o": ImagesTable.OWNER},
            ExpressionAttributeValues={":o": {"S": names.user(size)}},
            Select="COUNT",
        )["Count"]
        found += [f"{records} records of {names.user(size)}"] if records else []
    tables = dynamodb.list_tables()["TableNames"]
    return found + [f"table {names.table}"] * (names.table in tables)


def test_the_api_section_reports_every_figure_and_leaves_nothing(stack):
    names = Names(f"e2e{secrets.token_hex(3)}")
    figures = run_api(
        stack.outputs, progress=lambda _: None, sizes=SIZES, page=2, rounds=3, warmup=1, token=names.token
    )
    cases = {(row["route"], row["records"], row["page"]) for row in figures["cases"]}
    assert cases == {("edge", 50, 1), ("edge", 50, 2), ("app", 50, 1), ("app", 50, 2), ("app", 80, 1), ("app", 80, 2)}
    for row in figures["cases"]:
        assert row["requests"] == 3 and 0 < row["p50_ms"] <= row["p95_ms"] and row["mean_ms"] > 0
    assert set(figures["ratios"]) == {"page 1", "page 2"} and all(r > 0 for r in figures["ratios"].values())
    assert figures["seed_records"] == sum(SIZES) and figures["page_size"] == 24
    assert leftovers(stack, names) == []


def test_a_run_that_fails_midway_still_removes_what_it_made(stack):
    with socket.socket() as closed:  # a port nothing listens on, as the CDN's
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    names = Names(f"e2e{secrets.token_hex(3)}")
    outputs = {**stack.outputs, "cdn_url": nowhere}
    with pytest.raises(BenchError, match=f"nothing answers at {nowhere}"):
        run_api(outputs, progress=lambda _: None, sizes=SIZES, page=2, rounds=1, warmup=0, token=names.token)
    assert leftovers(stack, names) == []


def test_the_instances_tier_is_measured_beside_with_its_throughput_and_boots(stack):
    harness_process("up", "--endpoint", stack.emulator.endpoint_url, "--stack", INSTANCES_STACK)
    instances = json.loads(harness_process("outputs", "--stack", INSTANCES_STACK))
    names = Names(f"e2e{secrets.token_hex(3)}")
    figures = run_api(
        stack.outputs,
        progress=lambda _: None,
        sizes=SIZES,
        page=2,
        rounds=2,
        warmup=1,
        token=names.token,
        instances=instances,
    )
    cases = {(row["route"], row["records"], row["page"]) for row in figures["cases"]}
    assert {("instances", 50, 1), ("instances", 50, 2)} <= cases
    load = figures["instances"]["throughput"]
    assert load["requests"] > 0 and load["per_second"] > 0
    boots = figures["instances"]["boots"]
    assert len(boots) == 2 and all(b["boot_s"] > 0 and b["healthy_after_s"] is not None for b in boots)
    assert "one instance (gunicorn, 2 workers)" in "\n".join(render_instances(figures["instances"]))
    assert leftovers(stack, names) == []
