"""Handlers for the conformance suite ``parallel`` (requirements 8-1 .. 8-22).

The executor (processes by default, or threads) is chosen by the harness, not here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from durable_mp import (
    BatchResult,
    DurableContext,
    ParallelBranch,
    StepContext,
    durable_execution,
    durable_step,
)
from durable_mp.config import CompletionConfig, Duration, NestingType, ParallelConfig
from durable_mp.serdes import SerDes, SerDesContext

from ._registry import HandlerRegistry

HANDLERS = HandlerRegistry()

Branch = Callable[[DurableContext], Any]


def sequential(**completion: int) -> ParallelConfig:
    """One branch at a time, in index order, with the given completion criteria."""
    return ParallelConfig(max_concurrency=1, completion_config=CompletionConfig(**completion))


def returns(value: Any) -> Branch:
    return lambda ctx: value


def fails(ctx: DurableContext) -> Any:
    raise RuntimeError("branch failed")


@durable_step
def constant(step_context: StepContext, value: Any) -> Any:
    return value


def step_returning(value: Any) -> Branch:
    return lambda ctx: ctx.step(constant(value))


def projection(batch: BatchResult) -> dict[str, Any]:
    return {
        "completionReason": batch.completion_reason.value,
        "status": batch.status.value,
        "successCount": batch.success_count,
        "failureCount": batch.failure_count,
        "totalCount": batch.total_count,
    }


@HANDLERS.register("8-1")
@durable_execution
def parallel_basic(event: Any, context: DurableContext) -> list[Any]:
    branches = [step_returning("task-1"), step_returning("task-2")]
    return context.parallel(branches, name="parallel", config=ParallelConfig(max_concurrency=1)).get_results()


@HANDLERS.register("8-2")
@durable_execution
def parallel_without_name(event: Any, context: DurableContext) -> list[Any]:
    batch = context.parallel([returns("alpha"), returns("beta")], config=ParallelConfig(max_concurrency=1))
    return batch.get_results()


@HANDLERS.register("8-3")
@durable_execution
def parallel_named_branches(event: Any, context: DurableContext) -> list[Any]:
    branches = [ParallelBranch(returns("one"), name="first"), ParallelBranch(returns("two"), name="second")]
    return context.parallel(branches, name="named", config=ParallelConfig(max_concurrency=1)).get_results()


@HANDLERS.register("8-4")
@durable_execution
def parallel_mixed_types(event: Any, context: DurableContext) -> list[Any]:
    branches = [returns("hello"), returns(42), returns({"k": "v"})]
    return context.parallel(branches, name="hetero", config=ParallelConfig(max_concurrency=1)).get_results()


@HANDLERS.register("8-5")
@durable_execution
def parallel_empty(event: Any, context: DurableContext) -> list[Any]:
    return context.parallel([], name="empty").get_results()


@HANDLERS.register("8-6")
@durable_execution
def parallel_fail_fast(event: Any, context: DurableContext) -> dict[str, Any]:
    batch = context.parallel(
        [returns("ok"), fails, returns("never")],
        name="failfast",
        config=sequential(tolerated_failure_count=0),
    )
    return projection(batch)


@HANDLERS.register("8-7")
@durable_execution
def parallel_throw_if_error(event: Any, context: DurableContext) -> list[Any]:
    batch = context.parallel(
        [fails, returns("never")], name="throwing", config=sequential(tolerated_failure_count=0)
    )
    batch.throw_if_error()
    return batch.get_results()


@HANDLERS.register("8-8")
@durable_execution
def parallel_min_successful(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [returns(f"b{i}") for i in range(4)]
    batch = context.parallel(branches, name="min-successful", config=sequential(min_successful=2))
    return {
        "completionReason": batch.completion_reason.value,
        "successCount": batch.success_count,
        "totalCount": batch.total_count,
    }


@HANDLERS.register("8-9")
@durable_execution
def parallel_tolerated_failure(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [returns("b0"), fails, returns("b2")]
    return projection(
        context.parallel(branches, name="tolerated", config=sequential(tolerated_failure_count=1))
    )


def counts(batch: BatchResult) -> dict[str, Any]:
    return {
        "completionReason": batch.completion_reason.value,
        "successCount": batch.success_count,
        "failureCount": batch.failure_count,
        "totalCount": batch.total_count,
    }


@HANDLERS.register("8-10")
@durable_execution
def parallel_tolerance_exceeded(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [fails, fails, returns("b2")]
    config = sequential(tolerated_failure_count=1)
    return counts(context.parallel(branches, name="tolerated-exceeded", config=config))


@HANDLERS.register("8-11")
@durable_execution
def parallel_concurrent(event: Any, context: DurableContext) -> list[Any]:
    branches = [returns("r0"), returns("r1"), returns("r2")]
    return context.parallel(
        branches, name="concurrent", config=ParallelConfig(max_concurrency=2)
    ).get_results()


@HANDLERS.register("8-12")
@durable_execution
def parallel_flat(event: Any, context: DurableContext) -> list[Any]:
    config = ParallelConfig(max_concurrency=1, nesting_type=NestingType.FLAT)
    return context.parallel(
        [step_returning("fa"), step_returning("fb")], name="flat", config=config
    ).get_results()


@HANDLERS.register("8-13")
@durable_execution
def parallel_tolerated_percentage(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [fails, fails, returns("b2"), returns("b3")]
    config = sequential(tolerated_failure_percentage=25)
    return counts(context.parallel(branches, name="tolerated-pct", config=config))


def wait_then_return(ctx: DurableContext) -> str:
    ctx.wait(Duration.from_seconds(2))
    return "b1"


@HANDLERS.register("8-14")
@durable_execution
def parallel_replay(event: Any, context: DurableContext) -> list[Any]:
    branches = [step_returning("b0"), wait_then_return]
    return context.parallel(branches, name="replay", config=ParallelConfig(max_concurrency=1)).get_results()


class WrappingSerDes(SerDes[Any]):
    """Stores each branch result as the JSON envelope {"wrapped": value}."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        return json.dumps({"wrapped": value})

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        return json.loads(data)["wrapped"]


@HANDLERS.register("8-15")
@durable_execution
def parallel_item_serdes(event: Any, context: DurableContext) -> list[Any]:
    config = ParallelConfig(max_concurrency=1, item_serdes=WrappingSerDes())
    return context.parallel([returns("x"), returns("y")], name="serde", config=config).get_results()


@HANDLERS.register("8-16")
@durable_execution
def parallel_all_fail_tolerated(event: Any, context: DurableContext) -> dict[str, Any]:
    config = sequential(tolerated_failure_count=3)
    return projection(context.parallel([fails, fails, fails], name="all-fail", config=config))


@HANDLERS.register("8-17")
@durable_execution
def parallel_min_successful_not_reached(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [returns("b0"), fails, returns("b2")]
    return projection(context.parallel(branches, name="min-not-reached", config=sequential(min_successful=3)))


@HANDLERS.register("8-18")
@durable_execution
def parallel_min_successful_and_tolerance(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [fails, fails, returns("b2"), returns("b3")]
    config = sequential(min_successful=3, tolerated_failure_count=1)
    return counts(context.parallel(branches, name="combined", config=config))


@HANDLERS.register("8-19")
@durable_execution
def parallel_invalid_concurrency(event: Any, context: DurableContext) -> list[Any]:
    config = ParallelConfig(max_concurrency=0)
    return context.parallel([returns("a"), returns("b")], name="bad-concurrency", config=config).get_results()


@HANDLERS.register("8-20")
@durable_execution
def parallel_accessors(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [returns("b0"), fails, returns("b2")]
    batch = context.parallel(branches, name="accessors", config=sequential(tolerated_failure_count=1))
    return {
        "hasFailure": batch.has_failure,
        "successCount": len(batch.succeeded()),
        "failureCount": len(batch.failed()),
        "errorCount": len(batch.get_errors()),
    }


def inner_parallel(ctx: DurableContext) -> list[Any]:
    branches = [step_returning("i1"), step_returning("i2")]
    return ctx.parallel(branches, name="inner", config=ParallelConfig(max_concurrency=1)).get_results()


@HANDLERS.register("8-21")
@durable_execution
def parallel_nested(event: Any, context: DurableContext) -> list[Any]:
    return context.parallel(
        [inner_parallel], name="outer", config=ParallelConfig(max_concurrency=1)
    ).get_results()


@HANDLERS.register("8-22")
@durable_execution
def parallel_percentage_boundary(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [fails, returns("b1"), returns("b2"), returns("b3")]
    config = sequential(tolerated_failure_percentage=25)
    return projection(context.parallel(branches, name="pct-boundary", config=config))
