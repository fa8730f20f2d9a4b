"""The plux plugin LocalStack finds through the `localstack.lambda.runtime_executor` entry point."""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin

from . import EXECUTOR_NAME


class HostRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = EXECUTOR_NAME

    def load(self, *args, **kwargs):
        from .executor import HostRuntimeExecutor

        return HostRuntimeExecutor
