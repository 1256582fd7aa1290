"""wait: pause the execution for a duration (at least 1 s, at most a year) without using compute."""

from __future__ import annotations

from typing import TYPE_CHECKING

from durable_mp.config import Duration
from durable_mp.exceptions import ValidationError
from durable_mp.operations.suspend import suspend, suspend_until
from durable_mp.wire import CANCEL, START, STARTED, WAIT, OpRef

if TYPE_CHECKING:
    from durable_mp.context import DurableContext

MAX_WAIT_SECONDS = 31_622_400


def run_wait(ctx: DurableContext, duration: Duration, name: str | None) -> None:
    seconds = duration.to_seconds() if isinstance(duration, Duration) else None
    if seconds is None:
        raise ValidationError(f"wait duration must be a Duration, got {type(duration).__name__}")
    if seconds < 1:
        raise ValidationError(f"wait duration must be at least 1 second, got {seconds}")
    if seconds > MAX_WAIT_SECONDS:
        raise ValidationError(
            f"wait duration must be at most {MAX_WAIT_SECONDS} seconds (one year), got {seconds}"
        )
    ref = ctx._allocate(WAIT, "Wait", name)
    op = ctx._begin(ref)
    try:
        if op is not None and op.is_terminal:
            return
        if op is not None and op.status == STARTED:
            suspend_until(op.scheduled_end_ms, f"wait {name or ref.id} has not ended", ref.id)
        ctx.state.checkpointer.submit(ref.update(START, WaitOptions={"WaitSeconds": seconds}))
        suspend(f"wait {name or ref.id} for {seconds} s", seconds, ref.id)
    finally:
        ctx._finish(op)


def cancel_wait(ctx: DurableContext, operation_id: str) -> None:
    op = ctx.state.replay.get(operation_id)
    if op is None or op.type != WAIT:
        raise ValidationError(f"no wait operation with id {operation_id!r} in this execution")
    if op.is_terminal:
        return
    ref = OpRef(op.id, WAIT, op.sub_type, op.name, op.parent_id)
    ctx.state.checkpointer.submit(ref.update(CANCEL), sync=True)
