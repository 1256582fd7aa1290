"""The handler's calls (contract 1): CheckpointDurableExecution and GetDurableExecutionState.

A checkpoint is checked against the invocation's token (a retried request with the used token and the
same updates gets the same answer), validated and applied all or nothing by `checkpoints.apply_batch`
(which also enforces `ServiceLimits`), committed, and then its effects are carried out: timers, callback
watches, chained invokes, the execution's own checkpointed outcome. A fresh token is minted per
accepted request, except while the execution is paused: then the accepted request is answered without
one, which ends the invocation. The configured `Latency` is spent before the lock is taken.
"""

from __future__ import annotations

from typing import Any

from durable_mp.local.checkpoints import Effect, apply_batch
from durable_mp.local.core import Core
from durable_mp.local.errors import invalid, not_found
from durable_mp.local.executions import Execution
from durable_mp.local.shapes import page


class CheckpointCalls:
    def __init__(self, core: Core) -> None:
        self.core = core

    def checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Lock not held."""
        core = self.core
        core.latency.sleep()
        with core.lock:
            ex = core.book.find(execution_arn)
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
            now = core.clock.now_ms()
            events_from = len(ex.events)
            changed, effects = apply_batch(ex, updates, now, core.limits, core.book.usage(ex))
            execution_changed = self._apply_effects(ex, effects, now) if effects else False
            if ex.paused and ex.token is not None:  # accepted, but this invocation may go no further
                ex.token = None
                ex.wake_pending = True  # resume_execution starts the invocation it would have made
            token = None if ex.token is None else core.mint.token(ex.inflight.token_prefix)  # type: ignore[union-attr]
            ex.token = token
            core.store.commit(ex, changed, events_from, execution_changed)
            state: dict[str, Any] = {"Operations": changed, "NextMarker": None}
            response = (
                {"CheckpointToken": token, "NewExecutionState": state}
                if token
                else {"NewExecutionState": state}
            )
            ex.last_checkpoint = (checkpoint_token, updates, response)
            return response

    def state_page(self, arn: str, token: str, marker: str | None, max_items: int) -> dict[str, Any]:
        """Lock not held."""
        core = self.core
        core.latency.sleep()
        with core.lock:
            ex = core.book.find(arn)
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

    def _apply_effects(self, ex: Execution, effects: list[Effect], now: int) -> bool:
        """Carry out timers, callbacks and invokes of an accepted batch; True if the execution row changed."""
        core = self.core
        row = False
        for effect in effects:
            kind = effect[0]
            if kind == "wait":
                core.callbacks.arm_wait(ex, effect[1])
            elif kind == "retry":
                core.callbacks.arm_retry(ex, effect[1])
            elif kind == "cancel_wait":
                core.callbacks.cancel_wait(ex, effect[1])
            elif kind == "callback":
                _, op, cid, timeout, heartbeat = effect
                core.callbacks.open(ex, op, cid, timeout, heartbeat, now)
                row = True
            elif kind == "invoke":
                core.chained.start(ex, *effect[1:], now=now)
            else:  # ("execution", action, value)
                if effect[1] == "SUCCEED":
                    ex.checkpointed_result = effect[2]
                else:
                    ex.checkpointed_error = effect[2]
                ex.token = None
                row = True
        return row
