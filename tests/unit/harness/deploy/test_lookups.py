"""The program's lookups answered from the emulator (here the moto server) as AWS answers them."""

from __future__ import annotations

import pytest

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.lookups import MANAGED_PREFIX_LIST, look_up

CLOUDFRONT = "com.amazonaws.global.cloudfront.origin-facing"


def test_a_managed_prefix_list_is_found_by_name_with_its_entries(moto, moto_context):
    answer = look_up(moto_context, MANAGED_PREFIX_LIST, {"name": CLOUDFRONT, "id": None})
    (listed,) = moto.client("ec2").describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [CLOUDFRONT]}]
    )["PrefixLists"]
    assert answer["id"] == listed["PrefixListId"] and answer["id"].startswith("pl-")
    assert answer["name"] == CLOUDFRONT and answer["addressFamily"] == "IPv4"
    assert {"cidr": "130.176.0.0/18", "description": "default"} in answer["entries"]


def test_a_prefix_list_that_does_not_exist_fails_naming_it(moto_context):
    with pytest.raises(DeployError, match=r"0 managed prefix lists are named 'com\.example\.nothing'"):
        look_up(moto_context, MANAGED_PREFIX_LIST, {"name": "com.example.nothing"})


def test_an_argument_the_answer_does_not_apply_is_refused(moto_context):
    with pytest.raises(UnsupportedInput, match="filters"):
        look_up(moto_context, MANAGED_PREFIX_LIST, {"name": CLOUDFRONT, "filters": [{"name": "owner-id"}]})


def test_a_lookup_the_deployer_does_not_answer_is_refused_by_its_token(moto_context):
    with pytest.raises(DeployError, match=r"aws:index/getRegion:getRegion, which the replay deployer does not answer"):
        look_up(moto_context, "aws:index/getRegion:getRegion", {})
