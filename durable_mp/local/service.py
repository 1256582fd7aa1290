"""LocalDurableService: the embedded emulator of the Lambda durable execution service (contract 3).

```
 invoke / start_execution ──> Execution (ExecutionStarted) ──> invocation thread: handler.durable_invoke
                                   ^                                  │ checkpoint(arn, token, updates)
                                   │                                  v
 timers (waits, retries, ──> async completion ──(deferred while an invocation runs)──> re-invoke
 callback deadlines),        (WaitSucceeded, CallbackSucceeded, ChainedInvokeSucceeded, step READY ...)
 callbacks, child results
```

This class is the facade: public methods with the boto3 `lambda` client's names, keyword arguments and
response shapes (timestamps as datetime; the SDK-facing calls `checkpoint_durable_execution`,
`get_durable_execution_state` and `service_client()` keep operation timestamps in epoch ms). The work is
done by one collaborator per concern over one shared `core.Core` (see core.py for the map):
book.py (executions), checkpoint_calls.py (checkpoints and state pages), callbacks.py (callbacks and
timers), chained.py (chained invokes), invocations.py (invocations, crash/retry, deadline).
One lock guards all state; handlers run outside it on their own threads.

Stores and resuming. Every change is committed to the store before it is acknowledged, including a
callback sent while an invocation runs (its outcome is kept in the execution row until it is applied).
At start the service reads from its store only the unfinished executions and resumes them (book.py);
the clock is first advanced to the latest moment those executions recorded, so their timestamps never
run backwards. Any other execution is read from the store when a call names it (ARN, execution name,
callback id) and then kept in memory.

Limits (`ServiceLimits`, limits.py) are enforced on checkpoints, on the invocation response and on the
input of `invoke`/`start_execution`; `usage(arn)` reports what an execution has used. `latency=` delays
each checkpoint and state call (latency.py). A paused execution (`pause_execution`) is not invoked
until `resume_execution`; its timers and callbacks still complete operations meanwhile.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, Self

from durable_mp.local import history, ids, invoker
from durable_mp.local.book import ExecutionBook
from durable_mp.local.callbacks import Callbacks
from durable_mp.local.chained import DEFAULT_EXECUTION_TIMEOUT_S, ChainedInvokes
from durable_mp.local.checkpoint_calls import CheckpointCalls
from durable_mp.local.core import Core, function_name
from durable_mp.local.errors import invalid, not_found, too_large
from durable_mp.local.executions import TERMINAL
from durable_mp.local.invocations import Invocations, backoff_schedule
from durable_mp.local.isolation import ISOLATIONS, IsolatedHandler, handler_reference
from durable_mp.local.latency import Latency, coerce
from durable_mp.local.limits import ServiceLimits, utf8_len
from durable_mp.local.shapes import page, with_datetimes
from durable_mp.local.stores import ExecutionStore, MemoryStore

LAMBDA_MAX_INVOCATION_S = 900


class _InProcessClient:
    """Contract 1 for handlers run by this service: direct calls, no copies, no threads."""

    __slots__ = ("_state", "checkpoint")

    def __init__(self, calls: CheckpointCalls) -> None:
        self.checkpoint = calls.checkpoint
        self._state = calls.state_page

    def get_execution_state(
        self, execution_arn: str, checkpoint_token: str, marker: str | None = None, max_items: int = 1000
    ) -> dict[str, Any]:
        return self._state(execution_arn, checkpoint_token, marker, max_items)


class LocalDurableService:
    def __init__(
        self,
        *,
        store: ExecutionStore | None = None,
        skip_time: bool = False,
        invocation_timeout: float | None = None,
        max_invocation_retries: int = 6,
        retry_backoff: float | Sequence[float] = 1.0,
        region: str = ids.DEFAULT_REGION,
        account: str = ids.DEFAULT_ACCOUNT,
        limits: ServiceLimits | None = None,
        latency: Latency | float | tuple[float, float] | str | None = None,
        isolation: str = "thread",
    ) -> None:
        """`max_invocation_retries` crashed invocations in a row are retried, after the real-time delays
        of `retry_backoff`: a base in seconds (doubling, capped at 32 s: 1, 2, 4, 8, 16, 32 by default) or
        the list of delays itself. `limits`: the quotas enforced (default: Lambda's). `latency`: seconds
        (or a (low, high) range, or "10-30ms") added to each checkpoint and state call. `isolation`:
        "thread" runs each invocation on a thread of this process, "process" in its own OS process
        (isolation.py: the handler must be importable by reference)."""
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {ISOLATIONS}, got {isolation!r}")
        self.isolation = isolation
        if invocation_timeout is not None and not 0 < invocation_timeout <= LAMBDA_MAX_INVOCATION_S:
            raise ValueError(f"invocation_timeout must be in (0, 900] seconds, got {invocation_timeout!r}")
        if max_invocation_retries < 0:
            raise ValueError("max_invocation_retries must be >= 0")
        if limits is not None and not isinstance(limits, ServiceLimits):
            raise TypeError(f"limits must be a ServiceLimits, got {type(limits).__name__}")
        backoff = backoff_schedule(retry_backoff, max_invocation_retries)
        core = Core(
            store=store if store is not None else MemoryStore(),
            skip_time=skip_time,
            invocation_timeout=float(invocation_timeout or LAMBDA_MAX_INVOCATION_S),
            region=region,
            account=account,
            limits=limits or ServiceLimits(),
            latency=coerce(latency),
        )
        self._core = core
        core.book = self._book = ExecutionBook(core)
        core.checkpoints = self._calls = CheckpointCalls(core)
        core.callbacks = self._callbacks = Callbacks(core)
        core.chained = ChainedInvokes(core)
        core.invocations = self._invocations = Invocations(core, backoff)
        core.client = self._client = _InProcessClient(self._calls)
        self._lock = core.lock
        self.timer_errors = core.timer_errors
        with self._lock:
            running = core.store.load_running()
            for ex in running:
                core.executions[ex.arn] = ex  # all known before any is resumed (a parent finds its child)
            for ex in running:
                self._book.adopt(ex)
        core.timers.start()

    # ------------------------------------------------------------------ registration and lifecycle

    def service_client(self) -> _InProcessClient:
        return self._client

    @property
    def skip_time(self) -> bool:
        return self._core.clock.skip

    @property
    def limits(self) -> ServiceLimits:
        return self._core.limits

    def now_ms(self) -> int:
        return self._core.clock.now_ms()

    def register_durable_function(self, name: str, handler: Any, reference: str | None = None) -> None:
        """Register a durable handler (an object with `durable_invoke`) under a function name. With
        isolation="process", `reference` ('package.module:attr' or 'file.py:attr') is how each invocation's
        process imports it (default: the handler's module and qualified name)."""
        if not callable(getattr(handler, "durable_invoke", None)):
            raise TypeError(
                f"{name}: a durable function needs a handler with durable_invoke (use @durable_execution)"
            )
        ids.parse_function_name(name)
        if self.isolation == "process" and not isinstance(handler, IsolatedHandler):
            handler = IsolatedHandler(handler_reference(name, handler, reference))
        core = self._core
        with self._lock:
            core.plain.pop(name, None)
            core.durable[name] = handler
            for ex in core.executions.values():
                if ex.function_name == name and ex.wake_pending and not ex.paused:
                    ex.wake_pending = False
                    self._invocations.invoke(ex)

    def register_function(self, name: str, fn: Callable[..., Any]) -> None:
        """Register a plain (non-durable) function, called as `fn(event, lambda_context)`."""
        if not callable(fn):
            raise TypeError(f"{name}: a function must be callable")
        ids.parse_function_name(name)
        with self._lock:
            self._core.durable.pop(name, None)
            self._core.plain[name] = fn

    def close(self) -> None:
        """Stop timers and revoke every in-flight token; executions stay in the store for a later service."""
        core = self._core
        with self._lock:
            if core.closed:
                return
            core.closed = True
            for ex in core.executions.values():
                ex.token = None
            core.changed.notify_all()
            isolated = [h for h in core.durable.values() if isinstance(h, IsolatedHandler)]
        for handler in isolated:
            handler.close()
        core.timers.stop()
        core.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ starting executions

    def start_execution(
        self,
        function_name: str,
        payload: str | None = None,
        *,
        name: str | None = None,
        execution_timeout: int | None = None,
        tenant_id: str | None = None,
        parent: tuple[str, str] | None = None,
        asynchronous: bool = False,
    ) -> str:
        """Start a durable execution of a registered function; returns its ARN (idempotent by name).
        The input is held to the synchronous invoke limit, or the Event one if `asynchronous`."""
        core = self._core
        fn_name, _ = _function_name(function_name)
        timeout = DEFAULT_EXECUTION_TIMEOUT_S if execution_timeout is None else execution_timeout
        if type(timeout) is not int or not 1 <= timeout <= 31_622_400:
            raise invalid(f"execution timeout must be an integer from 1 to 31622400 seconds, got {timeout!r}")
        if payload is not None and not isinstance(payload, str):
            raise invalid("the execution input payload must be a JSON string")
        if payload is not None:
            self._check_input(payload, asynchronous)
        with self._lock:
            core.check_open()
            if fn_name not in core.durable:
                if fn_name in core.plain:
                    raise invalid(f"function {fn_name} is not a durable function")
                raise not_found(f"Function not found: {core.function_arn(fn_name)}")
            if name is not None:
                try:
                    ids.check_execution_name(name)
                except ValueError as exc:
                    raise invalid(str(exc)) from None
                arn = core.store.find(fn_name, name)
                if arn is not None:
                    return arn
            ex = self._book.create(
                fn_name, payload, name or ids.new_execution_name(), timeout, tenant_id, parent
            )
            self._invocations.invoke(ex)
            return ex.arn

    def _check_input(self, payload: str, asynchronous: bool) -> None:
        limits = self._core.limits
        limit = limits.max_async_input_bytes if asynchronous else limits.max_sync_input_bytes
        size = utf8_len(payload)
        if size > limit:
            kind = "an asynchronous (Event)" if asynchronous else "a synchronous"
            raise too_large(
                f"the invocation payload is {size:,} bytes; the limit is {limit:,} bytes for {kind} invoke"
            )

    def invoke(
        self,
        FunctionName: str,
        Payload: bytes | str | None = None,
        InvocationType: str = "RequestResponse",
        DurableExecutionName: str | None = None,
        Qualifier: str | None = None,
        TenantId: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """Lambda Invoke: starts a durable execution (or calls a plain function) like the real API."""
        if InvocationType not in ("RequestResponse", "Event", "DryRun"):
            raise invalid(f"InvocationType must be RequestResponse, Event or DryRun, got {InvocationType!r}")
        payload = Payload.decode("utf-8") if isinstance(Payload, (bytes, bytearray)) else Payload
        fn_name, _ = _function_name(FunctionName)
        with self._lock:
            plain = self._core.plain.get(fn_name)
        if plain is not None:
            context = self._core.context(fn_name, ids.request_id(), TenantId)
            result, error = invoker.call_plain(plain, payload, context)
            body = (
                result
                if error is None
                else json.dumps({"errorType": error["ErrorType"], "errorMessage": error["ErrorMessage"]})
            )
            out = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": (body or "null").encode()}
            if error is not None:
                out["FunctionError"] = "Unhandled"
            return out
        if InvocationType == "DryRun":
            _function_name(FunctionName)
            return {"StatusCode": 204}
        arn = self.start_execution(
            fn_name,
            payload,
            name=DurableExecutionName,
            tenant_id=TenantId,
            asynchronous=InvocationType == "Event",
        )
        if InvocationType == "Event":
            return {"StatusCode": 202, "DurableExecutionArn": arn}
        final = self.wait_for_execution(arn, timeout=LAMBDA_MAX_INVOCATION_S)
        out = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "DurableExecutionArn": arn}
        if final["Status"] == "SUCCEEDED":
            out["Payload"] = (final.get("Result") or "null").encode()
        else:
            error = final.get("Error") or {}
            out["FunctionError"] = "Unhandled"
            out["Payload"] = json.dumps(
                {"errorType": error.get("ErrorType"), "errorMessage": error.get("ErrorMessage")}
            ).encode()
        return out

    def wait_for_execution(self, arn: str, timeout: float | None = None) -> dict[str, Any]:
        """Block until the execution ends (GetDurableExecution shape); TimeoutError after `timeout` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            ex = self._book.get(arn)
            while ex.running:
                self._core.check_open()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"execution {arn} still RUNNING after {timeout} s")
                self._core.changed.wait(remaining)
            described: dict[str, Any] = with_datetimes(ex.describe())
            return described

    def wait_until(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Block until `predicate()` (evaluated under the service lock after each invocation ends or an
        execution finishes) is true; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not predicate():
                self._core.check_open()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._core.changed.wait(remaining)
            return True

    def events(self, arn: str) -> list[dict[str, Any]]:
        """The execution's history as stored (epoch-ms timestamps; read-only). Like `status`, it may be
        called in a `wait_until` predicate (under the lock) for an execution this service holds."""
        return self._book.held(arn).events

    def operations(self, arn: str) -> list[dict[str, Any]]:
        """The execution's operations in start order (epoch-ms timestamps; read-only)."""
        with self._lock:
            return list(self._book.get(arn).ops.values())

    def status(self, arn: str) -> str:
        return self._book.held(arn).status

    # ------------------------------------------------------------------ contract 1: checkpoints and state

    def checkpoint_durable_execution(
        self,
        DurableExecutionArn: str,
        CheckpointToken: str,
        Updates: list[dict[str, Any]] | None = None,
        ClientToken: str | None = None,
    ) -> dict[str, Any]:
        return self._calls.checkpoint(DurableExecutionArn, CheckpointToken, Updates or [])

    def get_durable_execution_state(
        self,
        DurableExecutionArn: str,
        CheckpointToken: str,
        Marker: str | None = None,
        MaxItems: int | None = None,
    ) -> dict[str, Any]:
        return self._calls.state_page(DurableExecutionArn, CheckpointToken, Marker, MaxItems or 1000)

    # ------------------------------------------------------------------ the read API

    def get_durable_execution(self, DurableExecutionArn: str) -> dict[str, Any]:
        with self._lock:
            described: dict[str, Any] = with_datetimes(self._book.get(DurableExecutionArn).describe())
            return described

    def usage(self, arn: str) -> dict[str, int]:
        """What the execution has used of its quotas: `Operations` (distinct operation ids),
        `MeteredOperations` (retries and polls included), `PayloadBytesWritten`, and the limits."""
        with self._lock:
            ex = self._book.get(arn)
            return self._book.usage(ex).as_dict(self._core.limits)

    def get_durable_execution_history(
        self,
        DurableExecutionArn: str,
        IncludeExecutionData: bool = False,
        MaxItems: int | None = None,
        Marker: str | None = None,
        ReverseOrder: bool = False,
    ) -> dict[str, Any]:
        with self._lock:
            events = list(self._book.get(DurableExecutionArn).events)
        if ReverseOrder:
            events.reverse()
        items, next_marker = page(events, Marker, MaxItems)
        if not IncludeExecutionData:
            items = [history.strip_data(e) for e in items]
        out: dict[str, Any] = {"Events": with_datetimes(items)}
        if next_marker:
            out["NextMarker"] = next_marker
        return out

    def list_durable_executions_by_function(
        self,
        FunctionName: str,
        Qualifier: str | None = None,
        DurableExecutionName: str | None = None,
        Statuses: list[str] | None = None,
        StartedAfter: Any = None,
        StartedBefore: Any = None,
        ReverseOrder: bool = False,
        Marker: str | None = None,
        MaxItems: int | None = None,
    ) -> dict[str, Any]:
        fn_name, _ = _function_name(FunctionName)
        found = self._book.list_by_function(
            fn_name, DurableExecutionName, Statuses, StartedAfter, StartedBefore
        )
        if ReverseOrder:  # stores list executions in start order
            found.reverse()
        items, next_marker = page(found, Marker, MaxItems)
        out: dict[str, Any] = {"DurableExecutions": with_datetimes(items)}
        if next_marker:
            out["NextMarker"] = next_marker
        return out

    def stop_durable_execution(
        self, DurableExecutionArn: str, Error: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        with self._lock:
            ex = self._book.get(DurableExecutionArn)
            if not ex.running:
                raise invalid(f"durable execution {DurableExecutionArn} is already {ex.status}")
            now = self._core.clock.now_ms()
            self._book.finish(ex, "STOPPED", error=Error)
            stopped: dict[str, Any] = with_datetimes({"StopTimestamp": now})
            return stopped

    def pause_execution(self, arn: str, timeout: float = 60) -> None:
        """Invoke the execution no more until `resume_execution`, and wait (at most `timeout` real
        seconds, else TimeoutError; the pause stays) until no invocation of it runs. A running
        invocation's next checkpoint is accepted but answered without a token, so the SDK ends that
        invocation as PENDING; an invocation that comes due meanwhile is held back. Timers and
        callbacks still complete operations. A finished execution is left as it is. Not kept in the store."""
        if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
            raise ValueError("timeout must be finite and positive")
        deadline = time.monotonic() + timeout
        core = self._core
        with self._lock:
            ex = self._book.get(arn)
            if ex.running:
                ex.paused = True
            while ex.inflight is not None:
                core.check_open()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"execution {arn} did not become idle within {timeout:g} seconds of the pause "
                        "request; it stays paused"
                    )
                core.changed.wait(remaining)

    def resume_execution(self, arn: str) -> None:
        """Undo `pause_execution`: the invocation held back meanwhile, if any, starts now."""
        with self._lock:
            ex = self._book.get(arn)
            if not ex.paused or not ex.running:
                return
            ex.paused = False
            if ex.wake_pending and ex.function_name in self._core.durable:
                ex.wake_pending = False
                self._invocations.invoke(ex)

    # ------------------------------------------------------------------ callbacks

    def send_durable_execution_callback_success(
        self, CallbackId: str, Result: bytes | str | None = None
    ) -> dict[str, Any]:
        result: str | None
        if isinstance(Result, (bytes, bytearray)):
            try:
                result = bytes(Result).decode("utf-8")
            except UnicodeDecodeError:
                raise invalid("Result must be UTF-8 encoded") from None
        elif Result is None or isinstance(Result, str):
            result = Result
        else:
            raise invalid(f"Result must be bytes or str, got {type(Result).__name__}")
        limit = self._core.limits.max_operation_payload_bytes
        if result is not None and utf8_len(result) > limit:
            raise invalid(f"Result exceeds the callback result limit of {limit:,} bytes")
        self._callbacks.send(CallbackId, "SUCCEEDED", result, None)
        return {}

    def send_durable_execution_callback_failure(
        self, CallbackId: str, Error: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if Error is not None and not isinstance(Error, dict):
            raise invalid("Error must be an ErrorObject dict")
        self._callbacks.send(CallbackId, "FAILED", None, Error)
        return {}

    def send_durable_execution_callback_heartbeat(self, CallbackId: str) -> dict[str, Any]:
        self._callbacks.heartbeat(CallbackId)
        return {}

    def resume(self) -> list[str]:
        """The ARNs of running executions (those adopted from the store are already resumed)."""
        with self._lock:
            return [ex.arn for ex in self._core.executions.values() if ex.running]


_function_name = function_name

__all__ = ["TERMINAL", "LocalDurableService"]
