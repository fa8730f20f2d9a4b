"""The Lambda runtime supervisor on its own: started as a subprocess against a fake LocalStack
runtime endpoint (conftest.py), with handler code written to tmp_path."""

from __future__ import annotations

import json
import re
import textwrap

from harness.polling import wait_until

APP = textwrap.dedent(
    """
    import json, logging, os, sys, time

    print("init line", flush=True)

    def handler(event, context):
        action = event.get("action")
        if action == "echo":
            return {"event": event, "pid": os.getpid()}
        if action == "raise":
            raise ValueError("boom: " + event.get("why", ""))
        if action == "sleep":
            time.sleep(event["seconds"])
            return {"slept": event["seconds"]}
        if action == "allocate":
            hog = b"x" * (event["mb"] * 1024 * 1024)
            time.sleep(0.5)
            return len(hog)
        if action == "talk":
            for i in range(event["n"]):
                print(f"{event['tag']} out {i}")
                print(f"{event['tag']} err {i}", file=sys.stderr)
            logging.getLogger().warning("%s warned", event["tag"])
            print(json.dumps({"level": "INFO", "message": event["tag"] + " structured"}))
            sys.stdout.write(event["tag"] + " no newline")
            return "talked"
        if action == "env":
            return dict(os.environ)
        if action == "context":
            return {
                "aws_request_id": context.aws_request_id,
                "function_name": context.function_name,
                "function_version": context.function_version,
                "invoked_function_arn": context.invoked_function_arn,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
                "remaining": context.get_remaining_time_in_millis(),
                "cwd": os.getcwd(),
                "sys_path0": sys.path[0],
            }
        if action == "unserializable":
            return {"when": object()}
        if action == "exit":
            os._exit(3)
        return None
    """
)


def test_ready_then_response(start_supervisor):
    supervisor = start_supervisor({"app.py": APP})
    result = supervisor.invoke({"action": "echo", "x": [1, "ü"]})
    assert result.kind == "response"
    assert result.body["event"] == {"action": "echo", "x": [1, "ü"]}
    # warm: the same worker answers again
    again = supervisor.invoke({"action": "echo"})
    assert again.body["pid"] == result.body["pid"]


def test_handler_exception_has_aws_error_shape(start_supervisor):
    supervisor = start_supervisor({"app.py": APP})
    result = supervisor.invoke({"action": "raise", "why": "bad input"})
    assert result.kind == "error"
    assert result.body["errorType"] == "ValueError"
    assert result.body["errorMessage"] == "boom: bad input"
    assert result.body["requestId"] == result.request_id
    stack = result.body["stackTrace"]
    assert isinstance(stack, list) and stack
    assert all(isinstance(frame, str) for frame in stack)
    assert "app.py" in stack[-1] and "in handler" in stack[-1]
    assert "worker.py" not in "".join(stack)
    assert "[ERROR] ValueError: boom: bad input" in result.logs
    # the worker survives a handled exception
    assert supervisor.invoke({"action": "echo"}).kind == "response"


def test_timeout_kills_the_worker_and_the_next_invoke_gets_a_fresh_one(start_supervisor):
    supervisor = start_supervisor({"app.py": APP}, timeout=1)
    first = supervisor.invoke({"action": "echo"})
    result = supervisor.invoke({"action": "sleep", "seconds": 30})
    assert result.kind == "error"
    assert result.elapsed < 30  # ended by the timeout, not by the end of the sleep
    assert result.body["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {result.request_id} Task timed out after 1\.00 seconds",
        result.body["errorMessage"],
    )
    assert "Task timed out after 1.00 seconds" in result.logs
    assert "Status: timeout" in result.logs
    after = supervisor.invoke({"action": "echo"})
    assert after.kind == "response"
    assert after.body["pid"] != first.body["pid"]
    assert "init line" in after.logs  # the fresh worker's init output comes with its first invoke


def test_memory_limit_kills_the_worker(start_supervisor):
    supervisor = start_supervisor({"app.py": APP}, memory=128)
    result = supervisor.invoke({"action": "allocate", "mb": 300})
    assert result.kind == "error"
    assert result.body["errorType"] == "Runtime.ExitError"
    assert result.body["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert re.search(r"Max Memory Used: (1[2-9]\d|[2-9]\d\d) MB", result.logs)
    assert supervisor.invoke({"action": "allocate", "mb": 20}).body == 20 * 1024 * 1024


def test_a_crashing_worker_is_an_exit_error(start_supervisor):
    supervisor = start_supervisor({"app.py": APP})
    result = supervisor.invoke({"action": "exit"})
    assert result.kind == "error"
    assert result.body["errorType"] == "Runtime.ExitError"
    assert result.body["errorMessage"].endswith("Runtime exited with error: exit status 3")
    assert supervisor.invoke({"action": "echo"}).kind == "response"


def test_logs_are_posted_before_the_result_in_order_and_per_invocation(start_supervisor):
    supervisor = start_supervisor({"app.py": APP})
    first = supervisor.invoke({"action": "talk", "tag": "one", "n": 50})
    second = supervisor.invoke({"action": "talk", "tag": "two", "n": 3})
    for result, tag, n in ((first, "one", 50), (second, "two", 3)):
        assert result.kind == "response" and result.body == "talked"
        assert result.logs_posted_first
        lines = result.logs.splitlines()
        assert lines[0 if tag == "two" else 1].startswith(f"START RequestId: {result.request_id}")
        assert lines[-2] == f"END RequestId: {result.request_id}"
        assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}\tDuration: ")
        assert "Max Memory Used: " in lines[-1]
        body = [line for line in lines if line.startswith(tag)]
        expected = [f"{tag} {stream} {i}" for i in range(n) for stream in ("out", "err")]
        assert body[: 2 * n] == expected
        assert f'{{"level": "INFO", "message": "{tag} structured"}}' in lines
        assert f"{tag} no newline" in lines
        warned = [line for line in lines if line.startswith("[WARNING]")]
        assert len(warned) == 1 and warned[0].endswith(f"\t{result.request_id}\t{tag} warned")
    assert "two" not in first.logs and "one" not in second.logs
    assert first.logs.splitlines()[0] == "init line"  # init output precedes the first START
    assert "Init Duration: " in first.logs and "Init Duration: " not in second.logs

    text = wait_until(lambda: supervisor.log_file.exists() and supervisor.log_file.read_text(), what="the log")
    assert text.count("START RequestId: ") == 2 and text.count("REPORT RequestId: ") == 2
    assert text.index("one out 49") < text.index(f"END RequestId: {first.request_id}")
    assert text.index(f"END RequestId: {first.request_id}") < text.index("two out 0")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z init line\n", text)


def test_environment_is_the_functions_own(start_supervisor, monkeypatch):
    monkeypatch.setenv("IMAGEPIPE_HOME", "/somewhere/else")  # the harness's own variables
    monkeypatch.setenv("GATEWAY_LISTEN", "127.0.0.1:4566")  # LocalStack's
    supervisor = start_supervisor(
        {"app.py": APP},
        environment={"TABLE_NAME": "images", "LANG": "en_US.UTF-8", "LAMBDA_TASK_ROOT": "/not/allowed"},
        extra_env={"IMAGEPIPE_RUNTIME_SECRET": "for the supervisor only"},
    )
    env = supervisor.invoke({"action": "env"}).body
    assert env["TABLE_NAME"] == "images"
    assert env["LANG"] == "en_US.UTF-8"  # unreserved: the function's value wins
    assert env["LAMBDA_TASK_ROOT"] == str(supervisor.code_dir)  # reserved: the real code folder
    assert env["PYTHONPATH"] == str(supervisor.code_dir)
    assert env["TMPDIR"] == str(supervisor.tmp_dir) == env["HOME"]
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "3"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-5759e988")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    leaked = sorted(k for k in env if k.startswith("IMAGEPIPE") or k in ("GATEWAY_LISTEN", "VIRTUAL_ENV"))
    assert leaked == []


def test_context_object(start_supervisor):
    supervisor = start_supervisor({"app.py": APP}, timeout=7, memory=256)
    result = supervisor.invoke({"action": "context"})
    context = result.body
    assert context["aws_request_id"] == result.request_id
    assert context["function_name"] == "fn"
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == "arn:aws:lambda:us-east-1:000000000000:function:fn"
    assert context["memory_limit_in_mb"] == "256"
    assert context["log_group_name"] == "/aws/lambda/fn"
    assert context["log_stream_name"].endswith(supervisor.runtime_id)
    assert 5000 < context["remaining"] <= 7000
    assert context["cwd"] == str(supervisor.code_dir)
    assert context["sys_path0"] == str(supervisor.code_dir)


def test_unserializable_result_is_a_marshal_error(start_supervisor):
    supervisor = start_supervisor({"app.py": APP})
    result = supervisor.invoke({"action": "unserializable"})
    assert result.body["errorType"] == "Runtime.MarshalError"
    assert result.body["errorMessage"].startswith("Unable to marshal response: Object of type object")


def test_import_error(start_supervisor):
    supervisor = start_supervisor({"app.py": "import not_a_module_here\n"})
    result = supervisor.invoke({})
    assert result.kind == "error"
    assert result.body["errorType"] == "Runtime.ImportModuleError"
    assert result.body["errorMessage"] == "Unable to import module 'app': No module named 'not_a_module_here'"
    assert result.logs_posted_first and "Runtime.ImportModuleError" in result.logs
    # the init is tried again at the next invocation, as AWS does
    assert supervisor.invoke({}).body["errorType"] == "Runtime.ImportModuleError"


def test_missing_handler_function_and_failing_init(start_supervisor):
    missing = start_supervisor({"app.py": "x = 1\n"}, handler="app.handler")
    body = missing.invoke({}).body
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "Handler 'handler' missing on module 'app'"

    failing = start_supervisor(
        {"pkg/__init__.py": "", "pkg/app.py": "raise KeyError('CONFIG')\n"}, handler="pkg/app.handler"
    )
    body = failing.invoke({}).body
    assert body["errorType"] == "KeyError"
    assert body["errorMessage"] == "'CONFIG'"
    assert any("pkg/app.py" in frame for frame in body["stackTrace"])


POWERTOOLS_APP = textwrap.dedent(
    """
    from aws_lambda_powertools import Logger

    logger = Logger(service="imagepipe-test")

    @logger.inject_lambda_context
    def handler(event, context):
        logger.info("processing", extra={"image": event["image"]})
        return "done"
    """
)


def test_powertools_logger_json_reaches_the_logs(start_supervisor):
    supervisor = start_supervisor({"app.py": POWERTOOLS_APP})
    result = supervisor.invoke({"image": "uploads/a/b.jpg"})
    assert result.kind == "response" and result.body == "done"
    records = [json.loads(line) for line in result.logs.splitlines() if line.startswith("{")]
    assert len(records) == 1
    assert "[INFO]" not in result.logs  # not repeated by the runtime's root handler (as in AWS)
    record = records[0]
    assert record["message"] == "processing" and record["image"] == "uploads/a/b.jpg"
    assert record["level"] == "INFO" and record["service"] == "imagepipe-test"
    assert record["function_request_id"] == result.request_id
    # a string, as AWS's runtime gives it (awslambdaric reads it from the environment)
    assert record["function_name"] == "fn" and record["function_memory_size"] == "128"


def test_large_payloads_travel_whole(start_supervisor):
    supervisor = start_supervisor({"app.py": APP})
    blob = "x" * (5 * 1024 * 1024)
    result = supervisor.invoke({"action": "echo", "blob": blob})
    assert result.kind == "response" and result.body["event"]["blob"] == blob
