"""Checkpoint modes (eager / batched / optimistic): same result, same history, different request counts."""

from __future__ import annotations

from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration, JitterStrategy, MapConfig, StepConfig
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy
from durable_mp.waits import WaitForConditionConfig, WaitForConditionDecision

from .conftest import Recorded, normalize

MODES = ["eager", "batched", "optimistic"]


def item(ctx: DurableContext, x: int, i: int, items: Any) -> int:
    return ctx.step(lambda _: x + 1, name="inc")


def workflow(mode: str) -> Any:
    attempts: list[int] = []

    @durable_execution(checkpoint_mode=mode)
    def handler(event: Any, context: DurableContext) -> Any:
        a = [context.step(lambda _, i=i: i, name=f"s{i}") for i in range(5)]

        def flaky(sc: Any) -> str:
            attempts.append(sc.attempt)
            if sc.attempt == 1:
                raise RuntimeError("once")
            return "ok"

        b = context.step(
            flaky,
            name="flaky",
            config=StepConfig(
                retry_strategy=create_retry_strategy(
                    RetryStrategyConfig(max_attempts=2, jitter_strategy=JitterStrategy.NONE)
                )
            ),
        )
        context.wait(Duration.from_seconds(2), name="w")
        c = context.run_in_child_context(
            lambda ch: [ch.step(lambda _: "x", name="in1"), ch.step(lambda _: "y", name="in2")], name="child"
        )
        d = context.map([1, 2, 3], item, name="m", config=MapConfig(executor="threads", max_concurrency=1))
        e = context.wait_for_condition(
            lambda s, ctx: s + 1,
            WaitForConditionConfig(
                wait_strategy=lambda s, n: (
                    WaitForConditionDecision.stop_polling()
                    if s >= 2
                    else WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))
                ),
                initial_state=0,
            ),
            name="cond",
        )
        return {"a": a, "b": b, "c": c, "d": d.get_results(), "e": e}

    return handler


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[Any, Recorded]]:
    from durable_mp.testing import DurableFunctionTestRunner

    out: dict[str, tuple[Any, Recorded]] = {}
    for mode in MODES:
        recorded = Recorded(workflow(mode))
        with DurableFunctionTestRunner(recorded) as runner:
            result = runner.run(timeout=10)
            out[mode] = (result, recorded, runner.get_execution_history(result.execution_arn)["Events"])
    return out  # type: ignore[return-value]


EXPECTED = {"a": [0, 1, 2, 3, 4], "b": "ok", "c": ["x", "y"], "d": [2, 3, 4], "e": 2}


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_gives_the_same_result(runs: Any, mode: str) -> None:
    result = runs[mode][0]
    assert result.error is None
    assert result.result_value == EXPECTED


@pytest.mark.parametrize("mode", ["batched", "optimistic"])
def test_every_mode_writes_the_same_history(runs: Any, mode: str) -> None:
    eager = normalize(runs["eager"][2])
    other = normalize(runs[mode][2])
    assert [e["EventType"] for e in other] == [e["EventType"] for e in eager]
    for i, (a, b) in enumerate(zip(eager, other, strict=True)):
        assert a == b, f"event {i}"


def test_eager_sends_one_request_per_update(runs: Any) -> None:
    recorded = runs["eager"][1]
    assert recorded.requests
    assert all(len(request) == 1 for request in recorded.requests)


def test_batched_and_optimistic_send_fewer_requests_than_eager(runs: Any) -> None:
    eager = len(runs["eager"][1].requests)
    batched = len(runs["batched"][1].requests)
    optimistic = len(runs["optimistic"][1].requests)
    assert len(runs["batched"][1].updates) == len(runs["eager"][1].updates)
    assert len(runs["optimistic"][1].updates) == len(runs["eager"][1].updates)
    assert batched < eager
    assert optimistic <= batched


def test_same_updates_in_the_same_order_in_every_mode(runs: Any) -> None:
    def key(u: dict[str, Any]) -> tuple[Any, ...]:
        return (u["Id"], u["Type"], u["Action"], u.get("Payload"))

    eager = [key(u) for u in runs["eager"][1].updates]
    for mode in ("batched", "optimistic"):
        assert [key(u) for u in runs[mode][1].updates] == eager, mode


def test_batched_sequential_step_costs_one_request() -> None:
    from durable_mp.testing import DurableFunctionTestRunner

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return [context.step(lambda _, i=i: i, name=f"s{i}") for i in range(10)]

    recorded = Recorded(handler)
    with DurableFunctionTestRunner(recorded) as runner:
        assert runner.run(timeout=10).result_value == list(range(10))
    assert len(recorded.requests) == 10
    assert all([u["Action"] for u in req] == ["START", "SUCCEED"] for req in recorded.requests)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="checkpoint_mode"):
        durable_execution(checkpoint_mode="lazy")
