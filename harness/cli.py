"""`python -m harness`: bring the pipeline up in the embedded emulator, look at it, take it down.

up [--endpoint URL] [--stack local]   start (or attach to) the emulator and deploy the program
down [--stack S]                      stop the emulator `up` started and forget the deploys (with --stack,
                                      that stack only, the emulator kept while another is deployed)
outputs [--stack local]               the deployed stack's outputs as one JSON object
demo                                  up, push sample uploads through, print what became of them
bench [--json PATH] [--only SECTION]  kernel, cold start, pipeline, API, duplicates, faults burst (see harness/bench)
status [--stack S | --outputs F] [--json]
                                      whether the emulator runs, what is deployed; every stage's queue, what is
                                      parked, each alarm's state, each function's errors in the last hour
redrive STAGE [--stack S | --outputs F] [--dry-run]
                                      move what the stage's dead-letter queue holds back to its queue
instances [--stack S] [--json]        the instances tier's fleet: each instance, its health and its process
users add|list|remove|set-password|sign-out    who may sign in to the web tier (see harness/users.py)
faults set FUNCTION --error-rate R [--delay-ms D] | clear [FUNCTION] | list
                                      fail or delay a share of a local function's invocations (harness/faults.py)
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

from handlers.contract import PHOTOGRAPHER, ROLES
from harness import emulator
from harness import users as user_admin
from harness.aws import AwsTarget
from harness.bench import SECTIONS, BenchError, run_bench
from harness.demo import DemoFailed, run_demo
from harness.deploy import DeployError, Project, destroy_stack, run_program
from harness.deployed.stack_state import DEFAULT_STACK, StackState
from harness.edge import serving as edge
from harness.faults import add_faults_command, run_faults
from harness.fleet import serving as fleet
from harness.fleet.listing import instance_rows, table
from harness.ops import stack as ops_stack
from harness.ops.redrive import format_redriven, redrive
from harness.ops.status import format_status, read_status
from harness.web_demo import instances_how_to, run_web_demo

PROJECT = Project(Path(__file__).resolve().parents[1])


class HarnessError(RuntimeError):
    """Something the user can fix; printed as one message, not a traceback."""


def say(message: str) -> None:
    print(message, flush=True)


def state_path(stack: str) -> Path:
    return emulator.Paths.default().root / "stacks" / f"{stack}.json"


def target_for(stack: str, endpoint_url: str) -> AwsTarget:
    region = PROJECT.stack_config(stack).get("aws:region", "us-east-1")
    return AwsTarget(endpoint_url=endpoint_url, region=region)


def bring_up(stack: str, endpoint: str | None, port: int) -> tuple[dict[str, Any], emulator.Emulator | None]:
    """Start or attach to the emulator, deploy `stack` into it: the stack's outputs, and the
    emulator this call started (None when it used one that was running already)."""
    started = None
    running: emulator.Emulator | None
    if endpoint:
        running = emulator.attach(endpoint)
        say(f"using the emulator at {running.endpoint_url}")
    else:
        running = emulator.running(port=port)
        if running is None:
            emulator.ensure_installed(progress=say)
            say(f"starting LocalStack on port {port} …")
            running = emulator.start(port=port)
            if running.launched:  # else another process started it meanwhile: start() found it running
                started = running
            say(f"LocalStack is up at {running.endpoint_url} (pid {running.pid})")
        else:
            say(f"LocalStack already running at {running.endpoint_url} (pid {running.pid})")
    target = target_for(stack, running.endpoint_url)
    session = session_of(running.endpoint_url)
    if edge.stop_if_stale(session, stack=stack):  # it served a restarted emulator's deploy: its ports are free
        say("stopped the CDN edge of an earlier emulator session")
    say(f"deploying stack '{stack}' (replaying the Pulumi program into the emulator) …")
    result = run_program(PROJECT, stack, target, state_path(stack), session, progress=say)
    say(
        f"deployed in {result.seconds:.1f} s: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.deleted} deleted"
    )
    region = target.region
    running_fleet = fleet.serve(state_path(stack), region, progress=say)  # the instances tier, if the stack has it
    if running_fleet is not None:
        rows = instance_rows(running_fleet)
        say(f"fleet: {len(rows)} healthy instances behind {', '.join(b['url'] for b in running_fleet['balancers'])}")
    served = edge.serve(state_path(stack), progress=say)  # CloudFront's stand-in, with this deploy's config
    if served is not None:
        say(f"CDN edge serving {', '.join(served.urls)} (pid {served.pid}, log {served.log})")
    # This deploy's outputs, not the state file's: another emulator's deploy of the same stack may
    # have written that file since (the file is per stack, not per port).
    return {"endpoint_url": running.endpoint_url, "region": region, **result.outputs}, started


def session_of(endpoint_url: str) -> str | None:
    """LocalStack's session id (new at every start), or None for an endpoint that has none."""
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
            f"{endpoint_url.rstrip('/')}/_localstack/info", timeout=5
        ) as response:
            return cast("str | None", json.loads(response.read()).get("session_id"))
    except (OSError, ValueError):
        return None


def stack_outputs(stack: str) -> dict[str, Any]:
    """`endpoint_url`, `region` and every output of the deployed stack."""
    state = StackState.load(state_path(stack))
    if state is None:
        raise HarnessError(f"stack '{stack}' is not deployed: run `python -m harness up` (or `make up`) first")
    region = PROJECT.stack_config(stack).get("aws:region", "us-east-1")
    return {"endpoint_url": state.endpoint_url, "region": region, **state.outputs}


def destroy_deployed(stack: str) -> None:
    """Delete what the stack's deploy made (the emulator keeps running; `up` deploys it anew)."""
    state = StackState.load(state_path(stack))
    if state is None:
        raise HarnessError(f"stack '{stack}' is not deployed: nothing to destroy")
    if edge.stop(stack=stack):
        say("CDN edge stopped")
    if fleet.stop(stack):
        say("fleet stopped")
    deleted = destroy_stack(target_for(stack, state.endpoint_url), state_path(stack), progress=say)
    say(f"destroyed stack '{stack}': {deleted} resources deleted")


def take_down(port: int, stack: str | None = None) -> None:
    """Stop the emulator and what serves the stacks deployed in it; with `stack`, only that stack
    (destroyed), the emulator kept while another stack is deployed."""
    deployed = sorted(path.stem for path in (emulator.Paths.default().root / "stacks").glob("*.json"))
    others = [name for name in deployed if name != stack]
    if stack is not None and others:
        if stack in deployed:
            destroy_deployed(stack)
        say(f"the emulator keeps running for stack(s) {', '.join(others)}: `make down` stops it")
        return
    for name in edge.stop_all():
        say(f"CDN edge of stack '{name}' stopped")
    for name in fleet.stop_all():
        say(f"fleet of stack '{name}' stopped")
    stopped = emulator.stop(port=port)
    for path in (emulator.Paths.default().root / "stacks").glob("*.json"):
        path.unlink()
    say("LocalStack stopped; deploy state cleared" if stopped else "no emulator was running; deploy state cleared")


def show_status(args: argparse.Namespace) -> None:
    """`status`: the local stack (what runs, what is deployed, then its queues, alarms and functions),
    or with --outputs an AWS stack's queues, alarms and functions; --json prints those alone."""
    if not args.outputs and not args.json and not show_running(args.stack or DEFAULT_STACK, args.port):
        return  # not deployed, and said so
    deployed = operated_stack(args)
    with ops_stack.talking_to(deployed):
        status = read_status(deployed)
    print(json.dumps(status.as_json(), indent=2) if args.json else "\n" + format_status(status), flush=True)


def operated_stack(args: argparse.Namespace) -> ops_stack.Deployed:
    """The AWS stack of --outputs FILE, else the local stack --stack names (the default one)."""
    if args.outputs:
        return ops_stack.on_aws(args.outputs)
    stack = args.stack or DEFAULT_STACK
    return ops_stack.local(stack_outputs(stack), stack)


def show_running(stack: str, port: int | None) -> bool:
    """Say whether the emulator runs (on `port`, else on the deployed stack's port), whether `stack` is
    deployed, and what serves it; whether it is deployed."""
    state = StackState.load(state_path(stack))
    if port is None:
        endpoint = urlparse(state.endpoint_url) if state else None
        on_loopback = endpoint is not None and endpoint.hostname in ("127.0.0.1", "localhost")
        port = (endpoint.port if on_loopback and endpoint else None) or emulator.DEFAULT_PORT
    running = emulator.running(port=port)
    say(f"emulator: {'running at ' + running.endpoint_url + f' (pid {running.pid})' if running else 'not running'}")
    if state is None:
        say(f"stack '{stack}': not deployed")
    else:
        say(f"stack '{stack}': {len(state.resources)} resources at {state.endpoint_url}")
    served = edge.running(stack=stack)
    say(f"CDN edge: {'serving ' + ', '.join(served.urls) + f' (pid {served.pid})' if served else 'not running'}")
    shown = fleet.running(stack)
    if shown is not None:
        say(f"fleet: {len(instance_rows(shown))} instances (pid {shown['pid']}): `python -m harness instances`")
    return state is not None


def redrive_stage(args: argparse.Namespace) -> None:
    """`redrive STAGE`: move the stage's parked work back (--dry-run: say how much, move nothing)."""
    deployed = operated_stack(args)
    with ops_stack.talking_to(deployed):
        say(format_redriven(redrive(deployed, args.stage, dry_run=args.dry_run)))


def show_instances(stack: str, as_json: bool) -> None:
    shown = fleet.running(stack)
    if shown is None:
        raise HarnessError(
            f"stack '{stack}' runs no fleet: it is not deployed, or its web tier is serverless "
            "(`make up STACK=local-instances` deploys the instances tier)"
        )
    rows = instance_rows(shown)
    print(json.dumps(rows, indent=2) if as_json else table(rows))


def measure(only: str | None, json_path: Path, port: int) -> None:
    """Run the benchmark; the emulator it started for the pipeline and API sections, if it did, is stopped
    after (one that was running already, or that another process started meanwhile, is left)."""
    started: list[emulator.Emulator] = []

    def pipeline_stack(stack: str) -> dict[str, Any]:
        outputs, launched = bring_up(stack, None, port)
        if launched is not None:
            started.append(launched)
        return outputs

    try:
        run_bench((only,) if only else SECTIONS, json_path, say, pipeline_stack)
    finally:
        for launched in started:
            current = emulator.running(port=port)
            if current is not None and current.pid == launched.pid:  # still ours, not a later one
                edge.stop_all()  # they served that emulator's deploys
                fleet.stop_all()
                emulator.stop(port=port)
                say("stopped the emulator the benchmark started")


def manage_users(args: argparse.Namespace) -> None:
    """`users add|list|remove|set-password|sign-out`: arguments checked before the stack is looked at, the
    password read (from stdin only) once the table is known."""
    if args.action == "add":
        user_admin.check_new_user(args.name, args.role, args.email)
    elif args.action != "list":
        user_admin.check_name(args.name)
    if args.outputs:
        store = user_admin.aws_store(args.outputs)
    else:
        store = user_admin.local_store(stack_outputs(args.stack or DEFAULT_STACK))
    if args.action == "list":
        print(user_admin.format_users(user_admin.list_users(store)), flush=True)
    elif args.action == "remove":
        user_admin.remove_user(store, args.name)
        say(f"removed user {args.name}")
    elif args.action == "sign-out":
        user_admin.sign_out_user(store, args.name)
        say(f"signed {args.name} out everywhere: every session of theirs has ended")
    elif args.action == "add":
        user = user_admin.add_user(store, args.name, user_admin.read_password(sys.stdin), args.role, args.email)
        say(f"added user {user.username} ({user.role})")
    else:
        user_admin.set_password(store, args.name, user_admin.read_password(sys.stdin))
        say(f"changed the password of {args.name}")


def parser() -> argparse.ArgumentParser:
    """The command line: the stack's commands and the users command."""
    made = argparse.ArgumentParser(prog="python -m harness", description=__doc__.split("\n")[0])
    commands = made.add_subparsers(dest="command", required=True)
    _stack_commands(commands)
    _operations_commands(commands)
    _users_command(commands)
    add_faults_command(commands)
    return made


def _stack_commands(commands: Any) -> None:
    up = commands.add_parser("up", help="start the emulator (or use --endpoint) and deploy")
    up.add_argument("--endpoint", help="use an emulator that already runs at this URL instead of starting one")
    up.add_argument("--stack", default=DEFAULT_STACK)
    up.add_argument("--port", type=int, default=emulator.DEFAULT_PORT)
    destroy = commands.add_parser("destroy", help="delete every resource of the deployed stack (pulumi destroy)")
    destroy.add_argument("--stack", default=DEFAULT_STACK)
    down = commands.add_parser("down", help="stop the emulator started by `up` (with --stack: that stack only)")
    down.add_argument("--port", type=int, default=emulator.DEFAULT_PORT)
    down.add_argument("--stack", help="take down this stack only; the emulator stops when no other is deployed")
    outputs = commands.add_parser("outputs", help="print the stack's outputs as JSON")
    outputs.add_argument("--stack", default=DEFAULT_STACK)
    demo = commands.add_parser("demo", help="up, then push sample uploads through and show the records")
    demo.add_argument("--endpoint")
    demo.add_argument("--stack", default=DEFAULT_STACK)
    demo.add_argument("--port", type=int, default=emulator.DEFAULT_PORT)
    bench = commands.add_parser("bench", help="measure the image kernel, cold start, the pipeline and the API")
    bench.add_argument("--json", default="bench-results.json", type=Path, help="where to write the figures")
    bench.add_argument("--only", choices=SECTIONS, help="run one section")
    bench.add_argument("--port", type=int, default=emulator.DEFAULT_PORT)
    instances = commands.add_parser("instances", help="the instances tier's fleet: id, state, health, pid, url, …")
    instances.add_argument("--stack", default=DEFAULT_STACK)
    instances.add_argument("--json", action="store_true", help="as a JSON list of objects")


def _which_stack() -> argparse.ArgumentParser:
    """--stack NAME (a local stack) or --outputs FILE (an AWS stack), not both."""
    which = argparse.ArgumentParser(add_help=False)
    stacks = which.add_mutually_exclusive_group()
    stacks.add_argument("--stack", help=f"the local stack (default: {DEFAULT_STACK})")  # no default: exclusive
    stacks.add_argument("--outputs", type=Path, metavar="FILE", help="the AWS stack of `pulumi stack output --json`")
    return which


def _operations_commands(commands: Any) -> None:
    status = commands.add_parser(
        "status",
        parents=[_which_stack()],
        help="what runs and is deployed; queues, parked work, alarms, functions' errors in the last hour",
    )
    status.add_argument("--json", action="store_true", help="queues, alarms and functions as one JSON object")
    status.add_argument("--port", type=int, help="the embedded emulator's port (default: the deployed stack's)")
    moving = commands.add_parser(
        "redrive", parents=[_which_stack()], help="move what a stage's dead-letter queue holds back to its queue"
    )
    stages = ops_stack.STAGE_NAMES
    moving.add_argument("stage", metavar="STAGE", choices=stages, help=", ".join(stages))
    moving.add_argument("--dry-run", action="store_true", help="say how many would move, move nothing")


def _users_command(commands: Any) -> None:
    users = commands.add_parser("users", help="add, list and remove who may sign in to the web tier")
    user_actions = users.add_subparsers(dest="action", required=True)
    which = _which_stack()  # every action: the local stack, or an AWS one
    from_stdin: dict[str, Any] = {
        "action": "store_true",
        "required": True,
        "help": "read the password from stdin (one line)",
    }
    add = user_actions.add_parser("add", parents=[which], help="make a user (password on stdin)")
    add.add_argument("name")
    add.add_argument("--password-stdin", **from_stdin)
    add.add_argument("--role", choices=ROLES, default=PHOTOGRAPHER)
    add.add_argument("--email", metavar="ADDR")
    set_password = user_actions.add_parser("set-password", parents=[which], help="give a user a new password")
    set_password.add_argument("name")
    set_password.add_argument("--password-stdin", **from_stdin)
    user_actions.add_parser("list", parents=[which], help="name, role and e-mail of each user")
    user_actions.add_parser("remove", parents=[which], help="remove a user").add_argument("name")
    sign_out = user_actions.add_parser("sign-out", parents=[which], help="end every session of a user, everywhere")
    sign_out.add_argument("name")


def _up(args: argparse.Namespace) -> None:
    outputs, _ = bring_up(args.stack, args.endpoint, args.port)  # left running: `down` stops it
    if outputs.get("cdn_url"):
        say(f"cdn_url: {outputs['cdn_url']}  (try {outputs['cdn_url']}/api/health)")
    say("run `python -m harness outputs` for names and URLs, `make down` to stop")


def _demo(args: argparse.Namespace) -> None:
    outputs, _ = bring_up(args.stack, args.endpoint, args.port)
    run_demo(outputs, say)
    run_web_demo(outputs, say)
    if outputs.get("web_tier") == "instances":
        say(instances_how_to(args.stack, outputs, fleet.running(args.stack)))


RUN: dict[str, Callable[[argparse.Namespace], None]] = {
    "up": _up,
    "destroy": lambda args: destroy_deployed(args.stack),
    "down": lambda args: take_down(args.port, args.stack),
    "outputs": lambda args: print(json.dumps(stack_outputs(args.stack), indent=2, sort_keys=True)),
    "demo": _demo,
    "bench": lambda args: measure(args.only, args.json, args.port),
    "status": show_status,
    "redrive": redrive_stage,
    "instances": lambda args: show_instances(args.stack, args.json),
    "users": manage_users,
    "faults": run_faults,
}
"""What each command does, with its parsed arguments."""


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)

    try:
        RUN[args.command](args)
    except (
        HarnessError,
        DeployError,
        emulator.EmulatorError,
        edge.EdgeError,
        fleet.FleetError,
        DemoFailed,
        BenchError,
        user_admin.UsersError,
        ops_stack.OpsError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
