"""imagepipe's host-process Lambda runtime executor for LocalStack (installed into LocalStack's
virtualenv by harness/emulator/install.py; selected with LAMBDA_RUNTIME_EXECUTOR=imagepipe-host)."""

EXECUTOR_NAME = "imagepipe-host"
