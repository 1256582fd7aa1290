"""LocalDurableService: the embedded emulator of the Lambda durable execution service (contract 3).

```
 invoke / start_execution ──> Execution (ExecutionStarted) ──> invocation thread: handler.durable_invoke
                                   ^                                  │ checkpoint(arn, token, updates)
                                   │                                  v
 timers (waits, retries, ──> async completion ──(deferred while an invocation runs)──> re-invoke
 callback deadlines),        (WaitSucceeded, CallbackSucceeded, ChainedInvokeSucceeded, step READY ...)
 callbacks, child results
```

One lock guards all state; checkpoints, timer actions and API calls take it, handlers run outside it on
their own threads. Per execution at most one invocation is in flight; completions that arrive meanwhile
are applied after its InvocationCompleted, in arrival order, and then the next invocation starts.
A crashed invocation (durable_invoke raised, or overran `invocation_timeout`) is recorded with its error
and retried with exponential back-off, at most `max_invocation_retries` times in a row.

Stores and resuming. Every change is committed to the store before it is acknowledged, including a
callback sent while an invocation runs (its outcome is kept in the execution row until it is applied).
At start the service reads from its store only the unfinished executions and resumes them: an
invocation cut off by the end of the last service is recorded as crashed, callbacks sent meanwhile are
applied, timers are re-armed, and one invocation replays whatever happened. The clock is first advanced
to the latest moment those executions recorded, so their timestamps never run backwards (a skipping
clock's offset is not saved: the history already holds where it had got to). Any other execution is
read from the store when a call names it (ARN, execution name, callback id) and then kept in memory.

Public methods use the boto3 `lambda` client's names, keyword arguments and response shapes
(timestamps as datetime). The SDK-facing calls, `checkpoint_durable_execution`,
`get_durable_execution_state` and `service_client()`, keep operation timestamps in epoch ms.
"""

from __future__ import annotations

import datetime
import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Self

from durable_mp.local import history, ids, invoker
from durable_mp.local.checkpoints import MAX_PAYLOAD_BYTES, apply_batch
from durable_mp.local.clock import Clock
from durable_mp.local.errors import callback_timed_out, invalid, not_found, service_error
from durable_mp.local.executions import TERMINAL, CallbackWatch, Execution, Invocation
from durable_mp.local.lambda_context import LambdaContext
from durable_mp.local.shapes import page, to_ms, with_datetimes
from durable_mp.local.stores import ExecutionStore, MemoryStore
from durable_mp.local.timers import NEVER, TimerQueue

LAMBDA_MAX_INVOCATION_S = 900
DEFAULT_EXECUTION_TIMEOUT_S = 86_400
_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED")


class _InProcessClient:
    """Contract 1 for handlers run by this service: direct calls, no copies, no threads."""

    __slots__ = ("_state", "checkpoint")

    def __init__(self, service: LocalDurableService) -> None:
        self.checkpoint = service._checkpoint
        self._state = service._state_page

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
        max_invocation_retries: int = 5,
        retry_backoff: float = 1.0,
        region: str = ids.DEFAULT_REGION,
        account: str = ids.DEFAULT_ACCOUNT,
    ) -> None:
        if invocation_timeout is not None and not 0 < invocation_timeout <= LAMBDA_MAX_INVOCATION_S:
            raise ValueError(f"invocation_timeout must be in (0, 900] seconds, got {invocation_timeout!r}")
        if max_invocation_retries < 0 or retry_backoff <= 0:
            raise ValueError("max_invocation_retries must be >= 0 and retry_backoff > 0")
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._clock = Clock(skip=skip_time)
        self._timers = TimerQueue(self._clock, self._lock, self._is_idle, self._timer_failed)
        self._mint = ids.TokenMint()
        self._store: ExecutionStore = store if store is not None else MemoryStore()
        self._invocation_timeout = float(invocation_timeout or LAMBDA_MAX_INVOCATION_S)
        self._max_retries = max_invocation_retries
        self._backoff = retry_backoff
        self._region, self._account = region, account
        self._executions: dict[str, Execution] = {}
        self._callbacks: dict[str, tuple[Execution, str]] = {}
        self._durable: dict[str, Any] = {}
        self._plain: dict[str, Callable[..., Any]] = {}
        self._busy = 0
        self._closed = False
        self.timer_errors: list[BaseException] = []
        self._client = _InProcessClient(self)
        with self._lock:
            running = self._store.load_running()
            for ex in running:
                self._executions[ex.arn] = ex  # all known before any is resumed (a parent finds its child)
            for ex in running:
                self._adopt(ex)
        self._timers.start()

    # ------------------------------------------------------------------ registration and lifecycle

    def service_client(self) -> _InProcessClient:
        return self._client

    @property
    def skip_time(self) -> bool:
        return self._clock.skip

    def now_ms(self) -> int:
        return self._clock.now_ms()

    def register_durable_function(self, name: str, handler: Any) -> None:
        """Register a durable handler (an object with `durable_invoke`) under a function name."""
        if not callable(getattr(handler, "durable_invoke", None)):
            raise TypeError(
                f"{name}: a durable function needs a handler with durable_invoke (use @durable_execution)"
            )
        ids.parse_function_name(name)
        with self._lock:
            self._plain.pop(name, None)
            self._durable[name] = handler
            for ex in self._executions.values():
                if ex.function_name == name and ex.wake_pending:
                    ex.wake_pending = False
                    self._invoke(ex)

    def register_function(self, name: str, fn: Callable[..., Any]) -> None:
        """Register a plain (non-durable) function, called as `fn(event, lambda_context)`."""
        if not callable(fn):
            raise TypeError(f"{name}: a function must be callable")
        ids.parse_function_name(name)
        with self._lock:
            self._durable.pop(name, None)
            self._plain[name] = fn

    def close(self) -> None:
        """Stop timers and revoke every in-flight token; executions stay in the store for a later service."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for ex in self._executions.values():
                ex.token = None
            self._changed.notify_all()
        self._timers.stop()
        self._store.close()

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
    ) -> str:
        """Start a durable execution of a registered function; returns its ARN (idempotent by name)."""
        fn_name, _ = self._function_name(function_name)
        timeout = DEFAULT_EXECUTION_TIMEOUT_S if execution_timeout is None else execution_timeout
        if type(timeout) is not int or not 1 <= timeout <= 31_622_400:
            raise invalid(f"execution timeout must be an integer from 1 to 31622400 seconds, got {timeout!r}")
        if payload is not None and not isinstance(payload, str):
            raise invalid("the execution input payload must be a JSON string")
        with self._lock:
            self._check_open()
            if fn_name not in self._durable:
                if fn_name in self._plain:
                    raise invalid(f"function {fn_name} is not a durable function")
                raise not_found(
                    f"Function not found: {ids.function_arn(fn_name, self._region, self._account)}"
                )
            if name is not None:
                try:
                    ids.check_execution_name(name)
                except ValueError as exc:
                    raise invalid(str(exc)) from None
                arn = self._store.find(fn_name, name)
                if arn is not None:
                    return arn
            ex = self._create(fn_name, payload, name or ids.new_execution_name(), timeout, tenant_id, parent)
            self._invoke(ex)
            return ex.arn

    def _create(
        self,
        fn_name: str,
        payload: str | None,
        name: str,
        timeout: int,
        tenant_id: str | None,
        parent: tuple[str, str] | None,
    ) -> Execution:
        fn_arn = ids.function_arn(fn_name, self._region, self._account)
        arn, op_id = ids.execution_arn(fn_arn, name)
        now = self._clock.now_ms()
        ex = Execution(
            arn=arn,
            name=name,
            function_name=fn_name,
            function_arn=fn_arn,
            input_payload=payload if payload is not None else "{}",
            start_ms=now,
            timeout_s=timeout,
            tenant_id=tenant_id,
            parent_arn=parent[0] if parent else None,
            parent_op_id=parent[1] if parent else None,
            real_start=time.time(),
        )
        ex.ops[op_id] = {
            "Id": op_id,
            "Type": "EXECUTION",
            "Status": "STARTED",
            "StartTimestamp": now,
            "ExecutionDetails": {"InputPayload": ex.input_payload},
        }
        history.execution_started(ex)
        self._executions[arn] = ex
        self._store.create(ex)
        self._arm_deadline(ex)
        return ex

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
        fn_name, _ = self._function_name(FunctionName)
        with self._lock:
            plain = self._plain.get(fn_name)
        if plain is not None:
            context = self._context(fn_name, ids.request_id(), TenantId)
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
            self._function_name(FunctionName)
            return {"StatusCode": 204}
        arn = self.start_execution(fn_name, payload, name=DurableExecutionName, tenant_id=TenantId)
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
            ex = self._get(arn)
            while ex.running:
                self._check_open()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"execution {arn} still RUNNING after {timeout} s")
                self._changed.wait(remaining)
            return with_datetimes(ex.describe())

    def wait_until(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Block until `predicate()` (evaluated under the service lock after each invocation ends or an
        execution finishes) is true; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not predicate():
                self._check_open()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def events(self, arn: str) -> list[dict[str, Any]]:
        """The execution's history as stored (epoch-ms timestamps; read-only). Like `status`, it may be
        called in a `wait_until` predicate (under the lock) for an execution this service holds."""
        return self._held(arn).events

    def operations(self, arn: str) -> list[dict[str, Any]]:
        """The execution's operations in start order (epoch-ms timestamps; read-only)."""
        with self._lock:
            return list(self._get(arn).ops.values())

    def status(self, arn: str) -> str:
        return self._held(arn).status

    # ------------------------------------------------------------------ contract 1: checkpoints and state

    def _checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> dict[str, Any]:
        with self._lock:
            ex = self._find(execution_arn)
            if ex is None:
                raise not_found(f"durable execution {execution_arn} does not exist")
            if checkpoint_token != ex.token or checkpoint_token is None:
                last = ex.last_checkpoint
                if last is not None and last[0] == checkpoint_token and last[1] == updates:
                    return last[2]
                if not ex.running:
                    raise invalid(
                        f"durable execution {execution_arn} is {ex.status}; it accepts no checkpoints"
                    )
                raise invalid(
                    "Invalid checkpoint token: it was already used or has been revoked. "
                    "Use the CheckpointToken of the latest response."
                )
            now = self._clock.now_ms()
            events_from = len(ex.events)
            changed, effects = apply_batch(ex, updates, now)
            execution_changed = False
            if effects:
                execution_changed = self._apply_effects(ex, effects, now)
            token = (
                None if ex.token is None or ex.paused else self._mint.token(ex.inflight.token_prefix)  # type: ignore[union-attr]
            )
            ex.token = token
            self._store.commit(ex, changed, events_from, execution_changed)
            state: dict[str, Any] = {"Operations": changed, "NextMarker": None}
            response = (
                {"CheckpointToken": token, "NewExecutionState": state}
                if token
                else {"NewExecutionState": state}
            )
            ex.last_checkpoint = (checkpoint_token, updates, response)
            return response

    def _state_page(self, arn: str, token: str, marker: str | None, max_items: int) -> dict[str, Any]:
        with self._lock:
            ex = self._find(arn)
            if ex is None:
                raise not_found(f"durable execution {arn} does not exist")
            inflight = ex.inflight
            if (
                inflight is None
                or not token
                or not isinstance(token, str)
                or not token.startswith(inflight.token_prefix)
                or ex.token is None
            ):
                raise invalid("Invalid checkpoint token: it does not belong to the running invocation")
            items, next_marker = page(list(ex.ops.values()), marker, max_items)
            return {"Operations": items, "NextMarker": next_marker}

    def checkpoint_durable_execution(
        self,
        DurableExecutionArn: str,
        CheckpointToken: str,
        Updates: list[dict[str, Any]] | None = None,
        ClientToken: str | None = None,
    ) -> dict[str, Any]:
        return self._checkpoint(DurableExecutionArn, CheckpointToken, Updates or [])

    def get_durable_execution_state(
        self,
        DurableExecutionArn: str,
        CheckpointToken: str,
        Marker: str | None = None,
        MaxItems: int | None = None,
    ) -> dict[str, Any]:
        return self._state_page(DurableExecutionArn, CheckpointToken, Marker, MaxItems or 1000)

    # ------------------------------------------------------------------ the read API

    def get_durable_execution(self, DurableExecutionArn: str) -> dict[str, Any]:
        with self._lock:
            return with_datetimes(self._get(DurableExecutionArn).describe())

    def get_durable_execution_history(
        self,
        DurableExecutionArn: str,
        IncludeExecutionData: bool = False,
        MaxItems: int | None = None,
        Marker: str | None = None,
        ReverseOrder: bool = False,
    ) -> dict[str, Any]:
        with self._lock:
            events = list(self._get(DurableExecutionArn).events)
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
        fn_name, _ = self._function_name(FunctionName)
        for status in Statuses or ():
            if status not in _STATUSES:
                raise invalid(f"Statuses: {status!r} is not one of {', '.join(_STATUSES)}")
        after = to_ms(StartedAfter, "StartedAfter") if StartedAfter is not None else None
        before = to_ms(StartedBefore, "StartedBefore") if StartedBefore is not None else None
        with self._lock:
            every = self._store.summaries(fn_name)
            if fn_name not in self._durable and fn_name not in self._plain and not every:
                raise not_found(
                    f"Function not found: {ids.function_arn(fn_name, self._region, self._account)}"
                )
        found = [
            item
            for item in every
            if (DurableExecutionName is None or item["DurableExecutionName"] == DurableExecutionName)
            and (not Statuses or item["Status"] in Statuses)
            and (after is None or item["StartTimestamp"] >= after)
            and (before is None or item["StartTimestamp"] <= before)
        ]
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
            ex = self._get(DurableExecutionArn)
            if not ex.running:
                raise invalid(f"durable execution {DurableExecutionArn} is already {ex.status}")
            now = self._clock.now_ms()
            self._finish(ex, "STOPPED", error=Error)
            return with_datetimes({"StopTimestamp": now})

    # ------------------------------------------------------------------ callbacks

    def send_durable_execution_callback_success(
        self, CallbackId: str, Result: bytes | str | None = None
    ) -> dict[str, Any]:
        if isinstance(Result, (bytes, bytearray)):
            try:
                result = bytes(Result).decode("utf-8")
            except UnicodeDecodeError:
                raise invalid("Result must be UTF-8 encoded") from None
        elif Result is None or isinstance(Result, str):
            result = Result
        else:
            raise invalid(f"Result must be bytes or str, got {type(Result).__name__}")
        if result is not None and len(result.encode("utf-8")) > MAX_PAYLOAD_BYTES:
            raise invalid("Result exceeds the callback result limit of 262,144 bytes")
        self._send_callback(CallbackId, "SUCCEEDED", result, None)
        return {}

    def send_durable_execution_callback_failure(
        self, CallbackId: str, Error: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if Error is not None and not isinstance(Error, dict):
            raise invalid("Error must be an ErrorObject dict")
        self._send_callback(CallbackId, "FAILED", None, Error)
        return {}

    def send_durable_execution_callback_heartbeat(self, CallbackId: str) -> dict[str, Any]:
        with self._lock:
            ex, watch = self._open_watch(CallbackId)
            if watch.heartbeat_s:
                watch.heartbeat_at = self._clock.now_ms() + watch.heartbeat_s * 1000
                self._arm_callback(ex, CallbackId, watch)
                self._store.commit(ex, (), len(ex.events), True)
        return {}

    def _open_watch(self, callback_id: str) -> tuple[Execution, CallbackWatch]:
        self._check_open()
        if not isinstance(callback_id, str) or not callback_id:
            raise invalid("CallbackId is required")
        entry = self._callbacks.get(callback_id)
        if entry is None:
            arn = self._store.find_callback(callback_id)
            if arn is not None and self._find(arn) is not None:
                entry = self._callbacks.get(callback_id)
        if entry is None:
            raise not_found(f"callback {callback_id} does not exist")
        ex, op_id = entry
        watch = ex.callbacks.get(callback_id)
        if watch is None:
            status = ex.ops[op_id]["Status"]
            if status == "TIMED_OUT" or (status == "STARTED" and not ex.running):
                raise callback_timed_out(f"callback {callback_id} has timed out or its execution has ended")
            raise invalid(f"callback {callback_id} has already completed")
        return ex, watch

    def _send_callback(
        self, callback_id: str, status: str, result: str | None, error: dict[str, Any] | None
    ) -> None:
        with self._lock:
            ex, watch = self._open_watch(callback_id)
            self._close_callback(ex, callback_id, watch, status, result, error)

    def _close_callback(
        self,
        ex: Execution,
        callback_id: str,
        watch: CallbackWatch,
        status: str,
        result: str | None,
        error: dict[str, Any] | None,
    ) -> None:
        """Close an open callback: its outcome is committed in the execution row at once (so it is never
        accepted twice, even by a later service), and applied to the operation now or after the invocation."""
        self._drop_watch(ex, callback_id)
        ex.callback_outcomes[callback_id] = (watch.op_id, status, result, error)
        self._complete(ex, lambda: self._callback_done(ex, callback_id), row=True)

    def _drop_watch(self, ex: Execution, callback_id: str) -> None:
        watch = ex.callbacks.pop(callback_id)
        for timer in watch.timers:
            timer.cancel()
        self._timers.kick()

    def _callback_done(self, ex: Execution, callback_id: str) -> list[dict[str, Any]]:
        """Apply a closed callback's outcome (from `ex.callback_outcomes`) to its operation."""
        op_id, status, result, error = ex.callback_outcomes.pop(callback_id)
        old = ex.ops[op_id]
        if old["Status"] != "STARTED":
            return []
        now = self._clock.now_ms()
        details = dict(old["CallbackDetails"])
        if status == "SUCCEEDED":
            if result is not None:
                details["Result"] = result
            op = {**old, "Status": status, "EndTimestamp": now, "CallbackDetails": details}
            history.append(ex, "CallbackSucceeded", now, {"Result": history.wrap(result)}, op)
        else:
            if error is not None:
                details["Error"] = error
            op = {**old, "Status": status, "EndTimestamp": now, "CallbackDetails": details}
            etype = "CallbackFailed" if status == "FAILED" else "CallbackTimedOut"
            history.append(ex, etype, now, {"Error": history.wrap_error(error)}, op)
        ex.ops[op_id] = op
        return [op]

    def _arm_callback(self, ex: Execution, callback_id: str, watch: CallbackWatch) -> None:
        for timer in watch.timers:
            timer.cancel()
        watch.timers = []
        if watch.timeout_at:
            watch.timers.append(
                self._timers.add(
                    watch.timeout_at,
                    lambda: self._callback_expired(ex, callback_id, "Callback.Timeout", "Callback timed out"),
                    NEVER,
                )
            )
        if watch.heartbeat_at:
            watch.timers.append(
                self._timers.add(
                    watch.heartbeat_at,
                    lambda: self._callback_expired(
                        ex, callback_id, "Callback.Heartbeat", "Callback timed out on heartbeat"
                    ),
                    NEVER,
                )
            )

    def _callback_expired(self, ex: Execution, callback_id: str, error_type: str, message: str) -> None:
        watch = ex.callbacks.get(callback_id)
        if watch is None or not ex.running:
            return
        self._close_callback(
            ex, callback_id, watch, "TIMED_OUT", None, {"ErrorType": error_type, "ErrorMessage": message}
        )

    # ------------------------------------------------------------------ effects of accepted checkpoints

    def _apply_effects(self, ex: Execution, effects: list[tuple[Any, ...]], now: int) -> bool:
        """Carry out timers, callbacks and invokes of an accepted batch; True if the execution row changed."""
        row = False
        for effect in effects:
            kind = effect[0]
            if kind == "wait":
                op = effect[1]
                op_id = op["Id"]
                ex.timers[op_id] = self._timers.add(
                    op["WaitDetails"]["ScheduledEndTimestamp"],
                    lambda op_id=op_id: self._complete(ex, lambda: self._wait_done(ex, op_id)),
                    self._skippable(ex),
                )
            elif kind == "retry":
                op = effect[1]
                op_id = op["Id"]
                ex.timers[op_id] = self._timers.add(
                    op["StepDetails"]["NextAttemptTimestamp"],
                    lambda op_id=op_id: self._complete(ex, lambda: self._step_ready(ex, op_id)),
                    self._skippable(ex),
                )
            elif kind == "cancel_wait":
                timer = ex.timers.pop(effect[1]["Id"], None)
                if timer is not None:
                    timer.cancel()
            elif kind == "callback":
                _, op, cid, timeout, heartbeat = effect
                watch = CallbackWatch(
                    op["Id"],
                    heartbeat,
                    now + timeout * 1000 if timeout else 0,
                    now + heartbeat * 1000 if heartbeat else 0,
                )
                ex.callbacks[cid] = watch
                self._callbacks[cid] = (ex, op["Id"])
                self._arm_callback(ex, cid, watch)
                row = True
            elif kind == "invoke":
                self._start_chained(ex, *effect[1:], now=now)
            else:  # ("execution", action, value)
                if effect[1] == "SUCCEED":
                    ex.checkpointed_result = effect[2]
                else:
                    ex.checkpointed_error = effect[2]
                ex.token = None
                row = True
        return row

    def _skippable(self, ex: Execution) -> Callable[[], bool]:
        """Skip to this execution's timers only if no callback may still arrive and its handler is here."""
        return lambda: not ex.callbacks and ex.function_name in self._durable

    def _wait_done(self, ex: Execution, op_id: str) -> list[dict[str, Any]]:
        ex.timers.pop(op_id, None)
        old = ex.ops[op_id]
        if old["Status"] != "STARTED":
            return []
        now = self._clock.now_ms()
        op = {**old, "Status": "SUCCEEDED", "EndTimestamp": now}
        ex.ops[op_id] = op
        duration = round((old["WaitDetails"]["ScheduledEndTimestamp"] - old["StartTimestamp"]) / 1000)
        history.append(ex, "WaitSucceeded", now, {"Duration": duration}, op)
        return [op]

    def _step_ready(self, ex: Execution, op_id: str) -> list[dict[str, Any]]:
        ex.timers.pop(op_id, None)
        old = ex.ops[op_id]
        if old["Status"] != "PENDING":
            return []
        op = {**old, "Status": "READY"}
        ex.ops[op_id] = op
        return [op]

    # ------------------------------------------------------------------ chained invokes

    def _start_chained(
        self,
        ex: Execution,
        op: dict[str, Any],
        function: str,
        tenant_id: str | None,
        payload: str | None,
        event: dict[str, Any],
        *,
        now: int,
    ) -> None:
        try:
            fn_name, _ = ids.parse_function_name(function)
        except ValueError:
            fn_name = None
        if fn_name is not None and fn_name in self._durable:
            child = self._create(
                fn_name,
                payload,
                ids.new_execution_name(),
                DEFAULT_EXECUTION_TIMEOUT_S,
                tenant_id,
                (ex.arn, op["Id"]),
            )
            event["ChainedInvokeStartedDetails"]["DurableExecutionArn"] = child.arn
            self._invoke(child)
            return
        target_arn = ids.function_arn(fn_name or "unknown", self._region, self._account)
        event["ChainedInvokeStartedDetails"]["DurableExecutionArn"] = ids.execution_arn(
            target_arn, ids.new_execution_name()
        )[0]
        fn = self._plain.get(fn_name) if fn_name else None
        if fn is None:
            message = (
                f"Function not found: {target_arn}"
                if fn_name
                else f"{function!r} is not a valid function name or ARN"
            )
            error = {"ErrorType": "ResourceNotFoundException", "ErrorMessage": message}
            op_id = op["Id"]  # fails like a target that failed at once: after this invocation, then re-invoke
            self._complete(ex, lambda: self._invoke_done(ex, op_id, "FAILED", None, error))
            return
        self._busy += 1
        context = self._context(fn_name, ids.request_id(), tenant_id)  # type: ignore[arg-type]
        op_id = op["Id"]

        def run() -> None:
            result, error = invoker.call_plain(fn, payload, context)
            with self._lock:
                self._busy -= 1
                self._timers.kick()
                status = "SUCCEEDED" if error is None else "FAILED"
                self._complete(ex, lambda: self._invoke_done(ex, op_id, status, result, error))

        invoker.spawn(run, f"durable-mp-fn-{fn_name}")

    def _invoke_done(
        self, ex: Execution, op_id: str, status: str, result: str | None, error: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        old = ex.ops[op_id]
        if old["Status"] != "STARTED":
            return []
        now = self._clock.now_ms()
        details: dict[str, Any] = {}
        if status == "SUCCEEDED":
            if result is not None:
                details["Result"] = result
            etype, event_details = "ChainedInvokeSucceeded", {"Result": history.wrap(result)}
        else:
            if error is not None:
                details["Error"] = error
            etype = {
                "FAILED": "ChainedInvokeFailed",
                "TIMED_OUT": "ChainedInvokeTimedOut",
                "STOPPED": "ChainedInvokeStopped",
            }[status]
            event_details = {"Error": history.wrap_error(error)}
        op = {**old, "Status": status, "EndTimestamp": now, "ChainedInvokeDetails": details}
        ex.ops[op_id] = op
        history.append(ex, etype, now, event_details, op)
        return [op]

    def _child_ended(self, child: Execution) -> None:
        parent = self._executions.get(child.parent_arn or "")  # a running parent is always held
        if parent is None or child.parent_op_id is None:
            return
        op_id = child.parent_op_id
        self._complete(
            parent, lambda: self._invoke_done(parent, op_id, child.status, child.result, child.error)
        )

    # ------------------------------------------------------------------ invocations

    def _complete(self, ex: Execution, apply: Callable[[], list[dict[str, Any]]], row: bool = False) -> None:
        """Apply an asynchronous completion now, or after the running invocation; then re-invoke.
        `row`: the execution row changed too, and is committed now even if `apply` has to wait."""
        if not ex.running:
            return
        if ex.inflight is not None:
            ex.deferred.append(apply)
            if row:
                self._store.commit(ex, (), len(ex.events), True)
            return
        events_from = len(ex.events)
        changed = apply()
        if changed or row:
            self._store.commit(ex, changed, events_from, row)
        if changed:
            self._invoke(ex)

    def _invoke(self, ex: Execution) -> None:
        if not ex.running or ex.inflight is not None or self._closed:
            return
        handler = self._durable.get(ex.function_name)
        if handler is None or ex.paused:
            ex.wake_pending = True  # held back until the function is registered / the execution resumed
            return
        backoff = ex.timers.pop("", None)
        if backoff is not None:
            backoff.cancel()
        now = self._clock.now_ms()
        prefix = self._mint.prefix()
        token = self._mint.token(prefix)
        inv = Invocation(ids.request_id(), now, prefix)
        ex.inflight, ex.token, ex.last_checkpoint = inv, token, None
        self._busy += 1
        timeout_s = self._invocation_timeout
        inv.timeout_timer = self._timers.add(
            now + int(timeout_s * 1000), lambda: self._invocation_overran(ex, inv), NEVER
        )
        event = invoker.invocation_event(ex, token)
        self._store.commit(ex, (), len(ex.events), True)
        context = self._context(ex.function_name, inv.request_id, ex.tenant_id)
        client = self._client

        def run() -> None:
            error: dict[str, Any] | None = None
            output: Any = None
            try:
                output = handler.durable_invoke(event, context, client)
                problem = invoker.check_output(output)
                if problem is not None:
                    error = {"ErrorType": "Runtime.MarshalError", "ErrorMessage": problem}
            except BaseException as exc:  # noqa: BLE001 - any escape is a crashed invocation
                error = {
                    "ErrorType": "Runtime.ExitError",
                    "ErrorMessage": f"RequestId: {inv.request_id} Error: Runtime exited: "
                    f"{type(exc).__name__}: {exc}",
                }
            with self._lock:
                self._invocation_returned(ex, inv, output, error)

        invoker.spawn(run, f"durable-mp-inv-{ex.function_name}")

    def _context(self, fn_name: str, request_id: str, tenant_id: str | None) -> LambdaContext:
        return LambdaContext(
            request_id=request_id,
            function_name=fn_name,
            function_arn=ids.function_arn(fn_name, self._region, self._account),
            timeout_s=self._invocation_timeout,
            tenant_id=tenant_id,
        )

    def _end_invocation(self, ex: Execution, inv: Invocation, error: dict[str, Any] | None) -> None:
        ex.inflight = None
        ex.token = None
        self._busy -= 1
        if inv.timeout_timer is not None:
            inv.timeout_timer.cancel()
        history.invocation_completed(ex, inv.start_ms, self._clock.now_ms(), inv.request_id, error)
        self._timers.kick()
        self._changed.notify_all()

    def _invocation_returned(
        self, ex: Execution, inv: Invocation, output: Any, error: dict[str, Any] | None
    ) -> None:
        if ex.inflight is not inv:
            return  # cut off earlier (timeout, stop, close): its outcome no longer counts
        events_from = len(ex.events)
        self._end_invocation(ex, inv, error)
        if error is not None:
            self._crashed(ex, error, events_from)
            return
        ex.crashes = 0
        status = output["Status"]
        if status == "SUCCEEDED":
            result = output.get("Result") or ex.checkpointed_result
            self._finish(ex, "SUCCEEDED", result=result, events_from=events_from)
        elif status == "FAILED":
            self._finish(
                ex, "FAILED", error=output.get("Error") or ex.checkpointed_error, events_from=events_from
            )
        else:
            if ex.paused:  # a paused invocation may have stopped mid-work: resuming re-invokes it
                ex.wake_pending = True
            self._drain(ex, events_from)

    def _drain(self, ex: Execution, events_from: int, invoke: bool = True) -> None:
        """Apply completions deferred during the invocation, commit, and re-invoke if any happened."""
        changed: list[dict[str, Any]] = []
        deferred, ex.deferred = ex.deferred, []
        for apply in deferred:
            changed.extend(apply())
        self._store.commit(ex, changed, events_from, True)
        if invoke and (changed or ex.wake_pending):
            ex.wake_pending = False
            self._invoke(ex)

    def _crashed(self, ex: Execution, error: dict[str, Any], events_from: int) -> None:
        ex.crashes += 1
        if ex.crashes > self._max_retries:
            self._finish(ex, "FAILED", error=error, events_from=events_from)
            return
        self._drain(ex, events_from, invoke=False)
        delay_ms = int(min(self._backoff * 2 ** (ex.crashes - 1), 60.0) * 1000)
        ex.timers[""] = self._timers.add(
            self._clock.now_ms() + delay_ms, lambda: self._invoke(ex), self._skippable(ex)
        )

    def _invocation_overran(self, ex: Execution, inv: Invocation) -> None:
        if ex.inflight is not inv:
            return
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        error = {
            "ErrorType": "Sandbox.Timedout",
            "ErrorMessage": f"{stamp} {inv.request_id} Task timed out after {self._invocation_timeout:.2f} seconds",
        }
        events_from = len(ex.events)
        self._end_invocation(ex, inv, error)
        self._crashed(ex, error, events_from)

    def _arm_deadline(self, ex: Execution) -> None:
        """The execution timeout, counted in real seconds since `ex.real_start` (saved with the execution),
        so that neither a skipping clock's jumps (as in the official runner) nor the offset of a clock that
        resumed a skipped-time execution count. The clock may run ahead of real time: then the timer fires
        early and is re-armed until real time has passed."""
        if ex.real_start is None:  # saved by a durable-mp that did not record it: count from now
            ex.real_start = time.time()
        left = ex.timeout_s - (time.time() - ex.real_start)
        ex.deadline_timer = self._timers.add(
            self._clock.now_ms() + max(0, int(left * 1000)), lambda: self._deadline(ex), NEVER, real=True
        )

    def _deadline(self, ex: Execution) -> None:
        if not ex.running:
            return
        if time.time() - (ex.real_start or 0.0) < ex.timeout_s:
            self._arm_deadline(ex)
            return
        self._finish(
            ex, "TIMED_OUT", error={"ErrorMessage": f"Execution timed out after {ex.timeout_s} seconds."}
        )

    def _finish(
        self,
        ex: Execution,
        status: str,
        *,
        result: str | None = None,
        error: dict[str, Any] | None = None,
        events_from: int | None = None,
    ) -> None:
        """End the execution: close an in-flight invocation, stop its timers, write the terminal event."""
        if events_from is None:
            events_from = len(ex.events)
        if ex.inflight is not None:
            self._end_invocation(ex, ex.inflight, None)
        now = self._clock.now_ms()
        ex.status, ex.end_ms = status, now
        ex.result, ex.error = (result, None) if status == "SUCCEEDED" else (None, error)
        for timer in ex.timers.values():
            timer.cancel()
        ex.timers.clear()
        for cid in list(ex.callbacks):
            self._drop_watch(ex, cid)
        if ex.deadline_timer is not None:
            ex.deadline_timer.cancel()
        ex.deferred.clear()
        ex.callback_outcomes.clear()
        ex.token = None
        old = ex.ops[ex.op_id]
        ex.ops[ex.op_id] = {**old, "Status": status, "EndTimestamp": now}
        history.execution_ended(ex, now)
        self._store.commit(ex, (ex.ops[ex.op_id],), events_from, True)
        self._changed.notify_all()
        self._timers.kick()
        if ex.parent_arn is not None:
            self._child_ended(ex)

    # ------------------------------------------------------------------ resuming stored executions

    def _find(self, arn: str) -> Execution | None:
        """The execution, from memory or else read from the store (and then kept)."""
        ex = self._executions.get(arn)
        if ex is None:
            ex = self._store.load(arn)
            if ex is not None:
                self._executions[arn] = ex
                self._adopt(ex)
        return ex

    def _adopt(self, ex: Execution) -> None:
        """Take over an execution read from the store (already in `_executions`); a running one is resumed."""
        for op in ex.ops.values():
            if op["Type"] == "CALLBACK":
                self._callbacks[op["CallbackDetails"]["CallbackId"]] = (ex, op["Id"])
        ex.token, ex.deferred, ex.timers, ex.last_checkpoint = None, [], {}, None
        if not ex.running:
            return
        inv = ex.inflight
        self._clock.advance_to(max(ex.events[-1]["EventTimestamp"], inv.start_ms if inv is not None else 0))
        events_from = len(ex.events)
        if inv is not None:
            ex.inflight = None
            history.invocation_completed(
                ex,
                inv.start_ms,
                self._clock.now_ms(),
                inv.request_id,
                {
                    "ErrorType": "Runtime.ExitError",
                    "ErrorMessage": f"RequestId: {inv.request_id} Error: the service stopped during this invocation",
                },
            )
        changed: list[dict[str, Any]] = []
        for cid in list(ex.callback_outcomes):  # sent during that invocation: they come after it
            changed.extend(self._callback_done(ex, cid))
        if inv is not None or changed:
            self._store.commit(ex, changed, events_from, True)
        self._arm_deadline(ex)
        for cid, watch in ex.callbacks.items():
            self._arm_callback(ex, cid, watch)
        for op in ex.ops.values():
            status, op_id = op["Status"], op["Id"]
            if op["Type"] == "WAIT" and status == "STARTED":
                ex.timers[op_id] = self._timers.add(
                    op["WaitDetails"]["ScheduledEndTimestamp"],
                    lambda op_id=op_id: self._complete(ex, lambda: self._wait_done(ex, op_id)),
                    self._skippable(ex),
                )
            elif op["Type"] == "STEP" and status == "PENDING":
                ex.timers[op_id] = self._timers.add(
                    op["StepDetails"]["NextAttemptTimestamp"],
                    lambda op_id=op_id: self._complete(ex, lambda: self._step_ready(ex, op_id)),
                    self._skippable(ex),
                )
            elif op["Type"] == "CHAINED_INVOKE" and status == "STARTED":
                self._resume_chained_invoke(ex, op)
        ex.wake_pending = True  # one invocation replays whatever happened while no service ran
        if ex.function_name in self._durable:
            ex.wake_pending = False
            self._invoke(ex)

    def _resume_chained_invoke(self, ex: Execution, op: dict[str, Any]) -> None:
        """A durable child reports back itself (or now, if it ended unreported); a plain call runs again."""
        for event in ex.events:
            if event["EventType"] == "ChainedInvokeStarted" and event.get("Id") == op["Id"]:
                arn = event["ChainedInvokeStartedDetails"].get("DurableExecutionArn")
                if arn is None:
                    return
                child = self._find(arn)
                if child is not None:
                    if not child.running:
                        self._child_ended(child)
                    return
                details = event["ChainedInvokeStartedDetails"]
                payload = details.get("Input", {}).get("Payload")
                self._start_chained(
                    ex,
                    op,
                    details["FunctionName"],
                    None,
                    payload,
                    {"ChainedInvokeStartedDetails": {}},
                    now=self._clock.now_ms(),
                )
                return

    # ------------------------------------------------------------------ pause / resume (test runner)

    def pause_execution(self, arn: str, timeout: float = 60) -> None:
        """Pause an execution and wait (up to `timeout` real seconds) until no invocation of it runs.

        A running invocation's next checkpoint is applied and answered without a token, so the SDK ends
        that invocation with PENDING; its later checkpoints are rejected. No invocation starts while
        paused. A completed execution is left as it is; a repeated call waits again."""
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout < math.inf:
            raise ValueError(f"timeout must be a finite positive number of seconds, got {timeout!r}")
        with self._lock:
            ex = self._get(arn)
            if ex.running:
                ex.paused = True
        if not self.wait_until(lambda: ex.inflight is None or not ex.running, timeout):
            raise TimeoutError(f"the running invocation of {arn} did not stop within {timeout} s")

    def resume_execution(self, arn: str) -> None:
        """Undo `pause_execution`: checkpoints get tokens again, and the invocation held back starts."""
        with self._lock:
            ex = self._get(arn)
            if not ex.paused:
                return
            ex.paused = False
            if ex.running and ex.inflight is None and ex.wake_pending:
                ex.wake_pending = False
                self._invoke(ex)

    def resume(self) -> list[str]:
        """The ARNs of running executions (those adopted from the store are already resumed)."""
        with self._lock:
            return [ex.arn for ex in self._executions.values() if ex.running]

    # ------------------------------------------------------------------ helpers

    def _is_idle(self) -> bool:
        return self._busy == 0

    def _timer_failed(self, exc: BaseException) -> None:
        self.timer_errors.append(exc)

    def _check_open(self) -> None:
        if self._closed:
            raise service_error("the local durable execution service is closed")

    def _get(self, arn: str) -> Execution:
        if not isinstance(arn, str) or not arn:
            raise invalid("DurableExecutionArn is required")
        ex = self._find(arn)
        if ex is None:
            raise not_found(f"durable execution {arn} does not exist")
        return ex

    def _held(self, arn: str) -> Execution:
        """`_get` without the lock for an execution in memory; one only in the store is read under it."""
        ex = self._executions.get(arn) if isinstance(arn, str) else None
        if ex is not None:
            return ex
        with self._lock:
            return self._get(arn)

    def _function_name(self, value: str) -> tuple[str, str | None]:
        if not isinstance(value, str):
            raise invalid(f"FunctionName must be a string, got {type(value).__name__}")
        try:
            return ids.parse_function_name(value)
        except ValueError as exc:
            raise invalid(str(exc)) from None


__all__ = ["TERMINAL", "LocalDurableService"]
