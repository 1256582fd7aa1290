"""`durable-mp history`, `executions` and `callback`: on the SQLite store, or on a server with --endpoint.

Reading commands load the store without starting a service (nothing is resumed or written). `callback`
opens a service on the store (taking its lock) just long enough to record the completion; the execution
then resumes the next time `durable-mp run` runs it. With `--endpoint URL` the same requests go over HTTP
to `durable-mp serve` (or any service that speaks the Lambda durable API) through boto3.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from durable_mp.cli.errors import stack_traces
from durable_mp.cli.inputs import read_json_arg
from durable_mp.cli.loading import UsageError, open_store, store_path
from durable_mp.cli.payloads import decode_events
from durable_mp.cli.serve import TOKEN_ENV
from durable_mp.cli.tables import executions_table, history_table


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "history",
        help="show the history of an execution",
        description="Show the history events of an execution (by ARN or execution name).",
    )
    p.add_argument("execution", help="execution ARN (or execution name, on the local store)")
    p.add_argument("--json", action="store_true", help="print the events as JSON")
    p.add_argument(
        "--raw",
        action="store_true",
        help='keep payloads in their wire form (serdes envelopes such as {"t":"m","v":...}); '
        "by default they are shown as the values they hold",
    )
    _where(p)
    p.set_defaults(func=history_command)

    p = sub.add_parser("executions", help="list executions", description="List durable executions.")
    p.add_argument(
        "--function", default=None, help="only executions of this function (required with --endpoint)"
    )
    _where(p)
    p.set_defaults(func=executions_command)

    p = sub.add_parser(
        "callback",
        help="complete or heartbeat a callback",
        description="Send a callback's success, failure or heartbeat.",
    )
    p.add_argument("action", choices=("succeed", "fail", "heartbeat"))
    p.add_argument(
        "callback_id",
        metavar="ID",
        nargs="?",
        help="the callback id, as printed by `durable-mp run` (any id, even one starting with '-'; "
        "also accepted after --, or as --id=ID)",
    )
    p.add_argument("--id", dest="callback_id_option", default=None, help=argparse.SUPPRESS)
    p.add_argument("--result", default=None, help="succeed: the result, as JSON, @FILE.json or - (stdin)")
    p.add_argument("--error", default=None, help="fail: the error message")
    p.add_argument("--error-type", default=None, help="fail: the error type")
    _where(p)
    p.set_defaults(func=callback_command)


def _where(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--store", default=None, help="SQLite file or folder (default ./.durable-mp/executions.db)"
    )
    p.add_argument("--endpoint", default=None, help="URL of a running `durable-mp serve` to ask instead")


# ---------------------------------------------------------------------------------------- history


def history_command(args: argparse.Namespace) -> int:
    if args.endpoint:
        events = _remote_history(args.endpoint, args.execution)
    else:
        events = _local_execution(args.store, args.execution).events
    if args.json:
        shown = events if args.raw else decode_events(events)
        print(json.dumps(shown, default=_json_default, indent=1))
    else:
        print(history_table(events, decode=not args.raw))
        traces = stack_traces(events)
        if traces:
            print("\nStack traces:\n" + "\n".join(traces))
    return 0


def _local_execution(store_option: str | None, key: str) -> Any:
    if store_path(store_option) is None:
        raise UsageError("--store memory keeps nothing to read")
    store = open_store(store_option, create=False, lock=False)
    try:
        found = store.load(key)  # by ARN: reads that one execution only
        executions = [] if found is not None else store.load_all()
    finally:
        store.close()
    if found is not None:
        return found
    named = [ex for ex in executions if ex.name == key]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise UsageError(f"{len(named)} executions are named {key!r} (one per function): give the ARN")
    raise UsageError(f"no execution {key} in {store_path(store_option)}")


def _remote_history(endpoint: str, arn: str) -> list[dict[str, Any]]:
    client = _client(endpoint)
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"DurableExecutionArn": arn, "IncludeExecutionData": True, "MaxItems": 1000}
    while True:
        page = _call(client.get_durable_execution_history, **kwargs)
        events.extend(page["Events"])
        if not page.get("NextMarker"):
            return events
        kwargs["Marker"] = page["NextMarker"]


# ---------------------------------------------------------------------------------------- executions


def executions_command(args: argparse.Namespace) -> int:
    if args.endpoint:
        if not args.function:
            raise UsageError("--function is required with --endpoint")
        items = _remote_executions(args.endpoint, args.function)
    else:
        if store_path(args.store) is None:
            raise UsageError("--store memory keeps nothing to read")
        store = open_store(args.store, create=False, lock=False)
        try:
            found = store.load_all()
        finally:
            store.close()
        items = [ex.describe() for ex in found if args.function is None or ex.function_name == args.function]
        if (
            args.function is not None
            and not items
            and not any(ex.function_name == args.function for ex in found)
        ):
            raise UsageError(f"no executions of function {args.function!r} in {store_path(args.store)}")
    print(executions_table(items))
    return 0


def _remote_executions(endpoint: str, function: str) -> list[dict[str, Any]]:
    client = _client(endpoint)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"FunctionName": function, "MaxItems": 1000}
    while True:
        page = _call(client.list_durable_executions_by_function, **kwargs)
        items.extend(page["DurableExecutions"])
        if not page.get("NextMarker"):
            return items
        kwargs["Marker"] = page["NextMarker"]


# ---------------------------------------------------------------------------------------- callback


def callback_argv(argv: list[str]) -> list[str]:
    """`callback ACTION ID ...` with an ID that starts with '-' rewritten as `--id=ID`, so argparse does not
    take it for an option: the word after the action is always the id unless it is one of our options."""
    if len(argv) < 3 or argv[0] != "callback" or not argv[2].startswith("-"):
        return argv
    if argv[2] == "--":  # `callback succeed -- ID [options]`: the id, then options again
        return argv if len(argv) < 4 else [*argv[:2], f"--id={argv[3]}", *argv[4:]]
    word = argv[2].split("=", 1)[0]
    if word in _CALLBACK_OPTIONS:
        return argv
    return [*argv[:2], f"--id={argv[2]}", *argv[3:]]


_CALLBACK_OPTIONS = ("--result", "--error", "--error-type", "--store", "--endpoint", "--id", "-h", "--help")


def callback_command(args: argparse.Namespace) -> int:
    if args.callback_id_option is not None and args.callback_id is not None:
        raise UsageError("give the callback id once")
    if args.callback_id_option is not None:
        args.callback_id = args.callback_id_option
    if not args.callback_id:
        raise UsageError("give the callback ID (from `durable-mp run`, or `durable-mp history ARN`)")
    if args.action != "succeed" and args.result is not None:
        raise UsageError(f"--result goes with `callback succeed`, not `callback {args.action}`")
    if args.action != "fail" and (args.error is not None or args.error_type is not None):
        raise UsageError(f"--error and --error-type go with `callback fail`, not `callback {args.action}`")
    request: dict[str, Any] = {"CallbackId": args.callback_id}
    if args.action == "succeed" and args.result is not None:
        request["Result"] = read_json_arg(args.result, "--result")
    if args.action == "fail":
        error = {
            k: v for k, v in (("ErrorType", args.error_type), ("ErrorMessage", args.error)) if v is not None
        }
        request["Error"] = error
    method = {
        "succeed": "send_durable_execution_callback_success",
        "fail": "send_durable_execution_callback_failure",
        "heartbeat": "send_durable_execution_callback_heartbeat",
    }[args.action]
    if args.endpoint:
        if "Result" in request:
            request["Result"] = request["Result"].encode()
        _call(getattr(_client(args.endpoint), method), **request)
    else:
        _local_callback(args.store, method, request)
    print(f"callback {args.callback_id}: {args.action} sent")
    return 0


def _local_callback(store_option: str | None, method: str, request: dict[str, Any]) -> None:
    from durable_mp.local import LocalDurableService
    from durable_mp.service.client import ServiceError

    if store_path(store_option) is None:
        raise UsageError("--store memory keeps nothing: no callback can be waiting there")
    service = LocalDurableService(store=open_store(store_option, create=False, lock=True))
    try:
        getattr(service, method)(**request)
    except ServiceError as exc:
        raise UsageError(exc.message) from None
    finally:
        service.close()


# ---------------------------------------------------------------------------------------- remote


def _client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    if not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"--endpoint must be an http:// or https:// URL, got {endpoint!r}")
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=os.environ.get(TOKEN_ENV) or "durable-mp",  # the token of `serve`, if any
        aws_secret_access_key="durable-mp",
        config=Config(retries={"max_attempts": 1}),
    )


def _call(method: Any, **kwargs: Any) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return method(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise UsageError(f"{error.get('Code')}: {error.get('Message')}") from None
    except BotoCoreError as exc:
        raise UsageError(str(exc)) from None


def _json_default(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
