"""Fleet (the instances tier's): the web app on EC2 instances in the private subnets, an auto-scaling
group of them registered in the balancer's target group.

Each instance boots from a launch template: Amazon Linux 2023 (its public SSM parameter, resolved at
launch), IMDSv2 required, no SSH key, an encrypted root volume, no public address, and the user data
of components/instance_boot.py, which fetches the app's bundle from the images bucket (under a key
only the instances' role may read) and runs it under gunicorn. The role has exactly the web
function's grants, the bundle's read, and Session Manager's managed policy (shell access without
SSH). The group replaces an instance its target group finds unhealthy after the grace period,
tracks requests per target, and refreshes its instances (rolling, half kept healthy) whenever the
template changes: a new bundle is a new key, so a new user data and template version.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement, policy_document, service_assume_role_policy
from components.instance_boot import APP_PORT
from components.network import ANYWHERE

SESSION_MANAGER_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "arm64"}
GROUP_METRICS = ("GroupDesiredCapacity", "GroupInServiceInstances")


@dataclass(frozen=True)
class FleetArgs:
    name_prefix: str
    account_wide_prefix: str  # IAM names are the account's, in every region
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]  # the private subnets
    balancer_security_group_id: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    request_count_label: pulumi.Input[str]  # <balancer arn suffix>/<target group arn suffix>
    user_data: pulumi.Input[str]  # the boot script, as text
    statements: Sequence[Statement]  # the web function's grants, and the bundle's read
    instance_type: str = "t3.micro"
    architecture: str = "x86_64"
    fleet_min: int = 1
    fleet_desired: int = 2
    fleet_max: int = 4
    grace_period: int = 300
    requests_per_target: int = 1000
    app_port: int = APP_PORT


class Fleet(pulumi.ComponentResource):
    security_group: aws.ec2.SecurityGroup
    role: aws.iam.Role
    launch_template: aws.ec2.LaunchTemplate
    group: aws.autoscaling.Group

    def __init__(self, name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("imagepipe:fleet:Fleet", name, None, opts)
        self.child = pulumi.ResourceOptions(parent=self)
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-instances",
            vpc_id=args.vpc_id,
            description="The app's port from the balancer only; HTTPS out (endpoints, or NAT)",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=args.app_port,
                    to_port=args.app_port,
                    security_groups=[args.balancer_security_group_id],
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(protocol="tcp", from_port=443, to_port=443, cidr_blocks=[ANYWHERE])
            ],
            tags={"Name": f"{args.name_prefix}-instances"},
            opts=self.child,
        )
        profile = self._instance_profile(name, args)
        self.launch_template = self._launch_template(name, args, profile)
        self.group = self._group(name, args)
        self.register_outputs({"group_name": self.group.name, "role_arn": self.role.arn})

    def _instance_profile(self, name: str, args: FleetArgs) -> aws.iam.InstanceProfile:
        """The instances' role: the web function's grants, the bundle, Session Manager."""
        role_name = f"{args.account_wide_prefix}-web-instances"
        self.role = aws.iam.Role(
            f"{name}-role",
            name=role_name,
            assume_role_policy=service_assume_role_policy("ec2.amazonaws.com"),
            opts=self.child,
        )
        aws.iam.RolePolicy(
            f"{name}-grants", role=self.role.id, policy=policy_document(list(args.statements)), opts=self.child
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-session-manager", role=self.role.name, policy_arn=SESSION_MANAGER_POLICY, opts=self.child
        )
        return aws.iam.InstanceProfile(f"{name}-profile", name=role_name, role=self.role.name, opts=self.child)

    def _launch_template(self, name: str, args: FleetArgs, profile: aws.iam.InstanceProfile) -> aws.ec2.LaunchTemplate:
        """How an instance is launched: the image, IMDSv2, the encrypted volume, no public address."""
        return aws.ec2.LaunchTemplate(
            f"{name}-template",
            name=f"{args.name_prefix}-web",
            image_id=f"resolve:ssm:{AL2023_PARAMETER.format(arch=ARCHITECTURES[args.architecture])}",
            instance_type=args.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    associate_public_ip_address="false",
                    security_groups=[self.security_group.id],
                    delete_on_termination="true",
                )
            ],
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted="true", volume_type="gp3", volume_size=8, delete_on_termination="true"
                    ),
                )
            ],
            user_data=pulumi.Output.from_input(args.user_data).apply(
                lambda text: base64.b64encode(text.encode()).decode()
            ),
            update_default_version=True,
            opts=self.child,
        )

    def _group(self, name: str, args: FleetArgs) -> aws.autoscaling.Group:
        """The group over the private subnets, in the target group, replacing and refreshing."""
        group = aws.autoscaling.Group(
            f"{name}-group",
            name=f"{args.name_prefix}-web",
            min_size=args.fleet_min,
            desired_capacity=args.fleet_desired,
            max_size=args.fleet_max,
            vpc_zone_identifiers=list(args.subnet_ids),
            target_group_arns=[args.target_group_arn],
            health_check_type="ELB",
            health_check_grace_period=args.grace_period,
            # The group's own metrics, which the alarm on instances in service below desired reads.
            enabled_metrics=[aws.autoscaling.Metric(metric) for metric in GROUP_METRICS],
            metrics_granularity="1Minute",
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=self.launch_template.id, version=self.launch_template.latest_version.apply(str)
            ),
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(min_healthy_percentage=50),
            ),
            tags=[aws.autoscaling.GroupTagArgs(key="Name", value=f"{args.name_prefix}-web", propagate_at_launch=True)],
            opts=self.child,
        )
        aws.autoscaling.Policy(
            f"{name}-requests",
            autoscaling_group_name=group.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ALBRequestCountPerTarget", resource_label=args.request_count_label
                ),
                target_value=args.requests_per_target,
            ),
            opts=self.child,
        )
        return group
