"""The process a Lambda function's code runs in (one per execution environment, restarted by the
supervisor after a timeout, a crash or an init error). Standard library only besides the function's
own code: it runs with the Lambda runtime's Python.

    python -P -u worker.py <request fd> <result fd> <marker nonce>

Init phase: imports the handler named by `_HANDLER` ("module.function", "dir/module.function")
with the code folder first on sys.path, as AWS's Python runtime does. Then it reads invocations as
JSON lines from the request pipe and answers each with one JSON line on the result pipe, strictly
one at a time. Its stdout and stderr (one pipe, owned by the supervisor) carry the function's output;
after each phase it writes an end marker to that stream so the supervisor can cut the output per
invocation without losing or mixing lines.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import sys
import time
import traceback

# typing.TYPE_CHECKING without importing typing when the worker starts: the names below are for the
# type checker only (annotations are not evaluated at run time).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import Any

    Handler = Callable[[Any, "LambdaContext"], Any]

HARNESS_ENV_PREFIXES = ("IMAGEPIPE_RUNTIME_",)
MARKER_START = b"\x1e"


def _strip_harness_environment() -> None:
    """The function sees its own environment only, never variables meant for the runtime."""
    for key in [k for k in os.environ if k.startswith(HARNESS_ENV_PREFIXES)]:
        del os.environ[key]


def _fix_sys_path() -> None:
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here and p != task_root]
    sys.path.insert(0, task_root)


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self) -> None:
        self.cognito_identity_id = None
        self.cognito_identity_pool_id = None


class LambdaContext:
    """What AWS's Python runtime passes as `context` (awslambdaric's LambdaContext: the function's
    settings come from the environment, so memory_limit_in_mb is a string there too)."""

    def __init__(
        self, request_id: str, invoked_function_arn: str, deadline_ms: int, client_context: object | None = None
    ) -> None:
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = client_context
        self.identity = CognitoIdentity()
        self.tenant_id = None
        self._epoch_deadline_time_in_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg: object) -> None:
        sys.stdout.write(str(msg))
        sys.stdout.flush()

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn}])"
        )


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _RequestIdFilter.request_id
        return True


def _setup_logging() -> None:
    """The root logger AWS's Python runtime sets up: `[LEVEL]\\t<time>Z\\t<request id>\\t<message>`."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel((os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "WARNING").upper())


class InitFault(Exception):
    def __init__(self, error_type: str, message: str, stack: list[str] | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


def _error(
    error_type: str, message: str, stack: list[str] | None = None, request_id: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"errorMessage": message, "errorType": error_type}
    if request_id:
        error["requestId"] = request_id
    error["stackTrace"] = stack or []
    return error


def _user_stack(tb: TracebackType | None) -> list[str]:
    """The traceback's frames in the function's code (ours and importlib's left out)."""
    frames = [
        frame for frame in traceback.extract_tb(tb) if frame.filename != __file__ and "importlib" not in frame.filename
    ]
    return traceback.format_list(frames)


def load_handler(handler: str) -> Handler:
    """Import the handler as awslambdaric does; InitFault with AWS's error types on failure."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as error:
        raise InitFault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}") from None
    if not modname or not fname:
        raise InitFault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': not enough values to unpack")
    if modname.split(".")[0] in sys.builtin_module_names:
        raise InitFault("Runtime.BuiltInModuleConflict", f"Cannot use built-in module {modname} as a handler module")
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as error:
        raise InitFault("Runtime.ImportModuleError", f"Unable to import module '{modname}': {error}") from None
    except SyntaxError as error:
        stack = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}\n']
        raise InitFault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {error}", stack) from None
    except Exception as error:  # an exception raised while the module initialises
        raise InitFault(type(error).__name__, str(error), _user_stack(error.__traceback__)) from None
    try:
        function: Handler = getattr(module, fname)
    except AttributeError:
        raise InitFault("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'") from None
    return function


class Worker:
    def __init__(self, request_fd: int, result_fd: int, nonce: str):
        self.requests = os.fdopen(request_fd, "rb")  # buffered: readline must not read byte by byte
        self.results = os.fdopen(result_fd, "wb", buffering=0)
        self.nonce = nonce.encode()

    def marker(self, kind: str, ident: str = "") -> None:
        """Flush the function's output, then cut the stream: everything before belongs to `kind`."""
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            with contextlib.suppress(Exception):
                if stream is not None:  # sys.__stdout__ and sys.__stderr__ can be None
                    stream.flush()
        os.write(1, MARKER_START + self.nonce + b":" + kind.encode() + b":" + ident.encode() + MARKER_START + b"\n")

    def send(self, message: dict[str, Any]) -> None:
        self.results.write(json.dumps(message).encode() + b"\n")

    def run(self) -> None:
        started = time.perf_counter()
        handler_name = os.environ.get("_HANDLER", "")
        try:
            handler = load_handler(handler_name)
            init_error = None
        except InitFault as fault:
            handler = None
            init_error = _error(fault.error_type, fault.message, fault.stack)
            print(f"[ERROR] {fault.error_type}: {fault.message}", flush=True)
        init_ms = (time.perf_counter() - started) * 1000
        self.marker("init")
        self.send({"type": "init", "ok": init_error is None, "error": init_error, "init_ms": init_ms})
        if handler is None:
            return  # the supervisor answers with the init error and starts a fresh worker later

        for line in self.requests:
            if not line.strip():
                continue
            request = json.loads(line)
            self.send(self.invoke(handler, request))

    def invoke(self, handler: Handler, request: dict[str, Any]) -> dict[str, Any]:
        request_id = request["invoke-id"]
        _RequestIdFilter.request_id = request_id
        if request.get("trace-id"):
            os.environ["_X_AMZN_TRACE_ID"] = request["trace-id"]
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        context = LambdaContext(request_id, request.get("invoked-function-arn", ""), int(request["deadline-ms"]))
        # This invocation's own variables (the supervisor's injected fault: faults.py), for its length only.
        extra = request.get("invocation-environment") or {}
        os.environ.update(extra)
        try:
            return self._run(handler, request, context)
        finally:
            for name in extra:
                os.environ.pop(name, None)

    def _run(self, handler: Handler, request: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        request_id = context.aws_request_id
        result: dict[str, Any]
        try:
            raw = request.get("payload") or "{}"
            try:
                event = json.loads(raw)
            except ValueError as error:
                result = {
                    "ok": False,
                    "error": _error(
                        "Runtime.UnmarshalError", f"Unable to unmarshal input: {error}", request_id=request_id
                    ),
                }
            else:
                value = handler(event, context)
                try:
                    body = json.dumps(value)
                except (TypeError, ValueError) as error:
                    result = {
                        "ok": False,
                        "error": _error(
                            "Runtime.MarshalError", f"Unable to marshal response: {error}", request_id=request_id
                        ),
                    }
                else:
                    result = {"ok": True, "body": body}
        except Exception as error:  # the function's own failure: AWS's error shape
            stack = _user_stack(error.__traceback__)
            result = {"ok": False, "error": _error(type(error).__name__, str(error), stack, request_id)}
        if not result["ok"]:
            failure = result["error"]
            text = f"[ERROR] {failure['errorType']}: {failure['errorMessage']}"
            if failure.get("stackTrace"):
                text += "\nTraceback (most recent call last):\n" + "".join(failure["stackTrace"]).rstrip("\n")
            print(text, flush=True)
        self.marker("end", request_id)
        result.update({"type": "result", "id": request_id})
        return result


def main(argv: list[str]) -> None:
    request_fd, result_fd, nonce = int(argv[1]), int(argv[2]), argv[3]
    _strip_harness_environment()
    _fix_sys_path()
    _setup_logging()
    Worker(request_fd, result_fd, nonce).run()


if __name__ == "__main__":
    main(sys.argv)
