"""`durable-mp run TARGET`: run one workflow to completion on the embedded service, with live progress.

stdout carries only the outcome (the result as JSON; when suspended, the open callback ids, one a line), so
`durable-mp run ... > out.txt` keeps it clean; the execution name, progress, log records, the history and
the final status go to stderr.

Exit status: 0 SUCCEEDED; 1 FAILED, TIMED_OUT or STOPPED; 2 bad input; 3 suspended on a callback that only
someone outside can complete (send it with `durable-mp callback`, then run again with the same
`--execution-name` to resume); 130 interrupted. With the SQLite store, an execution cut off at any point
(Ctrl-C, SIGKILL, a crash) resumes from its last acknowledged checkpoint when run again with its name.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from durable_mp.cli import logs
from durable_mp.cli.errors import error_lines, failing_operation
from durable_mp.cli.inputs import function_specs, read_json_arg
from durable_mp.cli.loading import UsageError, load_handler, open_store, store_path
from durable_mp.cli.progress import Progress
from durable_mp.cli.service_flags import add_service_flags, service_options, usage_line
from durable_mp.cli.tables import history_table, result_text
from durable_mp.local.isolation import IsolationError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CALLBACK, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
_TICK_TTY, _TICK_PLAIN = 0.1, 0.25
_PLAIN_INTERVAL = 1.0
_TIMER_STATES = {("WAIT", "STARTED"), ("STEP", "PENDING"), ("STEP", "READY"), ("CHAINED_INVOKE", "STARTED")}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a workflow to completion on the embedded service",
        description="Run a durable handler on the embedded local service until it ends.",
        epilog="exit status: 0 SUCCEEDED, 1 FAILED/TIMED_OUT/STOPPED, 2 bad input, 3 waiting for a callback "
        "(send it with `durable-mp callback`, then run again with the same --execution-name), 130 Ctrl-C",
    )
    p.add_argument("target", help="path/to/file.py:handler or package.module:handler")
    p.add_argument(
        "--input",
        default=None,
        help="the execution input, as JSON, @FILE.json or - (stdin) (default {}); on resume it must be "
        "the recorded input, or left out",
    )
    p.add_argument(
        "--execution-name",
        default=None,
        help="name of the execution; running the same name again resumes it (or shows its result)",
    )
    p.add_argument(
        "--function-name", default=None, help="function name to register (default: the file/module name)"
    )
    p.add_argument(
        "--store",
        default=None,
        help="SQLite file or folder (default ./.durable-mp/executions.db), or 'memory' to keep nothing",
    )
    p.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME=module:attr",
        help="register another durable function, for context.invoke (repeatable)",
    )
    p.add_argument(
        "--invocation-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="each invocation's deadline, as Lambda's function timeout (default 900): a shorter one "
        "shows the TerminationManager ending invocations early and the service re-invoking",
    )
    p.add_argument("--log-level", default=None, help="show log records (context.logger) from this level")
    p.add_argument("--real-time", action="store_true", help="really wait for waits and retry delays")
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress and no history: print the result only"
    )
    p.add_argument(
        "--history-rows", type=int, default=30, help="rows of history to show (default 30, 0 = all)"
    )
    add_service_flags(p)
    p.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    from durable_mp import add_progress_hook, remove_progress_hook
    from durable_mp.local import LocalDurableService, ids
    from durable_mp.service.client import ServiceError

    handler, default_name = load_handler(args.target)
    function = args.function_name or default_name
    payload = read_json_arg(args.input, "--input") if args.input is not None else None
    extra = function_specs(args.function)
    if args.execution_name is not None:
        try:
            ids.check_execution_name(args.execution_name)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:
        ids.parse_function_name(function)
    except ValueError as exc:
        raise UsageError(f"--function-name: {exc}") from None
    if args.invocation_timeout is not None and not 0 < args.invocation_timeout <= 900:
        raise UsageError(
            f"--invocation-timeout must be more than 0 and at most 900 s, got {args.invocation_timeout:g}"
        )
    level = logs.check_level(args.log_level)
    out, err = sys.stdout, sys.stderr
    store = open_store(args.store, create=True, lock=True)
    try:
        _check_resume_input(store, function, args.execution_name, payload)
    except UsageError:
        store.close()
        raise
    undo_logs = logs.configure(level)
    progress = None if args.quiet else Progress(err, tty=err.isatty(), plain_interval=_PLAIN_INTERVAL)
    options = service_options(args)
    service = LocalDurableService(
        store=store, skip_time=not args.real_time, invocation_timeout=args.invocation_timeout, **options
    )
    if progress is not None:
        add_progress_hook(progress.on_batch)
    arn: str | None = None
    try:
        try:
            service.register_durable_function(function, handler)
            for name, other in extra:
                service.register_durable_function(name, other)
        except IsolationError as exc:
            raise UsageError(str(exc)) from None
        try:
            arn = service.start_execution(function, payload, name=args.execution_name)
        except ServiceError as exc:
            raise UsageError(exc.message) from None
        if not args.quiet:
            name = arn.rsplit("/", 2)[1]
            print(f"Execution {name} of {function} (resume it with --execution-name {name})", file=err)
        final = _wait(service, arn, progress)
        if final is None:
            return _suspended(service, arn, args, out, err)
        used = service.usage(arn)
    except KeyboardInterrupt:
        if progress is not None:
            progress.clear()
        resume = "" if arn is None else f"; resume with --execution-name {arn.rsplit('/', 2)[1]}"
        print(f"interrupted{resume}", file=err)
        return EXIT_INTERRUPTED
    finally:
        if progress is not None:
            remove_progress_hook(progress.on_batch)
        service.close()
        undo_logs()
    _report(final, service.events(arn), args, out, err, used)
    return EXIT_OK if final["Status"] == "SUCCEEDED" else EXIT_FAILED


def _check_resume_input(store: Any, function: str, name: str | None, payload: str | None) -> None:
    """An --input that differs from the one an existing execution of that name started with is an error
    (the recorded input is what the execution replays with), raised before anything runs."""
    if name is None or payload is None:
        return
    arn = store.find(function, name)
    found = store.load(arn) if arn is not None else None
    if found is None:
        return
    recorded = found.input_payload
    if _same_json(recorded, payload):
        return
    raise UsageError(
        f"execution {name} already exists with input {recorded or 'null'}; --input {payload} differs "
        "(leave --input out to resume it, or choose another --execution-name)"
    )


def _same_json(a: str | None, b: str | None) -> bool:
    def load(text: str | None) -> Any:
        if text is None or text == "":
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text

    return bool(load(a) == load(b))


def _wait(service: Any, arn: str, progress: Progress | None) -> dict[str, Any] | None:
    """The final GetDurableExecution dict, or None when only an external callback can move it on."""
    tick = _TICK_TTY if progress is not None and progress.tty else _TICK_PLAIN
    blocked_ticks = 0
    while True:
        try:
            final: dict[str, Any] = service.wait_for_execution(arn, timeout=tick)
            if progress is not None:
                progress.count(service.events(arn))
                progress.clear()
            return final
        except TimeoutError:
            pass
        if progress is not None:
            progress.count(service.events(arn))
            progress.tick()
        blocked_ticks = blocked_ticks + 1 if _waits_for_callback(service, arn) else 0
        if blocked_ticks >= 2:
            if progress is not None:
                progress.clear()
            return None


def _waits_for_callback(service: Any, arn: str) -> bool:
    """True when no invocation runs, no timer can wake the execution, and a callback is open."""
    events = service.events(arn)
    if not events or events[-1]["EventType"] != "InvocationCompleted":
        return False
    open_callback = False
    for op in service.operations(arn):
        state = (op["Type"], op["Status"])
        if state in _TIMER_STATES:
            return False
        if state == ("CALLBACK", "STARTED"):
            open_callback = True
    return open_callback


def _suspended(service: Any, arn: str, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    name = service.get_durable_execution(DurableExecutionArn=arn)["DurableExecutionName"]
    callbacks = [
        op for op in service.operations(arn) if op["Type"] == "CALLBACK" and op["Status"] == "STARTED"
    ]
    print(f"Execution {name} is waiting for {len(callbacks)} callback(s):", file=err)
    for op in callbacks:
        label = f" ({op['Name']})" if op.get("Name") else ""
        print(f"  {op['CallbackDetails']['CallbackId']}{label}", file=err)
        print(op["CallbackDetails"]["CallbackId"], file=out)
    if store_path(args.store) is None:
        print("With --store memory nothing is kept, so nobody can send them: use the SQLite store.", file=err)
        return EXIT_CALLBACK
    store = "" if args.store is None else f" --store {args.store}"
    cid = callbacks[0]["CallbackDetails"]["CallbackId"]
    print(f"Complete one with:  durable-mp callback succeed --result '<json>'{store} -- {cid}", file=err)
    print(f"then resume with:   durable-mp run {args.target} --execution-name {name}{store}", file=err)
    return EXIT_CALLBACK


def _report(
    final: dict[str, Any],
    events: list[dict[str, Any]],
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    used: dict[str, int],
) -> None:
    status = final["Status"]
    if status == "SUCCEEDED":
        print(result_text(final.get("Result")), file=out)
    if args.quiet:
        if status != "SUCCEEDED":
            print(f"{status}: {_error_line(final)}", file=err)
        return
    rows = args.history_rows
    head = None if rows <= 0 else max(rows * 2 // 3, 1)
    store = "" if args.store is None else f" --store {args.store}"
    hint = (
        None
        if store_path(args.store) is None
        else f"All events: durable-mp history '{final['DurableExecutionArn']}'{store}"
    )
    print(history_table(events, head=head, tail=max(rows - (head or 0), 1), more_hint=hint), file=err)
    took = (
        (final["EndTimestamp"] - final["StartTimestamp"]).total_seconds()
        if final.get("EndTimestamp")
        else 0.0
    )
    print(
        f"\nExecution {final['DurableExecutionName']} {status} ({took:.3f} s of execution time, "
        f"{len(events)} history events)",
        file=err,
    )
    print(usage_line(used), file=err)
    if status != "SUCCEEDED":
        error = final.get("Error") or {}
        print(f"Error: {_error_line(final)}", file=err)
        origin = failing_operation(events, error)
        if origin is not None:
            print(f"Raised in: {origin}", file=err)
        for line in error_lines(error)[1:]:
            print(line, file=err)


def _error_line(final: dict[str, Any]) -> str:
    error = final.get("Error") or {}
    return f"{error.get('ErrorType') or final['Status']}: {error.get('ErrorMessage', '')}".strip()
