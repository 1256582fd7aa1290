"""Handlers and item functions of the scale tests (module level: worker processes and child
executions import them by reference)."""

from __future__ import annotations

import os
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import CompletionConfig, ItemBatcher, MapConfig, NestingType
from tests.effects import effect as record_effect
from tests.effects import effects as recorded


def double(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return item * 2


def double_step(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return ctx.step(lambda _: item * 2, name="double")


def fail_odd(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    if item % 2:
        raise ValueError(f"odd {item}")
    return item


def _map(event: dict[str, Any], ctx: DurableContext, func: Any) -> dict[str, Any]:
    n = event["n"]
    batch = event.get("batch")
    config = MapConfig(
        executor=event.get("executor"),
        item_batcher=ItemBatcher(max_items_per_batch=batch) if batch else None,
        nesting_type=NestingType(event.get("nesting", "NESTED")),
        max_concurrency=event.get("max_concurrency"),
        completion_config=CompletionConfig(**event.get("completion", {})),
    )
    result = ctx.map(list(range(n)), func, name="scale", config=config)
    return {
        "results": result.get_results(),
        "failed": [i.index for i in result.failed()],
        "reason": result.completion_reason.value,
        "total": result.total_count,
        "ops": ctx.operations_used(),
    }


@durable_execution
def doubles(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    return _map(event, ctx, double)


@durable_execution
def doubles_step(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    return _map(event, ctx, double_step)


@durable_execution
def odd_failures(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    return _map(event, ctx, fail_odd)


@durable_execution(executor="threads")
def fanout(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    return _map(event, ctx, double_step if event.get("steps") else double)


@durable_execution(executor="threads")
def fanout_failures(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    return _map(event, ctx, fail_odd)


def pid_of(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return os.getpid()


def effect(index: int) -> None:
    """Note that item `index` really ran (in `$SCALE_EFFECTS`, see `tests.effects`)."""
    record_effect(os.environ["SCALE_EFFECTS"], str(index))


def effects(directory: str) -> list[int]:
    return [int(tag) for tag in recorded(directory)]


def big_item(ctx: DurableContext, item: int, index: int, items: Any) -> str:
    def work(_: Any) -> str:
        effect(index)
        return "x" * 30_000

    return ctx.step(work, name="big")


@durable_execution(executor="threads")
def big_then_wait(event: dict[str, Any], ctx: DurableContext) -> list[int]:
    from durable_mp.config import Duration

    config = MapConfig(item_batcher=ItemBatcher(max_items_per_batch=event["batch"]))
    result = ctx.map(list(range(event["n"])), big_item, name="big", config=config)
    ctx.wait(Duration.from_seconds(1))
    return [len(r) for r in result.get_results()]


@durable_execution(max_operations=50)
def small_budget(event: dict[str, Any], ctx: DurableContext) -> Any:
    ctx.step(lambda _: 1, name="before")
    return ctx.map(list(range(event["n"])), double, config=MapConfig(executor="inline")).get_results()


@durable_execution(executor="inline")
def parallel_of(event: dict[str, Any], ctx: DurableContext) -> Any:
    return ctx.parallel([lambda c: 1] * event["n"]).get_results()


@durable_execution(executor="threads")
def fanout_closure(event: dict[str, Any], ctx: DurableContext) -> Any:
    offset = 1
    config = MapConfig(executor="invoke", item_batcher=ItemBatcher(max_items_per_batch=2))
    return ctx.map([1, 2, 3], lambda c, x, i, xs: x + offset, config=config).get_results()


@durable_execution(executor="threads")
def fanout_not_json(event: dict[str, Any], ctx: DurableContext) -> Any:
    config = MapConfig(executor="invoke", item_batcher=ItemBatcher(max_items_per_batch=2))
    return ctx.map([{1, 2}], double, config=config).get_results()


def step_or_crash(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    marker = os.path.join(os.environ["SCALE_EFFECTS"], "crashed")
    if index == int(os.environ["SCALE_CRASH_AT"]) and not os.path.exists(marker):
        open(marker, "w").close()
        from durable_mp.exceptions import InvocationError

        raise InvocationError("the invocation died (injected)")

    def work(_: Any) -> int:
        effect(index)
        return item * 2

    return ctx.step(work, name="double")


@durable_execution(executor="inline")
def fanout_crash(event: dict[str, Any], ctx: DurableContext) -> Any:
    os.environ["SCALE_CRASH_AT"] = str(event["crash_at"])
    config = MapConfig(executor="invoke", item_batcher=ItemBatcher(max_items_per_batch=event["batch"]))
    return ctx.map(list(range(event["n"])), step_or_crash, config=config).get_results()


def step_then_maybe_die(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """One step per item; item `crash_at` kills its worker process once, before its step. The folder
    travels in the item: long-lived workers do not see environment variables set after they started."""
    import signal

    marker = os.path.join(item["dir"], "crashed")
    if index == item["crash_at"] and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)

    def work(_: Any) -> int:
        os.environ["SCALE_EFFECTS"] = item["dir"]
        effect(index)
        return index * 2

    return ctx.step(work, name="double")


@durable_execution(executor="processes")
def batched_crash(event: dict[str, Any], ctx: DurableContext) -> Any:
    items = [{"dir": event["dir"], "crash_at": event["crash_at"]}] * event["n"]
    config = MapConfig(item_batcher=ItemBatcher(max_items_per_batch=event["batch"]))
    return ctx.map(items, step_then_maybe_die, config=config).get_results()


@durable_execution(executor="threads")
def fanout_named(event: dict[str, Any], ctx: DurableContext) -> Any:
    config = MapConfig(
        executor="invoke", item_batcher=ItemBatcher(max_items_per_batch=10), function_name=event["function"]
    )
    return ctx.map(list(range(event["n"])), double, config=config).get_results()
