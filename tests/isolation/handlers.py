"""Handlers of the isolation tests: module level, since each isolated invocation imports them by
reference. Side effects are counted in `$ISO_EFFECTS` (`tests.effects`)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import ItemBatcher, MapConfig
from tests.effects import effect as record_effect


def effect(tag: str) -> None:
    record_effect(os.environ["ISO_EFFECTS"], tag)


def _once(name: str) -> bool:
    """True the first time it is asked in this test (a marker file), False afterwards."""
    marker = os.path.join(os.environ["ISO_EFFECTS"], name)
    if os.path.exists(marker):
        return False
    open(marker, "w").close()
    return True


@durable_execution
def where(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    pid = ctx.step(lambda _: os.getpid(), name="pid")
    lc = ctx.lambda_context
    return {
        "pid": pid,
        "doubled": ctx.step(lambda _: event["x"] * 2, name="double"),
        "request_id": lc.aws_request_id,
        "remaining_ms": lc.get_remaining_time_in_millis(),
    }


@durable_execution
def exits_once(event: dict[str, Any], ctx: DurableContext) -> str:
    ctx.step(lambda _: effect("before"), name="before")
    if _once("exited"):
        os._exit(3)
    return "done"


@durable_execution
def sleeps_once(event: dict[str, Any], ctx: DurableContext) -> str:
    ctx.step(lambda _: effect("before"), name="before")
    if _once("slept"):
        effect(f"pid={os.getpid()}")
        time.sleep(30)
    return "done"


def item_step_or_die(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    """One step per item; item `ISO_KILL_AT` SIGKILLs its invocation's process once, before its step."""
    if index == int(os.environ["ISO_KILL_AT"]) and _once("killed"):
        os.kill(os.getpid(), signal.SIGKILL)

    def work(_: Any) -> int:
        effect(str(index))
        return item * 2

    return ctx.step(work, name="double")


@durable_execution(executor="inline")
def fanout_kill(event: dict[str, Any], ctx: DurableContext) -> Any:
    config = MapConfig(executor="invoke", item_batcher=ItemBatcher(max_items_per_batch=event["batch"]))
    return ctx.map(list(range(event["n"])), item_step_or_die, config=config).get_results()
