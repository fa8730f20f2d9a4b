"""The replay deployer: runs the Pulumi program against an AWS-compatible endpoint without the
Pulumi CLI, provisioning every declared resource with boto3 (docs/emulator.md, "The emulator and
the replay deployer")."""

from harness.deploy.destroy import destroy_stack
from harness.deploy.inputs import DeployError, UnsupportedInput
from harness.deploy.program import DeployResult, Project, run_program

__all__ = ["DeployError", "DeployResult", "Project", "UnsupportedInput", "destroy_stack", "run_program"]
