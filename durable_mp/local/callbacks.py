"""Callbacks and timers: what completes an operation from outside the handler, or later.

Callbacks: SendDurableExecutionCallbackSuccess/Failure/Heartbeat, their timeout and heartbeat deadlines.
A closed callback's outcome is committed in the execution row at once (never accepted twice, even by a
later service) and applied to its operation now, or after the running invocation.
Timers: a WAIT's end (WaitSucceeded) and a STEP retry's next attempt (PENDING -> READY). Lock held.
"""

from __future__ import annotations

from typing import Any

from durable_mp.local import history
from durable_mp.local.core import Core
from durable_mp.local.errors import callback_timed_out, invalid, not_found
from durable_mp.local.executions import CallbackWatch, Execution
from durable_mp.local.timers import NEVER


class Callbacks:
    def __init__(self, core: Core) -> None:
        self.core = core

    # ------------------------------------------------------------------ callbacks

    def open(
        self, ex: Execution, op: dict[str, Any], cid: str, timeout: int, heartbeat: int, now: int
    ) -> None:
        """A CALLBACK START was accepted: watch its deadlines."""
        watch = CallbackWatch(
            op["Id"],
            heartbeat,
            now + timeout * 1000 if timeout else 0,
            now + heartbeat * 1000 if heartbeat else 0,
        )
        ex.callbacks[cid] = watch
        self.core.callback_index[cid] = (ex, op["Id"])
        self.arm_callback(ex, cid, watch)

    def open_watch(self, callback_id: Any) -> tuple[Execution, CallbackWatch]:
        core = self.core
        core.check_open()
        if not isinstance(callback_id, str) or not callback_id:
            raise invalid("CallbackId is required")
        entry = core.callback_index.get(callback_id)
        if entry is None:
            arn = core.store.find_callback(callback_id)
            if arn is not None and core.book.find(arn) is not None:
                entry = core.callback_index.get(callback_id)
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

    def send(self, callback_id: str, status: str, result: str | None, error: dict[str, Any] | None) -> None:
        """Lock not held."""
        with self.core.lock:
            ex, watch = self.open_watch(callback_id)
            self.close(ex, callback_id, watch, status, result, error)

    def heartbeat(self, callback_id: str) -> None:
        """Lock not held."""
        core = self.core
        with core.lock:
            ex, watch = self.open_watch(callback_id)
            if watch.heartbeat_s:
                watch.heartbeat_at = core.clock.now_ms() + watch.heartbeat_s * 1000
                self.arm_callback(ex, callback_id, watch)
                core.store.commit(ex, (), len(ex.events), True)

    def close(
        self,
        ex: Execution,
        callback_id: str,
        watch: CallbackWatch,
        status: str,
        result: str | None,
        error: dict[str, Any] | None,
    ) -> None:
        self.drop_watch(ex, callback_id)
        ex.callback_outcomes[callback_id] = (watch.op_id, status, result, error)
        self.core.invocations.complete(ex, lambda: self.callback_done(ex, callback_id), row=True)

    def drop_watch(self, ex: Execution, callback_id: str) -> None:
        watch = ex.callbacks.pop(callback_id)
        for timer in watch.timers:
            timer.cancel()
        self.core.timers.kick()

    def callback_done(self, ex: Execution, callback_id: str) -> list[dict[str, Any]]:
        """Apply a closed callback's outcome (from `ex.callback_outcomes`) to its operation."""
        op_id, status, result, error = ex.callback_outcomes.pop(callback_id)
        old = ex.ops[op_id]
        if old["Status"] != "STARTED":
            return []
        now = self.core.clock.now_ms()
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

    def arm_callback(self, ex: Execution, callback_id: str, watch: CallbackWatch) -> None:
        timers = self.core.timers
        for timer in watch.timers:
            timer.cancel()
        watch.timers = []
        if watch.timeout_at:
            watch.timers.append(
                timers.add(
                    watch.timeout_at,
                    lambda: self._expired(ex, callback_id, "Callback.Timeout", "Callback timed out"),
                    NEVER,
                )
            )
        if watch.heartbeat_at:
            watch.timers.append(
                timers.add(
                    watch.heartbeat_at,
                    lambda: self._expired(
                        ex, callback_id, "Callback.Heartbeat", "Callback timed out on heartbeat"
                    ),
                    NEVER,
                )
            )

    def _expired(self, ex: Execution, callback_id: str, error_type: str, message: str) -> None:
        watch = ex.callbacks.get(callback_id)
        if watch is None or not ex.running:
            return
        self.close(
            ex, callback_id, watch, "TIMED_OUT", None, {"ErrorType": error_type, "ErrorMessage": message}
        )

    # ------------------------------------------------------------------ waits and step retries

    def arm_wait(self, ex: Execution, op: dict[str, Any]) -> None:
        op_id = op["Id"]
        ex.timers[op_id] = self.core.timers.add(
            op["WaitDetails"]["ScheduledEndTimestamp"],
            lambda: self.core.invocations.complete(ex, lambda: self._wait_done(ex, op_id)),
            self.core.skippable(ex),
        )

    def arm_retry(self, ex: Execution, op: dict[str, Any]) -> None:
        op_id = op["Id"]
        ex.timers[op_id] = self.core.timers.add(
            op["StepDetails"]["NextAttemptTimestamp"],
            lambda: self.core.invocations.complete(ex, lambda: self._step_ready(ex, op_id)),
            self.core.skippable(ex),
        )

    def cancel_wait(self, ex: Execution, op: dict[str, Any]) -> None:
        timer = ex.timers.pop(op["Id"], None)
        if timer is not None:
            timer.cancel()

    def _wait_done(self, ex: Execution, op_id: str) -> list[dict[str, Any]]:
        ex.timers.pop(op_id, None)
        old = ex.ops[op_id]
        if old["Status"] != "STARTED":
            return []
        now = self.core.clock.now_ms()
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
