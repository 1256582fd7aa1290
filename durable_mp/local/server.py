"""The HTTP emulator: the Lambda durable execution API (and Invoke) over HTTP/1.1, on the local service.

```
 client ──TCP──> aiohttp (HTTP/1.1 parsing, keep-alive, pipelining in order, flow control)
                   │ at most `max_connections` at once: more get 429 TooManyRequestsException and a close
                   v
                 _guarded: guard.Guard (Host, Origin, token) ─> 403; unknown path 404, wrong method 405
                   v
                 _serve_route: body (bounded, timed) ─> routes.<op>(service, Request) on the thread pool ─> Reply
                                    │ synchronous Invoke of a durable function returns AwaitExecution
                                    v
                 completions.CompletionWatcher (one thread in service.wait_until) resolves a future
                                    when the execution ends ──> routes.invoke_reply on the pool
```

aiohttp does the HTTP; `routes` maps each operation to a service call. The event loop only moves bytes;
every service call runs on the pool, and no pool thread waits for an execution to end, so hundreds of
connections and executions can be in flight at once (a handler using the `http` transport checkpoints
through this same server while its Invoke is pending).

Every error the server makes is typed as botocore parses it (status, `x-amzn-ErrorType`, JSON body): a body
over MAX_BODY_BYTES (413), a body not received within `request_timeout` seconds (408), bad JSON or JSON
nested too deeply (400), an unknown path (404) or method (405), a refused request (403, see `guard`).
Unexpected exceptions in a route answer 500 ServiceException and are logged to stderr. A request that is not
HTTP at all gets aiohttp's plain 400 and a close; a connection idle (or stuck in a request head) for
`idle_timeout` seconds is closed. Pipelined requests are answered in order, and a client that does not read
its answers stops being read (aiohttp's flow control), so memory stays bounded per connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from durable_mp.local import routes
from durable_mp.local.completions import CompletionWatcher
from durable_mp.local.guard import Guard, bind_address
from durable_mp.local.routes import AwaitExecution, Reply, Request
from durable_mp.service.client import ServiceError

MAX_BODY_BYTES = 6 * 1024 * 1024 + 64 * 1024
MAX_FIELD_BYTES = 16 * 1024
MAX_CONNECTIONS = 256
TRANSPORTS = ("inprocess", "http")
# aiohttp logs a traceback for every request that is not HTTP; the client already got its 400.
_PROTOCOL_LOG = logging.getLogger("durable_mp.local.server.protocol")
_PROTOCOL_LOG.propagate = False
_PROTOCOL_LOG.addHandler(logging.NullHandler())


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop where uvloop is installed, else the standard one."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _response(reply: Reply, *, close: bool = False) -> web.Response:
    headers = {"x-amzn-RequestId": str(uuid.uuid4()), **dict(reply.headers)}
    response = web.Response(status=reply.status, body=reply.body, headers=headers)
    response.content_type = reply.content_type
    if close:
        response.force_close()
    return response


def _error(code: str, message: str, status: int, *, close: bool = False) -> web.Response:
    return _response(routes.error_reply(code, message, status), close=close)


class _Refuse(asyncio.Protocol):
    """A connection over the limit: one typed 429 answer (botocore backs off and retries), then a close."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        reply = routes.error_reply("TooManyRequestsException", "too many open connections; retry later", 429)
        head = (
            f"HTTP/1.1 429 Too Many Requests\r\nContent-Type: {reply.content_type}\r\n"
            f"Content-Length: {len(reply.body)}\r\nx-amzn-ErrorType: TooManyRequestsException\r\n"
            "Connection: close\r\n\r\n"
        )
        transport.write(head.encode() + reply.body)  # type: ignore[attr-defined]
        # Half-close, and drain what the client sends for a moment: closing now could reset the connection
        # before the client has read the answer.
        transport.write_eof()  # type: ignore[attr-defined]
        asyncio.get_running_loop().call_later(1.0, transport.close)

    def data_received(self, data: bytes) -> None:
        pass


class _HttpTransportHandler:
    """A registered handler invoked through its plain Lambda entry, `handler(event, context)`: the SDK then
    talks to this server through its real boto3 client (AWS_ENDPOINT_URL_LAMBDA)."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        self._handler = handler

    def durable_invoke(
        self, event: dict[str, Any], lambda_context: Any, service_client: Any
    ) -> dict[str, Any]:
        return self._handler(json.loads(json.dumps(event)), lambda_context)


class DurableHttpServer:
    """Serves `service` over HTTP. Use `start_background()` (a thread runs the loop) or `serve()` (async).

    `host` must be an IP address (or `localhost`); a non-loopback one requires `token` (see `guard`)."""

    def __init__(
        self,
        service: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        max_workers: int = 64,
        max_connections: int = MAX_CONNECTIONS,
        request_timeout: float = 30.0,
        idle_timeout: float = 120.0,
    ) -> None:
        self.service = service
        self.host, self.port, self.token = bind_address(host), port, token
        Guard(self.host, port or 1, token)  # refuse a bad token or an open address before binding
        self.max_connections = max_connections
        self.request_timeout, self.idle_timeout = request_timeout, idle_timeout
        self._durable: set[str] = set()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="durable-mp-http")
        self._guard: Guard | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._server: asyncio.base_events.Server | None = None
        self._watcher: CompletionWatcher | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def register(self, name: str, target: Any, *, transport: str = "inprocess") -> None:
        """Register a durable handler (or a plain function) under a function name."""
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {TRANSPORTS}, got {transport!r}")
        if callable(getattr(target, "durable_invoke", None)):
            self._durable.add(name)
            handler = _HttpTransportHandler(target) if transport == "http" else target
            self.service.register_durable_function(name, handler)
        else:
            self._durable.discard(name)
            self.service.register_function(name, target)

    def use_http_transport_env(self) -> None:
        """Point this process's boto3 `lambda` clients at this server (for the `http` handler transport)."""
        os.environ.setdefault("AWS_ENDPOINT_URL_LAMBDA", self.url)
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        if self.token is not None:  # the SDK's client must present the token as its access key id
            os.environ["AWS_ACCESS_KEY_ID"] = self.token
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "durable-mp")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "durable-mp")

    # ------------------------------------------------------------------ lifecycle

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._guarded])
        for method, path, handler in routes.route_table(self._durable.__contains__):
            app.router.add_route(method, path, self._endpoint(handler))
        return app

    async def start(self) -> None:
        """Bind and start accepting (on the running loop)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopped = asyncio.Event()
        self._watcher = CompletionWatcher(self.service, loop)
        self._runner = web.AppRunner(
            self._app(),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=0.5,
            keepalive_timeout=self.idle_timeout,
            max_field_size=MAX_FIELD_BYTES,
            logger=_PROTOCOL_LOG,
        )
        await self._runner.setup()
        web_server = self._runner.server
        assert web_server is not None

        def connection() -> asyncio.BaseProtocol:
            if len(web_server.connections) >= self.max_connections:
                return _Refuse()
            return web_server()

        self._server = await loop.create_server(
            connection, self.host, self.port, backlog=1024, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._guard = Guard(self.host, self.port, self.token)

    async def serve(self) -> None:
        """Start, then serve until `stop()`."""
        if self._server is None:
            await self.start()
        assert self._stopped is not None
        await self._stopped.wait()
        await self._shutdown()

    def stop(self) -> None:
        """Ask a serving loop to stop (thread-safe)."""
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)

    async def _shutdown(self) -> None:
        assert self._server is not None and self._runner is not None
        self._server.close()
        await self._runner.cleanup()
        await self._server.wait_closed()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def start_background(self) -> DurableHttpServer:
        """Run the server on a new event loop in a daemon thread; returns once it accepts connections."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_until_complete(self.serve())
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="durable-mp-http", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def close(self) -> None:
        """Stop a background server and wait for its thread (the service is left open)."""
        self.stop()
        if self._thread is not None:
            self._thread.join(10)

    # ------------------------------------------------------------------ dispatch

    @web.middleware
    async def _guarded(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Refused requests get a 403 before anything else; aiohttp's 404 / 405 become typed errors."""
        assert self._guard is not None
        refusal = self._guard.refusal(request.headers)
        if refusal is not None:
            status, code, message = refusal
            return _error(code, message, status)
        try:
            return await handler(request)
        except web.HTTPMethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.allowed_methods))
            reply = routes.error_reply(
                "MethodNotAllowedException",
                f"{request.method} is not allowed on this path; use {allowed}",
                405,
            )
            reply.headers.append(("Allow", allowed))
            return _response(reply)
        except web.HTTPNotFound:
            return _error(
                "UnknownOperationException", f"no operation for {request.method} {request.path[:300]}", 404
            )

    def _endpoint(self, handler: routes.Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def endpoint(request: web.Request) -> web.Response:
            return await self._serve_route(handler, request)

        return endpoint

    async def _read_body(self, request: web.Request) -> bytes | web.Response:
        if not request.body_exists:
            return b""
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _error(
                "RequestTooLargeException",
                f"the request body is {request.content_length:,} bytes; the limit is {MAX_BODY_BYTES:,} bytes",
                413,
                close=True,
            )
        try:
            async with asyncio.timeout(self.request_timeout):
                return await request.read()
        except TimeoutError:
            return _error(
                "RequestTimeoutException",
                f"the request was not complete within {self.request_timeout:g} seconds",
                408,
                close=True,
            )
        except web.HTTPRequestEntityTooLarge:
            return _error(
                "RequestTooLargeException",
                f"the request body exceeds {MAX_BODY_BYTES:,} bytes",
                413,
                close=True,
            )

    async def _serve_route(self, handler: routes.Handler, request: web.Request) -> web.Response:
        body = await self._read_body(request)
        if isinstance(body, web.Response):
            return body
        param = request.match_info["param"]
        if "%" in param or "\ufffd" in param:  # left encoded: not UTF-8 (no id holds a '%')
            return _error("BadRequestException", "the request path has an invalid percent-encoding", 400)
        headers = {name.lower(): value for name, value in request.headers.items()}
        req = Request(request.method, request.path, request.query_string, headers, body)
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(self._pool, handler, self.service, req, [param])
            if isinstance(outcome, AwaitExecution):
                assert self._watcher is not None
                await self._watcher.wait(outcome.arn)
                outcome = await loop.run_in_executor(
                    self._pool, routes.invoke_reply, self.service, outcome.arn
                )
            return _response(outcome)
        except ServiceError as exc:
            return _response(routes.service_error_reply(exc))
        except RecursionError:
            return _error("InvalidRequestContentException", "the request is nested too deeply", 400)
        except Exception as exc:  # noqa: BLE001 - never a traceback to the client
            print(
                f"durable-mp serve: internal error on {request.method} {request.path}:\n"
                f"{traceback.format_exc()}",
                file=sys.stderr,
            )
            return _error("ServiceException", f"internal error: {type(exc).__name__}: {exc}", 500)


__all__ = ["MAX_BODY_BYTES", "MAX_CONNECTIONS", "TRANSPORTS", "DurableHttpServer", "new_event_loop"]
