"""Invocations: running the handler, and what happens when an invocation ends.

Per execution at most one invocation is in flight; completions that arrive meanwhile (`complete`) are
applied after its InvocationCompleted, in arrival order, and then the next invocation starts.

A crashed invocation (durable_invoke raised, or overran the invocation timeout) is recorded with its
error and retried after a back-off, at most `max_retries` times in a row; then the execution fails with
the last error. The back-off is real time even on a skipping clock (an outage is survived only if the
retries span it): by default 1, 2, 4, 8, 16, 32 s, about 63 s in all. `backoff_schedule` makes it
injectable. A handler result over `ServiceLimits.max_response_bytes` fails the execution at once, as
Lambda fails such an invocation (Function.ResponseSizeTooLarge); it would fail the same way on retry.

The execution timeout (`arm_deadline`) is counted in real seconds. A paused execution is not invoked
until it is resumed. At most `ServiceLimits.max_function_concurrency` invocations of one function run
at once (each on its own thread); an execution due beyond that waits its turn, first come first served. Lock held unless said otherwise.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from durable_mp.local import history, ids, invoker
from durable_mp.local.core import Core
from durable_mp.local.executions import Execution, Invocation
from durable_mp.local.limits import utf8_len
from durable_mp.local.timers import NEVER

MAX_BACKOFF_S = 32.0


def backoff_schedule(base: float | Sequence[float], retries: int) -> list[float]:
    """The real-time delays before retry 1..`retries`: `base * 2**i` capped at 32 s, or the given list
    (its last delay repeats if `retries` is longer)."""
    if isinstance(base, (int, float)):
        if base <= 0:
            raise ValueError(f"retry_backoff must be > 0 seconds, got {base!r}")
        return [min(base * 2**i, MAX_BACKOFF_S) for i in range(retries)]
    delays = [float(d) for d in base]
    if not delays or any(d < 0 for d in delays):
        raise ValueError(f"a retry_backoff schedule must be non-negative seconds, got {base!r}")
    return [delays[min(i, len(delays) - 1)] for i in range(retries)]


def response_size(output: dict[str, Any]) -> int:
    """Bytes of the invocation response Lambda would send back (its JSON)."""
    result, error = output.get("Result"), output.get("Error")
    if (result is None or len(result) < 65_536) and (
        error is None or len(error.get("ErrorMessage") or "") < 65_536
    ):
        return 0  # far below any response limit: skip encoding it
    return utf8_len(json.dumps(output, ensure_ascii=False))


class Invocations:
    def __init__(self, core: Core, backoff: list[float]) -> None:
        self.core = core
        self.backoff = backoff

    def complete(self, ex: Execution, apply: Callable[[], list[dict[str, Any]]], row: bool = False) -> None:
        """Apply an asynchronous completion now, or after the running invocation; then re-invoke.
        `row`: the execution row changed too, and is committed now even if `apply` has to wait."""
        if not ex.running:
            return
        store = self.core.store
        if ex.inflight is not None:
            ex.deferred.append(apply)
            if row:
                store.commit(ex, (), len(ex.events), True)
            return
        events_from = len(ex.events)
        changed = ex.note_updated(apply())
        if changed or row:
            store.commit(ex, changed, events_from, row)
        if changed:
            self.invoke(ex)

    def invoke(self, ex: Execution) -> None:
        core = self.core
        if not ex.running or ex.inflight is not None or core.closed:
            return
        fn_name = ex.function_name
        handler = core.durable.get(fn_name)
        if handler is None or ex.paused:
            ex.wake_pending = True
            return
        if core.running.get(fn_name, 0) >= core.limits.max_function_concurrency:
            core.queued.setdefault(fn_name, {})[ex.arn] = ex  # starts when an invocation of fn_name ends
            return
        core.queued.get(fn_name, {}).pop(ex.arn, None)
        core.running[fn_name] = core.running.get(fn_name, 0) + 1
        backoff = ex.timers.pop("", None)
        if backoff is not None:
            backoff.cancel()
        now = core.clock.now_ms()
        prefix = core.mint.prefix()
        token = core.mint.token(prefix)
        inv = Invocation(ids.request_id(), now, prefix)
        ex.inflight, ex.token, ex.last_checkpoint = inv, token, None
        core.busy += 1
        timeout_s = core.invocation_timeout
        inv.timeout_timer = core.timers.add(
            now + int(timeout_s * 1000), lambda: self._overran(ex, inv), NEVER
        )
        event = invoker.invocation_event(ex, token)
        core.store.commit(ex, (), len(ex.events), True)
        context = core.context(ex.function_name, inv.request_id, ex.tenant_id)
        client = core.client
        max_response = core.limits.max_response_bytes

        def run() -> None:
            error: dict[str, Any] | None = None
            output: Any = None
            try:
                output = handler.durable_invoke(event, context, client)
                problem = invoker.check_output(output)
                if problem is not None:
                    error = {"ErrorType": "Runtime.MarshalError", "ErrorMessage": problem}
                elif (size := response_size(output)) > max_response:
                    output = None
                    error = {
                        "ErrorType": "Function.ResponseSizeTooLarge",
                        "ErrorMessage": f"Response payload size ({size:,} bytes) exceeded maximum allowed "
                        f"payload size ({max_response:,} bytes). A durable function returns a larger result "
                        "by checkpointing it on the EXECUTION operation.",
                    }
            except BaseException as exc:  # noqa: BLE001 - any escape is a crashed invocation
                # an isolated invocation's process killed at its deadline (local/isolation.py)
                if getattr(exc, "timed_out", False):
                    error = self._timed_out(inv)
                else:
                    error = {
                        "ErrorType": "Runtime.ExitError",
                        "ErrorMessage": f"RequestId: {inv.request_id} Error: Runtime exited: "
                        f"{type(exc).__name__}: {exc}",
                    }
            with core.lock:
                self._returned(ex, inv, output, error)

        invoker.spawn(run, f"durable-mp-inv-{ex.function_name}")

    def end_invocation(self, ex: Execution, inv: Invocation, error: dict[str, Any] | None) -> None:
        core = self.core
        ex.inflight = None
        ex.token = None
        core.busy -= 1
        core.running[ex.function_name] -= 1
        if inv.timeout_timer is not None:
            inv.timeout_timer.cancel()
        history.invocation_completed(ex, inv.start_ms, core.clock.now_ms(), inv.request_id, error)
        core.timers.kick()
        core.changed.notify_all()
        self._admit_next(ex.function_name)

    def _admit_next(self, fn_name: str) -> None:
        """Start the execution that has waited longest for a free invocation of `fn_name`."""
        waiting = self.core.queued.get(fn_name)
        while waiting:
            ex = waiting.pop(next(iter(waiting)))
            if ex.running and ex.inflight is None:
                self.invoke(ex)
                return

    def _returned(self, ex: Execution, inv: Invocation, output: Any, error: dict[str, Any] | None) -> None:
        if ex.inflight is not inv:
            return  # cut off earlier (timeout, stop, close): its outcome no longer counts
        events_from = len(ex.events)
        self.end_invocation(ex, inv, error)
        book = self.core.book
        if error is not None:
            if error["ErrorType"] == "Function.ResponseSizeTooLarge":
                book.finish(ex, "FAILED", error=error, events_from=events_from)  # the same on every retry
            else:
                self._crashed(ex, error, events_from)
            return
        ex.crashes = 0
        status = output["Status"]
        if status == "SUCCEEDED":
            result = output.get("Result") or ex.checkpointed_result
            book.finish(ex, "SUCCEEDED", result=result, events_from=events_from)
        elif status == "FAILED":
            book.finish(
                ex, "FAILED", error=output.get("Error") or ex.checkpointed_error, events_from=events_from
            )
        else:
            self._drain(ex, events_from)

    def _drain(self, ex: Execution, events_from: int, invoke: bool = True) -> None:
        """Apply completions deferred during the invocation, commit, and re-invoke if any happened."""
        changed: list[dict[str, Any]] = []
        deferred, ex.deferred = ex.deferred, []
        for apply in deferred:
            changed.extend(ex.note_updated(apply()))
        self.core.store.commit(ex, changed, events_from, True)
        if invoke and (changed or ex.wake_pending):
            ex.wake_pending = False
            self.invoke(ex)

    def _crashed(self, ex: Execution, error: dict[str, Any], events_from: int) -> None:
        ex.crashes += 1
        if ex.crashes > len(self.backoff):
            self.core.book.finish(ex, "FAILED", error=error, events_from=events_from)
            return
        self._drain(ex, events_from, invoke=False)
        self._arm_backoff(ex, time.monotonic() + self.backoff[ex.crashes - 1])

    def _arm_backoff(self, ex: Execution, real_due: float) -> None:
        """A `real` timer: a skipping clock neither jumps to it nor past it uncounted (the action re-checks
        real time and re-arms, as the deadline does)."""
        core = self.core
        left_ms = max(0, int((real_due - time.monotonic()) * 1000))

        def due() -> None:
            if time.monotonic() < real_due:
                self._arm_backoff(ex, real_due)
            else:
                self.invoke(ex)

        ex.timers[""] = core.timers.add(core.clock.now_ms() + left_ms, due, NEVER, real=True)

    def _overran(self, ex: Execution, inv: Invocation) -> None:
        if ex.inflight is not inv:
            return
        error = self._timed_out(inv)
        events_from = len(ex.events)
        self.end_invocation(ex, inv, error)
        self._crashed(ex, error, events_from)

    def _timed_out(self, inv: Invocation) -> dict[str, Any]:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return {
            "ErrorType": "Sandbox.Timedout",
            "ErrorMessage": f"{stamp} {inv.request_id} Task timed out after "
            f"{self.core.invocation_timeout:.2f} seconds",
        }

    def arm_deadline(self, ex: Execution) -> None:
        """The execution timeout, counted in real seconds since `ex.real_start` (saved with the execution),
        so that neither a skipping clock's jumps (as in the official runner) nor the offset of a clock that
        resumed a skipped-time execution count. The clock may run ahead of real time: then the timer fires
        early and is re-armed until real time has passed."""
        core = self.core
        if ex.real_start is None:  # saved by a durable-mp that did not record it: count from now
            ex.real_start = time.time()
        left = ex.timeout_s - (time.time() - ex.real_start)
        ex.deadline_timer = core.timers.add(
            core.clock.now_ms() + max(0, int(left * 1000)), lambda: self._deadline(ex), NEVER, real=True
        )

    def _deadline(self, ex: Execution) -> None:
        if not ex.running:
            return
        if time.time() - (ex.real_start or 0.0) < ex.timeout_s:
            self.arm_deadline(ex)
            return
        self.core.book.finish(
            ex, "TIMED_OUT", error={"ErrorMessage": f"Execution timed out after {ex.timeout_s} seconds."}
        )
