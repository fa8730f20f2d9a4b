"""Security groups with inline rules, provisioned into moto and read back."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.provisioners import Context, ec2_security_groups, ec2_vpc
from harness.deployed.stack_state import ResourceRecord

VPC = ec2_vpc.Vpc.type_token
GROUP = ec2_security_groups.SecurityGroup.type_token
CLOUDFRONT = "com.amazonaws.global.cloudfront.origin-facing"


@pytest.fixture
def vpc(provisioned):
    return provisioned.apply(VPC, "vpc", {"cidrBlock": "10.80.0.0/16"})


def _described(ec2, group_id: str):
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def _grants(permissions) -> set[tuple]:
    """Each (protocol, from, to, source) a group's permissions allow, one a source."""
    found = set()
    for permission in permissions:
        ports = (permission.get("FromPort"), permission.get("ToPort"))
        for field, key in (("IpRanges", "CidrIp"), ("PrefixListIds", "PrefixListId"), ("UserIdGroupPairs", "GroupId")):
            found |= {(permission["IpProtocol"], *ports, entry[key]) for entry in permission.get(field) or []}
    return found


def _cloudfront_prefix_list(ec2) -> str:
    lists = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [CLOUDFRONT]}])
    return str(lists["PrefixLists"][0]["PrefixListId"])


def _rule(port: int, **sources):
    return {"protocol": "tcp", "fromPort": port, "toPort": port, **sources}


def test_a_group_is_created_with_exactly_its_rules_and_no_default_egress(moto, provisioned, unique, vpc):
    ec2 = moto.client("ec2")
    name = unique("balancer")
    cloudfront = _cloudfront_prefix_list(ec2)
    inputs = {
        "name": name,
        "vpcId": vpc.id,
        "description": "HTTP from CloudFront only",
        "ingress": [_rule(80, prefixListIds=[cloudfront])],
        "egress": [_rule(8000, cidrBlocks=["10.80.0.0/16"], description="to the app")],
        "tags": {"Name": name},
    }
    group = provisioned.apply(GROUP, "balancer", inputs)

    described = _described(ec2, group.id)
    assert (described["GroupName"], described["VpcId"], described["Description"]) == (
        name,
        vpc.id,
        "HTTP from CloudFront only",
    )
    assert _grants(described["IpPermissions"]) == {("tcp", 80, 80, cloudfront)}
    assert _grants(described["IpPermissionsEgress"]) == {("tcp", 8000, 8000, "10.80.0.0/16")}  # no allow-all
    assert described["IpPermissionsEgress"][0]["IpRanges"][0]["Description"] == "to the app"
    assert {tag["Key"]: tag["Value"] for tag in described["Tags"]} == {"Name": name}
    assert (group.outputs["name"], group.outputs["vpcId"], group.outputs["arn"]) == (
        name,
        vpc.id,
        described["SecurityGroupArn"],
    )
    assert group.outputs["ownerId"] == described["OwnerId"]
    assert group.outputs["ingress"] == [
        {
            "protocol": "tcp",
            "fromPort": 80,
            "toPort": 80,
            "cidrBlocks": [],
            "prefixListIds": [cloudfront],
            "securityGroups": [],
        }
    ]
    assert [rule["cidrBlocks"] for rule in group.outputs["egress"]] == [["10.80.0.0/16"]]


def test_a_group_admits_another_group_and_without_declared_egress_has_none(moto, provisioned, vpc):
    ec2 = moto.client("ec2")
    balancer = provisioned.apply(
        GROUP, "balancer", {"vpcId": vpc.id, "ingress": [_rule(80, cidrBlocks=["10.0.0.0/8"])]}
    )
    instances = provisioned.apply(
        GROUP, "instances", {"vpcId": vpc.id, "ingress": [_rule(8000, securityGroups=[balancer.id])]}
    )

    assert instances.outputs["name"].startswith("instances-")
    assert _grants(_described(ec2, instances.id)["IpPermissions"]) == {("tcp", 8000, 8000, balancer.id)}
    assert _described(ec2, balancer.id)["IpPermissionsEgress"] == []  # as the AWS provider leaves it
    assert _described(ec2, balancer.id)["Description"] == "Managed by Pulumi"


def test_a_group_is_updated_in_place_to_exactly_the_declared_rules_and_tags(moto, provisioned, vpc):
    ec2 = moto.client("ec2")
    inputs = {
        "vpcId": vpc.id,
        "ingress": [_rule(443, cidrBlocks=["10.80.0.0/16", "10.81.0.0/16"])],
        "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
        "tags": {"Name": "a", "team": "photos"},
    }
    group = provisioned.apply(GROUP, "endpoints", inputs)
    assert _grants(_described(ec2, group.id)["IpPermissionsEgress"]) == {("-1", None, None, "0.0.0.0/0")}

    updated = provisioned.apply(
        GROUP,
        "endpoints",
        {
            **inputs,
            "ingress": [_rule(443, cidrBlocks=["10.80.0.0/16"]), _rule(8443, cidrBlocks=["10.82.0.0/16"])],
            "egress": [_rule(443, cidrBlocks=["0.0.0.0/0"])],
            "tags": {"Name": "b"},
        },
    )
    assert updated.id == group.id
    described = _described(ec2, group.id)
    assert _grants(described["IpPermissions"]) == {
        ("tcp", 443, 443, "10.80.0.0/16"),
        ("tcp", 8443, 8443, "10.82.0.0/16"),
    }
    assert _grants(described["IpPermissionsEgress"]) == {("tcp", 443, 443, "0.0.0.0/0")}
    assert {tag["Key"]: tag["Value"] for tag in described["Tags"]} == {"Name": "b"}

    provisioned.apply(GROUP, "endpoints", {"vpcId": vpc.id, "egress": []})
    described = _described(ec2, group.id)
    assert (described["IpPermissions"], described["IpPermissionsEgress"], described.get("Tags", [])) == ([], [], [])


def test_a_group_whose_description_changes_is_replaced(moto, provisioned, unique, vpc):
    ec2 = moto.client("ec2")
    name = unique("group")
    first = provisioned.apply(GROUP, "group", {"name": name, "vpcId": vpc.id, "description": "one"})
    second = provisioned.apply(GROUP, "group", {"name": name, "vpcId": vpc.id, "description": "two"})
    assert second.id != first.id
    assert _described(ec2, second.id)["Description"] == "two"
    with pytest.raises(ClientError, match=r"InvalidGroup\.NotFound"):
        _described(ec2, first.id)


def test_a_deleted_group_is_gone(moto, provisioned, vpc):
    group = provisioned.apply(GROUP, "group", {"vpcId": vpc.id})
    provisioned.delete(GROUP, "group")
    with pytest.raises(ClientError, match=r"InvalidGroup\.NotFound"):
        _described(moto.client("ec2"), group.id)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"namePrefix": "web-"}, "'namePrefix'"),
        ({"revokeRulesOnDelete": True}, "'revokeRulesOnDelete'"),
        ({"ingress": [_rule(22, ipv6CidrBlocks=["::/0"])]}, r"'ingress\[0\].ipv6CidrBlocks' = \['::/0'\]"),
        ({"egress": [_rule(443, cidrBlocks=["0.0.0.0/0"], self=True)]}, r"'egress\[0\].self' = True"),
    ],
)
def test_a_group_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique, vpc, extra, named):
    name = unique("strict")
    with pytest.raises(UnsupportedInput, match=rf"^aws:ec2/securityGroup:SecurityGroup 'strict': .*{named}"):
        provisioned.apply(GROUP, "strict", {"name": name, "vpcId": vpc.id, **extra})
    found = moto.client("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
    assert found["SecurityGroups"] == []


def test_a_rule_from_nowhere_is_refused(provisioned, vpc):
    with pytest.raises(DeployError, match=r"'nowhere': a rule needs 'cidrBlocks', 'prefixListIds' or 'securityGroups'"):
        provisioned.apply(GROUP, "nowhere", {"vpcId": vpc.id, "ingress": [_rule(80)]})


class _InUse:
    """An EC2 client whose groups are always in use (moto never says so: it deletes groups that
    instances, endpoints or other groups' rules use)."""

    def __init__(self) -> None:
        self.attempts = 0

    def delete_security_group(self, GroupId: str) -> None:  # noqa: N803 (boto3's name)
        self.attempts += 1
        error = {"Code": "DependencyViolation", "Message": f"resource {GroupId} has a dependent object"}
        raise ClientError({"Error": error}, "DeleteSecurityGroup")


def test_a_group_still_in_use_is_refused_clearly_after_a_wait(moto, monkeypatch):
    client = _InUse()
    ctx = Context(moto)
    monkeypatch.setattr(ctx, "client", lambda service: client)
    monkeypatch.setattr(ec2_security_groups, "IN_USE_TIMEOUT", 0.3)
    record = ResourceRecord(GROUP, "group", "sg-0123", fingerprint="", outputs={"name": "web-instances"})
    with pytest.raises(
        DeployError, match=r"^security group sg-0123 \(web-instances\) is still in use: .*DependencyViolation"
    ):
        ec2_security_groups.SecurityGroup().delete(ctx, record)
    assert client.attempts > 1  # it waited for the user to go
