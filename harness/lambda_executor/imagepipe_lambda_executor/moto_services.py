"""ELBv2 and Auto Scaling in the emulator, for the instances tier: LocalStack community has no
provider for either, but installs moto, whose backends for both run in LocalStack's process beside
the EC2 backend that LocalStack's EC2 provider uses. Each provider here is every operation of the
service's API handed to moto as it is (LocalStack's own `call_moto`), so a load balancer's subnets
and security groups, a target group's VPC and an auto-scaling group's launch template are checked
against the same EC2 state as everything else, and the group's instances (moto's, recorded, not
run) are registered in its target groups. Selected with PROVIDER_OVERRIDE_ELBV2=imagepipe and
PROVIDER_OVERRIDE_AUTOSCALING=imagepipe (harness/emulator/process.py)."""

from __future__ import annotations

from localstack.services.plugins import Service, aws_provider

PROVIDER_NAME = "imagepipe"


def _moto_service(name: str) -> Service:
    from localstack.aws.skeleton import Skeleton
    from localstack.aws.spec import load_service
    from localstack.services.moto import _proxy_moto

    spec = load_service(name)
    return Service(name=name, skeleton=Skeleton(spec, dict.fromkeys(spec.operation_names, _proxy_moto)))


@aws_provider(api="elbv2", name=PROVIDER_NAME)
def elbv2() -> Service:
    return _moto_service("elbv2")


@aws_provider(api="autoscaling", name=PROVIDER_NAME)
def autoscaling() -> Service:
    return _moto_service("autoscaling")
