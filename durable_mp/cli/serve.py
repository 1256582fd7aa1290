"""`durable-mp serve`: the HTTP emulator of the Lambda durable execution API, for registered functions."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from durable_mp.cli.inputs import function_specs
from durable_mp.cli.loading import UsageError, open_store
from durable_mp.cli.service_flags import add_service_flags, service_options
from durable_mp.local.isolation import IsolationError

TOKEN_ENV = "DURABLE_MP_SERVE_TOKEN"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the Lambda durable execution API over HTTP",
        description="Serve the Lambda durable execution API (and Invoke) for registered functions.",
    )
    p.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME=module:attr",
        help="register a function (repeatable); module may be path/to/file.py",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="IP address to bind (default 127.0.0.1); a non-loopback one requires a token",
    )
    p.add_argument(
        "--token",
        default=None,
        help=f"shared token every request must carry (default: ${TOKEN_ENV}); boto3 clients send it as "
        "their aws_access_key_id",
    )
    p.add_argument("--port", type=int, default=9014, help="port (default 9014; 0 picks a free one)")
    p.add_argument(
        "--store",
        default=None,
        help="SQLite file or folder (default ./.durable-mp/executions.db), or 'memory'",
    )
    p.add_argument(
        "--skip-time",
        action="store_true",
        help="end waits and retry delays at once (not the back-off after a crashed invocation)",
    )
    p.add_argument(
        "--handler-transport",
        choices=("inprocess", "http"),
        default="inprocess",
        help="how handlers reach the service: direct calls (default), or the SDK's own boto3 client "
        "over HTTP to this server (AWS_ENDPOINT_URL_LAMBDA)",
    )
    add_service_flags(p)
    p.set_defaults(func=serve_command)


def _functions(specs: list[str]) -> list[tuple[str, Any]]:
    if not specs:
        raise UsageError("give at least one --function NAME=module:attr")
    return function_specs(specs)


def _address_and_token(args: argparse.Namespace) -> tuple[str, str | None]:
    """The validated bind address and token; a non-loopback address without a token is refused."""
    from durable_mp.local.guard import bind_address, check_token, is_loopback

    try:
        host = bind_address(args.host)
    except ValueError as exc:
        raise UsageError(f"--host {exc}") from None
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    if token is not None:
        try:
            check_token(token)
        except ValueError as exc:
            source = "--token" if args.token is not None else f"${TOKEN_ENV}"
            raise UsageError(f"{source}: {exc}") from None
    if not is_loopback(host):
        if token is None:
            raise UsageError(
                f"--host {args.host} is not a loopback address: anyone who can reach it could run your "
                f"functions; set a token with --token or ${TOKEN_ENV}"
            )
        print(
            f"durable-mp serve: warning: serving on {host}, reachable from other machines; every request "
            "must carry the token (plain HTTP: anyone on the network path can read it)",
            file=sys.stderr,
        )
    return host, token


def serve_command(args: argparse.Namespace) -> int:
    from durable_mp.local import LocalDurableService

    try:
        from durable_mp.local.server import DurableHttpServer, new_event_loop
    except ModuleNotFoundError as exc:
        if exc.name != "aiohttp":
            raise
        raise UsageError("serve needs aiohttp: pip install 'durable-mp[local]'") from None

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, got {args.port}")
    host, token = _address_and_token(args)
    functions = _functions(args.function)
    if args.isolation == "process" and args.handler_transport == "http":
        raise UsageError(
            "--isolation process runs handlers in their own processes: use --handler-transport inprocess"
        )
    options = service_options(args)
    service = LocalDurableService(
        store=open_store(args.store, create=True, lock=True), skip_time=args.skip_time, **options
    )
    server = DurableHttpServer(service, host=host, port=args.port, token=token)
    loop = new_event_loop()
    try:
        try:
            loop.run_until_complete(server.start())
        except OSError as exc:
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
        if args.handler_transport == "http":
            server.use_http_transport_env()
        try:
            for name, handler in functions:
                server.register(name, handler, transport=args.handler_transport)
        except IsolationError as exc:
            raise UsageError(str(exc)) from None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.stop)
        names = ", ".join(name for name, _ in functions)
        print(f"durable-mp serving {names} on {server.url}", flush=True)
        loop.run_until_complete(server.serve())
        print("durable-mp serve: stopped", file=sys.stderr)
    finally:
        service.close()
        loop.close()
    return 0
