"""LocalStack start hooks (entry points `localstack.hooks.on_infra_start`), all run before
LocalStack's eager service loading (priority 100 > 0).

- S3 object storage in the emulator's own folder: LocalStack 4.9 stores S3 object bodies in the fixed
  path /tmp/localstack-s3-storage whatever TMPDIR says, shared by every instance and never cleaned
  at shutdown. IMAGEPIPE_S3_STORAGE_DIR (the harness sets <state>/tmp/<port>/s3-storage) points the
  S3 provider there before it is created.
- The gateway bound to its host (see imagepipe_bind_gateway_to_its_host).
- DynamoDB Local started early: its JVM takes seconds to boot and LocalStack waits for it while
  loading services one after the other. With IMAGEPIPE_EARLY_DYNAMODB=1 the JVM starts in the
  background now and DynamoDB is loaded last, so the boot overlaps the other services' loading.
"""

import logging
import os
import threading
from typing import Any

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)
S3_STORAGE_VAR = "IMAGEPIPE_S3_STORAGE_DIR"
EARLY_DYNAMODB_VAR = "IMAGEPIPE_EARLY_DYNAMODB"
LAST = ("dynamodb", "dynamodbstreams")


@hooks.on_infra_start(priority=100)
def imagepipe_redirect_s3_storage() -> None:
    target = os.environ.get(S3_STORAGE_VAR)
    if not target:
        return
    from localstack.services.s3 import provider

    os.makedirs(target, exist_ok=True)
    provider.DEFAULT_S3_TMP_DIR = target
    LOG.debug("S3 object storage redirected to %s", target)


@hooks.on_infra_start(priority=100)
def imagepipe_start_dynamodb_early() -> None:
    if os.environ.get(EARLY_DYNAMODB_VAR) != "1":
        return
    from localstack import config
    from localstack.utils import bootstrap

    if not config.EAGER_SERVICE_LOADING:
        return
    preloaded = bootstrap.get_preloaded_services()
    if "dynamodb" not in preloaded:
        return
    from localstack.services.dynamodb.server import DynamodbServer

    server = DynamodbServer.get()

    def boot() -> None:
        try:
            server.start_dynamodb()
        except Exception as error:  # the provider starts it again (and reports) when it loads
            LOG.warning("Early start of DynamoDB Local failed: %s", error)

    threading.Thread(target=boot, name="imagepipe-dynamodb-early", daemon=True).start()
    ordered = sorted(preloaded, key=lambda api: (api in LAST, LAST.index(api) if api in LAST else 0, api))
    bootstrap.get_preloaded_services = lambda: ordered
    LOG.debug("DynamoDB Local booting in the background; service load order: %s", ordered)


@hooks.on_infra_start(priority=100)
def imagepipe_bind_gateway_to_its_host() -> None:
    """LocalStack 4.9's twisted gateway ignores the host of GATEWAY_LISTEN for IPv4 and listens on
    0.0.0.0 ("TODO: interface = host?"), which would offer an unauthenticated endpoint that runs
    code (Lambda) to the whole network. With IMAGEPIPE_BIND_GATEWAY_HOST=1 it listens on the host
    given (127.0.0.1) only. Runs before the gateway server is created."""
    if os.environ.get("IMAGEPIPE_BIND_GATEWAY_HOST") != "1":
        return
    from localstack import config
    from localstack.runtime.server import twisted as twisted_server
    from twisted.internet import endpoints

    hosts = {address.port: address.host for address in config.GATEWAY_LISTEN}

    class BoundEndpoints:
        TCP6ServerEndpoint = endpoints.TCP6ServerEndpoint

        @staticmethod
        def TCP4ServerEndpoint(  # noqa: N802 - Twisted's name, replaced in place
            reactor: Any, port: int, *args: Any, **kwargs: Any
        ) -> Any:
            kwargs.setdefault("interface", hosts.get(port, ""))
            return endpoints.TCP4ServerEndpoint(reactor, port, *args, **kwargs)

    twisted_server.endpoints = BoundEndpoints


@hooks.on_infra_start(priority=100)
def imagepipe_record_role_calls() -> None:
    """With IMAGEPIPE_ROLE_CALLS set, every call made with an assumed role's credentials is
    written there for the harness's IAM check (see role_calls.py)."""
    from .role_calls import install

    install()
