"""The `durable-mp` command: run workflows locally, serve the Lambda durable API, inspect executions.

    durable-mp run path/to/file.py:handler --input '{"x": 1}' | @in.json | -  [--execution-name NAME]
        [--store memory] [--function NAME=module:attr] [--invocation-timeout S] [--log-level INFO] [-q]
    durable-mp serve --function NAME=module:attr [--port N] [--handler-transport http]
    durable-mp history ARN [--json] [--raw] | executions [--function NAME]
    durable-mp callback succeed|fail|heartbeat ID [--result JSON]   (any ID, even one starting with '-')
    durable-mp loadtest [--items N] [--policy ...] [--workers 1,2] [--repeat N] [--workload M:F] [--soak]
    durable-mp --version

`run` prints only its outcome on stdout (the result, or the callback ids it waits for); progress, logs,
the history and the status go to stderr.

Wrong input (a bad module path, a missing attribute, invalid JSON, an unknown execution) is reported as
one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from durable_mp import __version__
from durable_mp.cli import commands, run, serve
from durable_mp.cli.loading import UsageError, release_locks


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="durable-mp", description="Durable functions, locally.")
    parser.add_argument("--version", action="version", version=f"durable-mp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run.add_parser(sub)
    serve.add_parser(sub)
    commands.add_parsers(sub)
    # The load-test tool's options are declared by durable_mp.loadtest.cli, imported only when it runs
    # (it is heavy, and every other command must start fast).
    sub.add_parser(
        "loadtest",
        add_help=False,
        help="load-test map completion policies and worker counts (durable-mp loadtest --help)",
    )
    return parser


def _loadtest(argv: list[str]) -> int:
    from durable_mp.loadtest.cli import add_arguments

    parser = argparse.ArgumentParser(
        prog="durable-mp loadtest",
        description="Load-test map completion policies "
        "and worker counts on the local durable execution service.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return int(args.func(args))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `durable-mp` console script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["loadtest"]:
        return _loadtest(argv[1:])
    args = build_parser().parse_args(commands.callback_argv(argv))
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"durable-mp {args.command}: error: {exc}", file=sys.stderr)
        return run.EXIT_USAGE
    except BrokenPipeError:
        return 0
    finally:
        release_locks()


__all__ = ["build_parser", "main"]
