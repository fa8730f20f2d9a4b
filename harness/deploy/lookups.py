"""The lookups (Pulumi invokes) the program makes, answered from the emulator as AWS answers them:
what the program asks is read, any argument the answer does not apply is refused by name, and a
lookup that finds nothing fails the deploy naming it, as `pulumi up` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners import Context

MANAGED_PREFIX_LIST = "aws:ec2/getManagedPrefixList:getManagedPrefixList"


def managed_prefix_list(ctx: Context, args: Inputs) -> dict[str, Any]:
    """An AWS-managed prefix list by name (CloudFront's origin-facing addresses, say), in the
    provider's result shape."""
    name = args.take("name")
    found = ctx.client("ec2").describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])
    lists = found["PrefixLists"]
    if len(lists) != 1:
        raise DeployError(f"{args.where}: {len(lists)} managed prefix lists are named {name!r}, not one")
    (prefix_list,) = lists
    entries = ctx.client("ec2").get_managed_prefix_list_entries(PrefixListId=prefix_list["PrefixListId"])["Entries"]
    return {
        "id": prefix_list["PrefixListId"],
        "arn": prefix_list.get("PrefixListArn", ""),
        "name": prefix_list["PrefixListName"],
        "addressFamily": prefix_list.get("AddressFamily", "IPv4"),
        "maxEntries": prefix_list.get("MaxEntries", len(entries)),
        "ownerId": prefix_list.get("OwnerId", "AWS"),
        "version": prefix_list.get("Version", 1),
        "entries": [{"cidr": entry["Cidr"], "description": entry.get("Description", "")} for entry in entries],
        "tags": {tag["Key"]: tag["Value"] for tag in prefix_list.get("Tags", [])},
        "filters": None,
    }


LOOKUPS: dict[str, Callable[[Context, Inputs], dict[str, Any]]] = {MANAGED_PREFIX_LIST: managed_prefix_list}


def look_up(ctx: Context, token: str, args: dict[str, Any]) -> dict[str, Any]:
    """The answer to the program's lookup `token` with `args`; DeployError for one not answered."""
    lookup = LOOKUPS.get(token)
    if lookup is None:
        raise DeployError(
            f"the program calls {token}, which the replay deployer does not answer (it answers {', '.join(LOOKUPS)})"
        )
    inputs = Inputs({key: value for key, value in args.items() if value is not None}, f"lookup {token}")
    answer = lookup(ctx, inputs)
    inputs.check_all_taken()
    return answer
