"""ExecutionBook: the executions the service holds, from creation to their terminal event.

Create (ExecutionStarted, the EXECUTION operation, the store row, the deadline), find (memory, else the
store, then kept and adopted), adopt (take over an execution read from the store and resume it: an
invocation cut off by the end of the last service is recorded as crashed, callbacks sent meanwhile are
applied, timers re-armed, one invocation replays), finish (the terminal event), list. Lock held.
"""

from __future__ import annotations

import time
from typing import Any

from durable_mp.local import history, ids
from durable_mp.local.core import Core
from durable_mp.local.errors import invalid, not_found
from durable_mp.local.executions import Execution
from durable_mp.local.limits import Usage, rebuild, utf8_len
from durable_mp.local.shapes import to_ms

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED")


class ExecutionBook:
    def __init__(self, core: Core) -> None:
        self.core = core

    def create(
        self,
        fn_name: str,
        payload: str | None,
        name: str,
        timeout: int,
        tenant_id: str | None,
        parent: tuple[str, str] | None,
    ) -> Execution:
        core = self.core
        fn_arn = core.function_arn(fn_name)
        arn, op_id = ids.execution_arn(fn_arn, name)
        now = core.clock.now_ms()
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
        ex.usage = Usage(operations=1, payload_bytes=utf8_len(ex.input_payload))
        history.execution_started(ex)
        core.executions[arn] = ex
        core.store.create(ex)
        core.invocations.arm_deadline(ex)
        return ex

    def find(self, arn: str) -> Execution | None:
        """The execution, from memory or else read from the store (and then kept)."""
        core = self.core
        ex = core.executions.get(arn)
        if ex is None:
            ex = core.store.load(arn)
            if ex is not None:
                core.executions[arn] = ex
                self.adopt(ex)
        return ex

    def get(self, arn: Any) -> Execution:
        if not isinstance(arn, str) or not arn:
            raise invalid("DurableExecutionArn is required")
        ex = self.find(arn)
        if ex is None:
            raise not_found(f"durable execution {arn} does not exist")
        return ex

    def held(self, arn: Any) -> Execution:
        """`get` without the lock (not held) for an execution in memory; one only in the store is read
        under it."""
        ex = self.core.executions.get(arn) if isinstance(arn, str) else None
        if ex is not None:
            return ex
        with self.core.lock:
            return self.get(arn)

    def usage(self, ex: Execution) -> Usage:
        if ex.usage is None:
            ex.usage = rebuild(ex)
        return ex.usage

    def adopt(self, ex: Execution) -> None:
        """Take over an execution read from the store (already in `executions`); a running one is resumed."""
        core = self.core
        for op in ex.ops.values():
            if op["Type"] == "CALLBACK":
                core.callback_index[op["CallbackDetails"]["CallbackId"]] = (ex, op["Id"])
        ex.token, ex.deferred, ex.timers, ex.last_checkpoint = None, [], {}, None
        if not ex.running:
            return
        inv = ex.inflight
        core.clock.advance_to(max(ex.events[-1]["EventTimestamp"], inv.start_ms if inv is not None else 0))
        events_from = len(ex.events)
        if inv is not None:
            ex.inflight = None
            history.invocation_completed(
                ex,
                inv.start_ms,
                core.clock.now_ms(),
                inv.request_id,
                {
                    "ErrorType": "Runtime.ExitError",
                    "ErrorMessage": f"RequestId: {inv.request_id} Error: the service stopped during this invocation",
                },
            )
        changed: list[dict[str, Any]] = []
        for cid in list(ex.callback_outcomes):  # sent during that invocation: they come after it
            changed.extend(ex.note_updated(core.callbacks.callback_done(ex, cid)))
        if inv is not None or changed:
            core.store.commit(ex, changed, events_from, True)
        core.invocations.arm_deadline(ex)
        for cid, watch in ex.callbacks.items():
            core.callbacks.arm_callback(ex, cid, watch)
        for op in ex.ops.values():
            status = op["Status"]
            if op["Type"] == "WAIT" and status == "STARTED":
                core.callbacks.arm_wait(ex, op)
            elif op["Type"] == "STEP" and status == "PENDING":
                core.callbacks.arm_retry(ex, op)
            elif op["Type"] == "CHAINED_INVOKE" and status == "STARTED":
                core.chained.resume(ex, op)
        ex.wake_pending = True  # one invocation replays whatever happened while no service ran
        if ex.function_name in core.durable:
            ex.wake_pending = False
            core.invocations.invoke(ex)

    def finish(
        self,
        ex: Execution,
        status: str,
        *,
        result: str | None = None,
        error: dict[str, Any] | None = None,
        events_from: int | None = None,
    ) -> None:
        """End the execution: close an in-flight invocation, stop its timers, write the terminal event."""
        core = self.core
        if events_from is None:
            events_from = len(ex.events)
        if ex.inflight is not None:
            core.invocations.end_invocation(ex, ex.inflight, None)
        now = core.clock.now_ms()
        ex.status, ex.end_ms = status, now
        ex.result, ex.error = (result, None) if status == "SUCCEEDED" else (None, error)
        for timer in ex.timers.values():
            timer.cancel()
        ex.timers.clear()
        for cid in list(ex.callbacks):
            core.callbacks.drop_watch(ex, cid)
        if ex.deadline_timer is not None:
            ex.deadline_timer.cancel()
        ex.deferred.clear()
        ex.callback_outcomes.clear()
        ex.token = None
        ex.paused = False
        old = ex.ops[ex.op_id]
        ex.ops[ex.op_id] = {**old, "Status": status, "EndTimestamp": now}
        history.execution_ended(ex, now)
        core.store.commit(ex, (ex.ops[ex.op_id],), events_from, True)
        core.changed.notify_all()
        core.timers.kick()
        if ex.parent_arn is not None:
            core.chained.child_ended(ex)

    def list_by_function(
        self,
        fn_name: str,
        name: str | None,
        statuses: list[str] | None,
        started_after: Any,
        started_before: Any,
    ) -> list[dict[str, Any]]:
        """ListDurableExecutionsByFunction's items (epoch ms) in start order; lock not held."""
        core = self.core
        for status in statuses or ():
            if status not in STATUSES:
                raise invalid(f"Statuses: {status!r} is not one of {', '.join(STATUSES)}")
        after = to_ms(started_after, "StartedAfter") if started_after is not None else None
        before = to_ms(started_before, "StartedBefore") if started_before is not None else None
        with core.lock:
            every = core.store.summaries(fn_name)
            if fn_name not in core.durable and fn_name not in core.plain and not every:
                raise not_found(f"Function not found: {core.function_arn(fn_name)}")
        return [
            item
            for item in every
            if (name is None or item["DurableExecutionName"] == name)
            and (not statuses or item["Status"] in statuses)
            and (after is None or item["StartTimestamp"] >= after)
            and (before is None or item["StartTimestamp"] <= before)
        ]
