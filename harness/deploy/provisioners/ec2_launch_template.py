"""EC2 launch templates: how the instances tier's instances are launched. An image given as
`resolve:ssm:<parameter>` (Amazon Linux 2023's public parameter) is resolved through the emulator's
SSM, as EC2 resolves it at launch, and refused naming the parameter when there is none. A change
makes a new version, the default when the template says so (`updateDefaultVersion`), as the AWS
provider does; the auto-scaling group then names it, and the harness's fleet refreshes to it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from harness.deploy.inputs import DeployError, Inputs
from harness.deploy.provisioners.base import Applied, Context, Provisioner, physical_name
from harness.deploy.provisioners.cloudfront_policies import only
from harness.deployed.stack_state import ResourceRecord

SSM_IMAGE = "resolve:ssm:"


@dataclass(frozen=True)
class LaunchTemplateSpec:
    where: str
    name: str
    image: str  # an AMI id or `resolve:ssm:<parameter>`
    data: dict[str, Any]  # LaunchTemplateData, the image aside
    update_default_version: bool


class LaunchTemplate(Provisioner[LaunchTemplateSpec]):
    type_token = "aws:ec2/launchTemplate:LaunchTemplate"

    def read(self, name: str, inputs: Inputs, previous: ResourceRecord | None) -> LaunchTemplateSpec:
        template = physical_name(inputs, name, previous, max_length=128)
        data: dict[str, Any] = {"InstanceType": inputs.take("instanceType")}
        if (user_data := inputs.take("userData", None)) is not None:
            data["UserData"] = user_data
        if (profile := inputs.sub("iamInstanceProfile")) is not None:
            data["IamInstanceProfile"] = {"Arn": profile.take("arn")}
        if (metadata := inputs.sub("metadataOptions")) is not None:
            data["MetadataOptions"] = {
                "HttpEndpoint": only(metadata, "httpEndpoint", ("enabled", "disabled"), "enabled"),
                "HttpTokens": only(metadata, "httpTokens", ("required", "optional"), "optional"),
                "HttpPutResponseHopLimit": int(metadata.take("httpPutResponseHopLimit", 1)),
            }
        interfaces = [_network_interface(index, nic) for index, nic in enumerate(inputs.each("networkInterfaces"))]
        if interfaces:
            data["NetworkInterfaces"] = interfaces
        devices = [_block_device(device) for device in inputs.each("blockDeviceMappings")]
        if devices:
            data["BlockDeviceMappings"] = devices
        return LaunchTemplateSpec(
            inputs.where, template, inputs.take("imageId"), data, bool(inputs.take("updateDefaultVersion", False))
        )

    def apply(self, ctx: Context, spec: LaunchTemplateSpec, previous: ResourceRecord | None) -> Applied:
        ec2 = ctx.client("ec2")
        data = {**spec.data, "ImageId": _image(ctx, spec)}
        if previous is not None and previous.outputs["name"] != spec.name:
            self.delete(ctx, previous)
            previous = None
        if previous is None:
            created = ec2.create_launch_template(LaunchTemplateName=spec.name, LaunchTemplateData=data)
            template_id, version = created["LaunchTemplate"]["LaunchTemplateId"], 1
            default = 1
        else:
            template_id = previous.id
            made = ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData=data)
            version = int(made["LaunchTemplateVersion"]["VersionNumber"])
            default = int(previous.outputs["defaultVersion"])
            if spec.update_default_version:
                ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion=str(version))
                default = version
        return Applied(
            template_id,
            {
                "id": template_id,
                "arn": ctx.arn("ec2", f"launch-template/{template_id}"),
                "name": spec.name,
                "imageId": spec.image,
                "resolvedImageId": data["ImageId"],
                "latestVersion": version,
                "defaultVersion": default,
                "userData": spec.data.get("UserData", ""),
            },
        )

    def delete(self, ctx: Context, record: ResourceRecord) -> None:
        ec2 = ctx.client("ec2")
        with contextlib.suppress(ec2.exceptions.ClientError):  # already gone
            ec2.delete_launch_template(LaunchTemplateId=record.id)


def _image(ctx: Context, spec: LaunchTemplateSpec) -> str:
    """The AMI id: as given, or the value of the SSM parameter `resolve:ssm:` names."""
    if not spec.image.startswith(SSM_IMAGE):
        return spec.image
    parameter = spec.image.removeprefix(SSM_IMAGE)
    ssm = ctx.client("ssm")
    try:
        return str(ssm.get_parameter(Name=parameter)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        raise DeployError(f"{spec.where}: input 'imageId': no SSM parameter {parameter} to resolve") from None


def _network_interface(index: int, nic: Inputs) -> dict[str, Any]:
    """One network interface: its security groups, whether it gets a public address."""
    return {
        "DeviceIndex": index,
        "AssociatePublicIpAddress": _boolean(nic.take("associatePublicIpAddress", "false")),
        "DeleteOnTermination": _boolean(nic.take("deleteOnTermination", "true")),
        "Groups": list(nic.take("securityGroups", [])),
    }


def _block_device(device: Inputs) -> dict[str, Any]:
    """One EBS volume of the instance."""
    ebs = device.sub("ebs")
    if ebs is None:
        raise DeployError(f"{device.where}: input '{device.path}': only EBS volumes are applied")
    volume = {
        "Encrypted": _boolean(ebs.take("encrypted", "false")),
        "VolumeType": ebs.take("volumeType", "gp3"),
        "DeleteOnTermination": _boolean(ebs.take("deleteOnTermination", "true")),
    }
    if (size := ebs.take("volumeSize", None)) is not None:
        volume["VolumeSize"] = int(size)
    return {"DeviceName": device.take("deviceName"), "Ebs": volume}


def _boolean(value: str | bool) -> bool:
    """The provider's "true"/"false" strings (and booleans) as booleans."""
    return value if isinstance(value, bool) else value.lower() == "true"
