"""Handlers for the conformance suite ``map`` (requirements 9-1 .. 9-20).

The executor (processes by default, or threads) is chosen by the harness, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from durable_mp import BatchResult, DurableContext, StepContext, durable_execution, durable_step
from durable_mp.config import CompletionConfig, Duration, MapConfig, NestingType
from durable_mp.serdes import JsonSerDes, SerDes, SerDesContext

from ._registry import HandlerRegistry

HANDLERS = HandlerRegistry()


def sequential(**completion: int) -> MapConfig:
    """One item at a time, in index order, with the given completion criteria."""
    return MapConfig(max_concurrency=1, completion_config=CompletionConfig(**completion))


ONE_AT_A_TIME = MapConfig(max_concurrency=1)


@durable_step
def constant(step_context: StepContext, value: Any) -> Any:
    return value


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


def projection(batch: BatchResult) -> dict[str, Any]:
    return {
        "completionReason": batch.completion_reason.value,
        "status": batch.status.value,
        "successCount": batch.success_count,
        "failureCount": batch.failure_count,
        "totalCount": batch.total_count,
    }


def counts(batch: BatchResult) -> dict[str, Any]:
    return {
        "completionReason": batch.completion_reason.value,
        "successCount": batch.success_count,
        "failureCount": batch.failure_count,
        "totalCount": batch.total_count,
    }


def fail_on_marker(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
    """Items spelled "fail" raise; the others are returned unchanged."""
    if item == "fail":
        raise RuntimeError(f"item {index} failed")
    return item


@HANDLERS.register("9-1")
@durable_execution
def map_basic(event: Any, context: DurableContext) -> list[str]:
    return context.map(
        event, lambda ctx, item, index, items: ctx.step(greet(item)), name="map", config=ONE_AT_A_TIME
    ).get_results()


@HANDLERS.register("9-2")
@durable_execution
def map_without_name(event: Any, context: DurableContext) -> list[int]:
    return context.map(event, lambda ctx, item, index, items: item * 2, config=ONE_AT_A_TIME).get_results()


@HANDLERS.register("9-3")
@durable_execution
def map_item_and_index(event: Any, context: DurableContext) -> list[int]:
    batch = context.map(
        event, lambda ctx, item, index, items: item + index, name="indexed", config=ONE_AT_A_TIME
    )
    return batch.get_results()


@HANDLERS.register("9-4")
@durable_execution
def map_empty(event: Any, context: DurableContext) -> list[Any]:
    return context.map(event, lambda ctx, item, index, items: item, name="empty").get_results()


@HANDLERS.register("9-5")
@durable_execution
def map_fail_fast(event: Any, context: DurableContext) -> dict[str, Any]:
    batch = context.map(
        ["ok", "fail", "never"], fail_on_marker, name="failfast", config=sequential(tolerated_failure_count=0)
    )
    return projection(batch)


@HANDLERS.register("9-6")
@durable_execution
def map_throw_if_error(event: Any, context: DurableContext) -> list[str]:
    batch = context.map(
        ["fail", "never"], fail_on_marker, name="throwing", config=sequential(tolerated_failure_count=0)
    )
    batch.throw_if_error()
    return batch.get_results()


@HANDLERS.register("9-7")
@durable_execution
def map_min_successful(event: Any, context: DurableContext) -> dict[str, Any]:
    batch = context.map(
        ["i0", "i1", "i2", "i3"], fail_on_marker, name="min-successful", config=sequential(min_successful=2)
    )
    return {
        "completionReason": batch.completion_reason.value,
        "successCount": batch.success_count,
        "totalCount": batch.total_count,
    }


@HANDLERS.register("9-8")
@durable_execution
def map_tolerated_failure(event: Any, context: DurableContext) -> dict[str, Any]:
    batch = context.map(
        ["i0", "fail", "i2"], fail_on_marker, name="tolerated", config=sequential(tolerated_failure_count=1)
    )
    return projection(batch)


@HANDLERS.register("9-9")
@durable_execution
def map_tolerance_exceeded(event: Any, context: DurableContext) -> dict[str, Any]:
    batch = context.map(
        ["fail", "fail", "i2"],
        fail_on_marker,
        name="tolerated-exceeded",
        config=sequential(tolerated_failure_count=1),
    )
    return counts(batch)


@HANDLERS.register("9-10")
@durable_execution
def map_tolerated_percentage(event: Any, context: DurableContext) -> dict[str, Any]:
    batch = context.map(
        ["fail", "fail", "i2", "i3"],
        fail_on_marker,
        name="tolerated-pct",
        config=sequential(tolerated_failure_percentage=25),
    )
    return counts(batch)


@HANDLERS.register("9-11")
@durable_execution
def map_concurrent(event: Any, context: DurableContext) -> list[str]:
    batch = context.map(
        ["r0", "r1", "r2"], fail_on_marker, name="concurrent", config=MapConfig(max_concurrency=2)
    )
    return batch.get_results()


@HANDLERS.register("9-12")
@durable_execution
def map_flat(event: Any, context: DurableContext) -> list[str]:
    config = MapConfig(max_concurrency=1, nesting_type=NestingType.FLAT)
    batch = context.map(
        ["fa", "fb"], lambda ctx, item, index, items: ctx.step(constant(item)), name="flat", config=config
    )
    return batch.get_results()


@HANDLERS.register("9-13")
@durable_execution
def map_item_namer(event: Any, context: DurableContext) -> list[int]:
    config = MapConfig(max_concurrency=1, item_namer=lambda item, index: f"item-{item}")
    batch = context.map(event, lambda ctx, item, index, items: item * 10, name="named-items", config=config)
    return batch.get_results()


class WrappedTextSerDes(SerDes[str]):
    """Stores an item result as the text "wrapped:<value>"."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return f"wrapped:{value}"

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data.removeprefix("wrapped:")


def upper(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
    return item.upper()


@HANDLERS.register("9-14")
@durable_execution
def map_item_serdes(event: Any, context: DurableContext) -> list[str]:
    config = MapConfig(max_concurrency=1, item_serdes=WrappedTextSerDes())
    return context.map(["x", "y"], upper, name="serdes", config=config).get_results()


def wait_in_second_item(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
    if index == 1:
        ctx.wait(Duration.from_seconds(1))
    return ctx.step(constant(item))


@HANDLERS.register("9-15")
@durable_execution
def map_suspends_mid_map(event: Any, context: DurableContext) -> list[str]:
    return context.map(["r0", "r1"], wait_in_second_item, name="suspend", config=ONE_AT_A_TIME).get_results()


@HANDLERS.register("9-16")
@durable_execution
def map_large_result(event: Any, context: DurableContext) -> dict[str, int]:
    batch = context.map(
        [0, 1, 2, 3], lambda ctx, item, index, items: f"{index}" * 70_000, name="large", config=ONE_AT_A_TIME
    )
    return {"successCount": batch.success_count, "totalCount": batch.total_count}


@HANDLERS.register("9-17")
@durable_execution
def map_then_wait(event: Any, context: DurableContext) -> list[str]:
    batch = context.map(["a", "b"], upper, name="then-wait", config=ONE_AT_A_TIME)
    context.wait(Duration.from_seconds(1))
    return batch.get_results()


@HANDLERS.register("9-18")
@durable_execution
def map_failure_then_wait(event: Any, context: DurableContext) -> dict[str, Any]:
    batch = context.map(
        ["ok", "fail"], fail_on_marker, name="fail-then-wait", config=sequential(tolerated_failure_count=1)
    )
    context.wait(Duration.from_seconds(1))
    return projection(batch)


# ``serdes`` alone would also serialize every item (MapConfig's documented fallback when ``item_serdes`` is
# unset); the requirement wants default per-item payloads, so the items get plain JSON explicitly.
class OpSerDes(SerDes[BatchResult]):
    """Stores a whole (all-succeeded) map result as "OPSERDE:" + comma-joined results, and reads it back."""

    def serialize(self, value: BatchResult, serdes_context: SerDesContext) -> str:
        return "OPSERDE:" + ",".join(value.get_results())

    def deserialize(self, data: str, serdes_context: SerDesContext) -> BatchResult:
        results = data.removeprefix("OPSERDE:").split(",") if data != "OPSERDE:" else []
        items = [
            {"index": i, "status": "SUCCEEDED", "result": r, "error": None} for i, r in enumerate(results)
        ]
        return BatchResult.from_dict({"all": items, "completionReason": "ALL_COMPLETED"})


@HANDLERS.register("9-19")
@durable_execution
def map_operation_serdes(event: Any, context: DurableContext) -> list[str]:
    config = MapConfig(max_concurrency=1, serdes=OpSerDes(), item_serdes=JsonSerDes())
    return context.map(["x", "y"], upper, name="op-serde", config=config).get_results()


@HANDLERS.register("9-20")
@durable_execution
def map_operation_serdes_replay(event: Any, context: DurableContext) -> list[str]:
    config = MapConfig(max_concurrency=1, serdes=OpSerDes(), item_serdes=JsonSerDes())
    batch = context.map(["x", "y"], upper, name="op-serde-replay", config=config)
    context.wait(Duration.from_seconds(1))
    return batch.get_results()
