"""The HTTP emulator: the Lambda durable execution API (and Invoke) over HTTP/1.1, on the local service.

```
 client ──TCP──> _Connection (asyncio.Protocol, event loop thread)
                   │ parse request line, headers, Content-Length body (keep-alive, pipelining in order)
                   v
                 routes.match ──> route(service, request) on the thread pool ──> Reply ──> bytes out
                                    │ synchronous Invoke of a durable function returns AwaitExecution
                                    v
                 _CompletionWatcher (one thread, blocked in service.wait_until) resolves a future
                                    when the execution ends ──> routes.invoke_reply on the pool
```

The loop thread only parses and writes; every facade call runs on the pool, and no pool thread waits
for an execution to end, so hundreds of connections and executions can be in flight at once (a handler
using the `http` transport checkpoints through this same server while its Invoke is pending).

Malformed input never gets a traceback or a silent hang: a broken request line or header, an unsupported
`Transfer-Encoding`, an oversized head or body, a request not finished within `request_timeout` seconds,
each get a typed 4xx error (`x-amzn-ErrorType`) naming the problem, and the connection is closed.
Unexpected exceptions in a route answer 500 ServiceException and are logged to stderr.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http
import json
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from durable_mp.local import routes
from durable_mp.local.routes import AwaitExecution, Reply, Request
from durable_mp.service.client import ServiceError

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 6 * 1024 * 1024 + 64 * 1024
TRANSPORTS = ("inprocess", "http")
_REASONS = {status.value: status.phrase for status in http.HTTPStatus}
_METHOD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop where uvloop is installed, else the standard one."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class _BadRequest(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.reply = routes.error_reply(code, message, status)


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str], bool]:
    """(method, path, query, headers, keep_alive) of a request head (without the blank line)."""
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
        raise _BadRequest(400, "BadRequestException", "the request head is not latin-1 text") from None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0] or not set(parts[0]) <= _METHOD_CHARS or not parts[1]:
        raise _BadRequest(400, "BadRequestException", f"malformed request line: {lines[0][:200]!r}")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise _BadRequest(
            505,
            "HttpVersionNotSupportedException",
            f"unsupported HTTP version {version[:20]!r}; use HTTP/1.1",
        )
    if not target.startswith("/"):
        raise _BadRequest(
            400, "BadRequestException", f"the request target must be a path, got {target[:200]!r}"
        )
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or " " in name:
            raise _BadRequest(400, "BadRequestException", f"malformed header line: {line[:200]!r}")
        key = name.lower()
        value = value.strip()
        if key == "content-length" and key in headers and headers[key] != value:
            raise _BadRequest(400, "BadRequestException", "conflicting Content-Length headers")
        headers[key] = value
    connection = headers.get("connection", "").lower()
    keep_alive = ("close" not in connection) if version == "HTTP/1.1" else ("keep-alive" in connection)
    path, _, query = target.partition("?")
    return method, path, query, headers, keep_alive


def _content_length(headers: dict[str, str]) -> int:
    if "transfer-encoding" in headers:
        raise _BadRequest(
            411,
            "LengthRequiredException",
            f"Transfer-Encoding {headers['transfer-encoding'][:40]!r} is not supported; send Content-Length",
        )
    raw = headers.get("content-length")
    if raw is None:
        return 0
    if not raw.isdigit() or len(raw) > 12:
        raise _BadRequest(
            400, "BadRequestException", f"Content-Length must be a non-negative integer, got {raw[:40]!r}"
        )
    length = int(raw)
    if length > MAX_BODY_BYTES:
        raise _BadRequest(
            413,
            "RequestTooLargeException",
            f"the request body is {length:,} bytes; the limit is {MAX_BODY_BYTES:,} bytes",
        )
    return length


def _encode_reply(reply: Reply, keep_alive: bool) -> bytes:
    lines = [
        f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Unknown')}",
        f"Content-Type: {reply.content_type}",
        f"Content-Length: {len(reply.body)}",
        f"x-amzn-RequestId: {uuid.uuid4()}",
        "Connection: keep-alive" if keep_alive else "Connection: close",
    ]
    lines.extend(f"{name}: {value}" for name, value in reply.headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + reply.body


class _Connection(asyncio.Protocol):
    """One client connection: requests are parsed from the buffer and answered one at a time, in order."""

    def __init__(self, server: DurableHttpServer) -> None:
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._head: tuple[str, str, str, dict[str, str], bool] | None = None
        self._body_at = 0
        self._length = 0
        self._busy = False
        self._closing = False
        self._timer: asyncio.TimerHandle | None = None
        self._paused = False

    # ------------------------------------------------------------------ transport events

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._server._connections.add(self)
        self._arm(self._server.idle_timeout, self._idle_expired)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._server._connections.discard(self)
        self._cancel_timer()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        if not self._buf and not self._busy:
            self._arm(self._server.request_timeout, self._request_expired)
        self._buf += data
        if not self._busy:
            self._advance()
        elif len(self._buf) > MAX_HEAD_BYTES + MAX_BODY_BYTES and not self._paused:
            self._paused = True
            self._transport.pause_reading()  # type: ignore[union-attr]

    # ------------------------------------------------------------------ parsing

    def _advance(self) -> None:
        """Parse the next request from the buffer and dispatch it once it is complete."""
        try:
            if self._head is None:
                end = self._buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buf) > MAX_HEAD_BYTES:
                        raise _BadRequest(
                            431,
                            "RequestHeaderFieldsTooLargeException",
                            f"the request head exceeds {MAX_HEAD_BYTES:,} bytes",
                        )
                    return
                if end > MAX_HEAD_BYTES:
                    raise _BadRequest(
                        431,
                        "RequestHeaderFieldsTooLargeException",
                        f"the request head exceeds {MAX_HEAD_BYTES:,} bytes",
                    )
                self._head = _parse_head(bytes(self._buf[:end]))
                self._length = _content_length(self._head[3])
                self._body_at = end + 4
                if (
                    self._length
                    and self._head[3].get("expect", "").lower() == "100-continue"
                    and len(self._buf) < self._body_at + self._length
                ):
                    self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # type: ignore[union-attr]
        except _BadRequest as exc:
            self._fail(exc.reply)
            return
        end = self._body_at + self._length
        if len(self._buf) < end:
            return
        method, path, query, headers, keep_alive = self._head
        request = Request(method, path, query, headers, bytes(self._buf[self._body_at : end]))
        del self._buf[:end]
        self._head = None
        self._busy = True
        self._cancel_timer()
        self._server._spawn(self._serve(request, keep_alive))

    async def _serve(self, request: Request, keep_alive: bool) -> None:
        reply = await self._server._dispatch(request)
        if self._closing:
            return
        self._transport.write(_encode_reply(reply, keep_alive))  # type: ignore[union-attr]
        self._busy = False
        if not keep_alive:
            self._close()
            return
        if self._paused:
            self._paused = False
            self._transport.resume_reading()  # type: ignore[union-attr]
        if self._buf:
            self._arm(self._server.request_timeout, self._request_expired)
            self._advance()
        else:
            self._arm(self._server.idle_timeout, self._idle_expired)

    # ------------------------------------------------------------------ endings

    def _fail(self, reply: Reply) -> None:
        if self._transport is not None and not self._closing:
            self._transport.write(_encode_reply(reply, False))
        self._close()

    def _close(self) -> None:
        self._closing = True
        self._cancel_timer()
        if self._transport is not None:
            self._transport.close()

    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        self._cancel_timer()
        self._timer = asyncio.get_running_loop().call_later(seconds, callback)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _idle_expired(self) -> None:
        if not self._busy:
            self._close()

    def _request_expired(self) -> None:
        if not self._busy:
            self._fail(
                routes.error_reply(
                    "RequestTimeoutException",
                    f"the request was not complete within {self._server.request_timeout:g} seconds",
                    408,
                )
            )


class _CompletionWatcher:
    """Resolves asyncio futures when executions end, from one thread blocked in `service.wait_until`."""

    def __init__(self, service: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._service = service
        self._loop = loop
        self._guard = threading.Lock()
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._thread: threading.Thread | None = None

    def wait(self, arn: str) -> asyncio.Future[None]:
        """A future (of the loop) done once execution `arn` is no longer RUNNING. Call on the loop thread."""
        future: asyncio.Future[None] = self._loop.create_future()
        with self._guard:
            self._waiting.setdefault(arn, []).append(future)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="durable-mp-http-watcher", daemon=True)
                self._thread.start()
        if self._service.status(arn) != "RUNNING":  # ended before we were registered: no wake-up will come
            self._resolve([arn])
        return future

    def _run(self) -> None:
        ended: list[str] = []

        def any_ended() -> bool:
            with self._guard:
                ended.extend(arn for arn in self._waiting if self._service.status(arn) != "RUNNING")
            return bool(ended)

        while True:
            try:
                self._service.wait_until(any_ended)
            except ServiceError:  # the service closed
                return
            self._resolve(ended)
            ended.clear()

    def _resolve(self, arns: list[str]) -> None:
        with self._guard:
            futures = [f for arn in arns for f in self._waiting.pop(arn, ())]
        if futures:
            self._loop.call_soon_threadsafe(self._set, futures)

    @staticmethod
    def _set(futures: list[asyncio.Future[None]]) -> None:
        for future in futures:
            if not future.done():
                future.set_result(None)


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
    """Serves `service` over HTTP. Use `start_background()` (a thread runs the loop) or `serve()` (async)."""

    def __init__(
        self,
        service: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_workers: int = 64,
        request_timeout: float = 30.0,
        idle_timeout: float = 120.0,
    ) -> None:
        self.service = service
        self.host, self.port = host, port
        self.request_timeout, self.idle_timeout = request_timeout, idle_timeout
        self._durable: set[str] = set()
        self._routes = routes.route_table(self._durable.__contains__)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="durable-mp-http")
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._watcher: _CompletionWatcher | None = None
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
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "durable-mp")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "durable-mp")

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind and start accepting (on the running loop)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopped = asyncio.Event()
        self._watcher = _CompletionWatcher(self.service, loop)
        self._server = await loop.create_server(
            lambda: _Connection(self), self.host, self.port, backlog=1024, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

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
        assert self._server is not None
        self._server.close()
        for conn in list(self._connections):
            conn._close()
        await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
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

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dispatch(self, request: Request) -> Reply:
        try:
            found = routes.match(self._routes, request.method, request.path)
        except UnicodeDecodeError:
            return routes.error_reply(
                "BadRequestException", "the request path has an invalid percent-encoding", 400
            )
        if found is None:
            return routes.error_reply(
                "UnknownOperationException", f"no operation for {request.method} {request.path[:300]}", 404
            )
        handler, args = found
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(self._pool, handler, self.service, request, args)
            if isinstance(outcome, AwaitExecution):
                assert self._watcher is not None
                await self._watcher.wait(outcome.arn)
                outcome = await loop.run_in_executor(
                    self._pool, routes.invoke_reply, self.service, outcome.arn
                )
            return outcome
        except ServiceError as exc:
            return routes.service_error_reply(exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback to the client
            print(
                f"durable-mp serve: internal error on {request.method} {request.path}:\n"
                f"{traceback.format_exc()}",
                file=sys.stderr,
            )
            return routes.error_reply("ServiceException", f"internal error: {type(exc).__name__}: {exc}", 500)


__all__ = ["MAX_BODY_BYTES", "MAX_HEAD_BYTES", "TRANSPORTS", "DurableHttpServer", "new_event_loop"]
