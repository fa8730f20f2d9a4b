"""The plux plugin LocalStack finds through the `localstack.lambda.runtime_executor` entry point."""

from typing import TYPE_CHECKING, Any

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin

from . import EXECUTOR_NAME

if TYPE_CHECKING:
    from .executor import HostRuntimeExecutor


class HostRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = EXECUTOR_NAME

    def load(self, *args: Any, **kwargs: Any) -> "type[HostRuntimeExecutor]":
        from .executor import HostRuntimeExecutor

        return HostRuntimeExecutor
