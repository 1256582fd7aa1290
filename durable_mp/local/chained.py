"""Chained invokes: a CHAINED_INVOKE START runs its target and reports the outcome to the parent.

A durable target becomes a child execution (its ARN in the ChainedInvokeStarted event), which reports
back when it ends; a plain function is called once on its own thread; an unknown one fails like a target
that failed at once. On resume, a child that ended unreported reports now, a plain call runs again.
Lock held.
"""

from __future__ import annotations

from typing import Any

from durable_mp.local import history, ids, invoker
from durable_mp.local.core import Core
from durable_mp.local.executions import Execution

DEFAULT_EXECUTION_TIMEOUT_S = 86_400


class ChainedInvokes:
    def __init__(self, core: Core) -> None:
        self.core = core

    def start(
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
        core = self.core
        try:
            fn_name: str | None = ids.parse_function_name(function)[0]
        except ValueError:
            fn_name = None
        op_id = op["Id"]
        if fn_name is not None and fn_name in core.durable:
            child = core.book.create(
                fn_name,
                payload,
                ids.new_execution_name(),
                DEFAULT_EXECUTION_TIMEOUT_S,
                tenant_id,
                (ex.arn, op_id),
            )
            event["ChainedInvokeStartedDetails"]["DurableExecutionArn"] = child.arn
            core.invocations.invoke(child)
            return
        target_arn = core.function_arn(fn_name or "unknown")
        event["ChainedInvokeStartedDetails"]["DurableExecutionArn"] = ids.execution_arn(
            target_arn, ids.new_execution_name()
        )[0]
        fn = core.plain.get(fn_name) if fn_name else None
        if fn is None:
            message = (
                f"Function not found: {target_arn}"
                if fn_name
                else f"{function!r} is not a valid function name or ARN"
            )
            error = {"ErrorType": "ResourceNotFoundException", "ErrorMessage": message}
            # fails like a target that failed at once: after this invocation, then re-invoke
            core.invocations.complete(ex, lambda: self.done(ex, op_id, "FAILED", None, error))
            return
        core.busy += 1
        context = core.context(fn_name, ids.request_id(), tenant_id)  # type: ignore[arg-type]

        def run() -> None:
            result, error = invoker.call_plain(fn, payload, context)
            with core.lock:
                core.busy -= 1
                core.timers.kick()
                status = "SUCCEEDED" if error is None else "FAILED"
                core.invocations.complete(ex, lambda: self.done(ex, op_id, status, result, error))

        invoker.spawn(run, f"durable-mp-fn-{fn_name}")

    def done(
        self, ex: Execution, op_id: str, status: str, result: str | None, error: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        """Apply a target's outcome to its CHAINED_INVOKE operation."""
        old = ex.ops[op_id]
        if old["Status"] != "STARTED":
            return []
        now = self.core.clock.now_ms()
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

    def child_ended(self, child: Execution) -> None:
        core = self.core
        parent = core.executions.get(child.parent_arn or "")  # a running parent is always held
        if parent is None or child.parent_op_id is None:
            return
        op_id = child.parent_op_id
        core.invocations.complete(
            parent, lambda: self.done(parent, op_id, child.status, child.result, child.error)
        )

    def resume(self, ex: Execution, op: dict[str, Any]) -> None:
        """A durable child reports back itself (or now, if it ended unreported); a plain call runs again."""
        for event in ex.events:
            if event["EventType"] == "ChainedInvokeStarted" and event.get("Id") == op["Id"]:
                arn = event["ChainedInvokeStartedDetails"].get("DurableExecutionArn")
                if arn is None:
                    return
                child = self.core.book.find(arn)
                if child is not None:
                    if not child.running:
                        self.child_ended(child)
                    return
                details = event["ChainedInvokeStartedDetails"]
                payload = details.get("Input", {}).get("Payload")
                self.start(
                    ex,
                    op,
                    details["FunctionName"],
                    None,
                    payload,
                    {"ChainedInvokeStartedDetails": {}},
                    now=self.core.clock.now_ms(),
                )
                return
