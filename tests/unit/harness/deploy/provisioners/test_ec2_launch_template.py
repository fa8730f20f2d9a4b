"""Launch templates, provisioned into moto's EC2 and read back: the image resolved through SSM, IMDSv2,
the encrypted volume, the user data; a change is a new default version; a missing parameter refused."""

from __future__ import annotations

import base64

import pytest

from harness.deploy.inputs import DeployError
from harness.deploy.provisioners import ec2_launch_template

TEMPLATE = ec2_launch_template.LaunchTemplate.type_token
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def template_inputs(name: str, security_group: str, script: str = "#!/bin/bash\necho one\n", **changes) -> dict:
    return {
        "name": name,
        "imageId": f"resolve:ssm:{AL2023}",
        "instanceType": "t3.micro",
        "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1.0},
        "networkInterfaces": [
            {"associatePublicIpAddress": "false", "deleteOnTermination": "true", "securityGroups": [security_group]}
        ],
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "ebs": {"encrypted": "true", "volumeType": "gp3", "volumeSize": 8.0, "deleteOnTermination": "true"},
            }
        ],
        "userData": base64.b64encode(script.encode()).decode(),
        "updateDefaultVersion": True,
        **changes,
    }


def _version(moto, template_id: str, version: str) -> dict:
    (found,) = moto.client("ec2").describe_launch_template_versions(LaunchTemplateId=template_id, Versions=[version])[
        "LaunchTemplateVersions"
    ]
    return found


def test_a_template_resolves_its_image_and_keeps_what_the_instances_need(moto, provisioned, unique, network):
    template = provisioned.apply(TEMPLATE, "web", template_inputs(unique("lt"), network.security_group))
    ami = moto.client("ssm").get_parameter(Name=AL2023)["Parameter"]["Value"]
    assert template.outputs["resolvedImageId"] == ami and template.outputs["latestVersion"] == 1
    data = _version(moto, template.id, "1")["LaunchTemplateData"]
    assert data["ImageId"] == ami and data["MetadataOptions"]["HttpTokens"] == "required"
    (interface,) = data["NetworkInterfaces"]
    assert interface["AssociatePublicIpAddress"] is False and interface["Groups"] == [network.security_group]
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert base64.b64decode(data["UserData"]).decode() == "#!/bin/bash\necho one\n"


def test_a_change_is_a_new_default_version(moto, provisioned, unique, network):
    name = unique("lt")
    first = provisioned.apply(TEMPLATE, "web", template_inputs(name, network.security_group))
    second = provisioned.apply(
        TEMPLATE, "web", template_inputs(name, network.security_group, "#!/bin/bash\necho two\n")
    )
    assert second.id == first.id and (second.outputs["latestVersion"], second.outputs["defaultVersion"]) == (2, 2)
    assert base64.b64decode(_version(moto, first.id, "$Default")["LaunchTemplateData"]["UserData"]) == (
        b"#!/bin/bash\necho two\n"
    )


def test_an_image_parameter_that_does_not_exist_is_refused_naming_it(provisioned, unique, network):
    missing = template_inputs(unique("lt"), network.security_group, imageId="resolve:ssm:/imagepipe/no-such-image")
    with pytest.raises(DeployError, match="no SSM parameter /imagepipe/no-such-image"):
        provisioned.apply(TEMPLATE, "web", missing)
