"""Operation ids in real histories: the official check values, computed here with hashlib."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration, MapConfig, NestingType, ParallelConfig
from durable_mp.waits import WaitForConditionConfig, WaitForConditionDecision

from .conftest import root_id

H1 = "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"
H1_ITEM0 = "1712f93e2f51df042e2b933907d75accfe34a48fe4a42a24e0b08131bc72d591"
H1_ITEM0_STEP1 = "48550629202cb2d0e1bd4f07d826361bbd2defa71565264c01647fc2da0e9b1e"


def h(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8")).hexdigest()[:64]


def test_check_values_of_the_hash() -> None:
    assert h("1") == H1
    assert h(H1 + "-0") == H1_ITEM0
    assert h(H1_ITEM0 + "-1") == H1_ITEM0_STEP1


def item_step(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return ctx.step(lambda _: item, name="s")


def branch_step(ctx: DurableContext) -> int:
    return ctx.step(lambda _: 1, name="s")


@pytest.mark.parametrize("executor", ["threads", "processes"])
@pytest.mark.parametrize("nesting", [NestingType.NESTED, NestingType.FLAT])
def test_map_item_and_inner_step_ids(run: Any, executor: str, nesting: NestingType) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.map(
            [1, 2], item_step, config=MapConfig(executor=executor, nesting_type=nesting)
        ).get_results()

    r = run(handler)
    assert r.value == [1, 2]
    step_ids = [e["Id"] for e in r.events if e["EventType"] == "StepStarted"]
    assert H1_ITEM0_STEP1 in step_ids
    assert h(h(H1 + "-1") + "-1") in step_ids
    assert r.of(H1)[0]["SubType"] == "Map"
    if nesting is NestingType.NESTED:
        assert r.of(H1_ITEM0)[0]["SubType"] == "MapIteration"
    else:
        assert r.of(H1_ITEM0) == []


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_parallel_branch_ids(run: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.parallel(
            [branch_step, branch_step], config=ParallelConfig(executor=executor)
        ).get_results()

    r = run(handler)
    assert r.value == [1, 1]
    assert r.of(H1_ITEM0)[0]["SubType"] == "ParallelBranch"
    assert r.of(h(H1 + "-1"))[0]["Name"] == "parallel-branch-1"
    assert r.of(H1_ITEM0_STEP1)[0]["Name"] == "s"


def test_nested_child_context_ids(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(lambda _: 0, name="first")

        def outer(c: DurableContext) -> int:
            c.wait(Duration.from_seconds(1), name="w")
            return c.run_in_child_context(lambda inner: inner.step(lambda _: 3, name="deep"), name="inner")

        return context.run_in_child_context(outer, name="outer")

    r = run(handler)
    assert r.value == 3
    outer = h("2")
    assert r.of(outer)[0]["Name"] == "outer"
    assert r.of(h(f"{outer}-1"))[0]["Name"] == "w"
    inner = h(f"{outer}-2")
    assert r.of(inner)[0]["Name"] == "inner"
    assert r.of(h(f"{inner}-1"))[0]["Name"] == "deep"


def test_every_context_method_consumes_exactly_one_slot(runner_factory: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.uuid()  # replay-safe helpers consume no slot
        context.random().random()
        context.step(lambda _: 1, name="op1")
        context.wait(Duration.from_seconds(1), name="op2")
        cb = context.create_callback(name="op3")
        context.invoke("plain", 1, name="op4")
        context.run_in_child_context(lambda c: c.step(lambda _: 1, name="in"), name="op5")
        context.map([1], item_step, name="op6", config=MapConfig(executor="threads"))
        context.parallel([branch_step], name="op7", config=ParallelConfig(executor="threads"))
        context.wait_for_condition(
            lambda s, c: s,
            WaitForConditionConfig(
                wait_strategy=lambda s, a: WaitForConditionDecision.stop_polling(), initial_state=1
            ),
            name="op8",
        )
        context.wait_for_callback(lambda cid, c: None, name="op9")
        context.step(lambda _: 1, name="op10")
        return cb.callback_id

    runner = runner_factory(handler)
    runner.register_function("plain", lambda e, c: e)
    arn = runner.run_async()
    runner.send_callback_success(runner.wait_for_callback(arn, name="op3"), "x")
    runner.send_callback_success(runner.wait_for_callback(arn, name="op9 create callback id"), "y")
    result = runner.wait_for_result(arn, timeout=10)
    assert result.error is None
    events = runner.get_execution_history(arn)["Events"]
    ids_by_name = {e.get("Name"): e["Id"] for e in events if e["EventType"].endswith("Started") and "Id" in e}
    for n in range(1, 11):
        assert ids_by_name[f"op{n}"] == root_id(n), f"op{n}"
    w = root_id(9)
    assert ids_by_name["op9 create callback id"] == h(f"{w}-1")
    assert ids_by_name["op9 submitter"] == h(f"{w}-2")
