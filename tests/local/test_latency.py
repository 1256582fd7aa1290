"""Latency: a Lambda-like delay on each checkpoint and state call, which leaves histories unchanged."""

from __future__ import annotations

import time
from typing import Any

import pytest

from durable_mp import durable_execution
from durable_mp.config import Duration
from durable_mp.local import Latency, LocalDurableService
from durable_mp.local.latency import parse
from durable_mp.testing import DurableFunctionTestRunner, ExecutionStatus
from tests.local.conftest import run
from tests.local.rawhandlers import Run, Script, ok, step


def test_parse_and_ranges() -> None:
    assert (parse("20ms").low, parse("20ms").high) == (0.02, 0.02)
    assert (parse("10-30ms").low, parse("10-30ms").high) == (0.01, 0.03)
    assert (parse("0.5").low, parse("0.1-0.2s").high) == (0.5, 0.2)
    for bad in ("fast", "30-10ms", "-5ms", "70"):
        with pytest.raises(ValueError):
            parse(bad)
    a, b = Latency((0.01, 0.03), seed=7), Latency((0.01, 0.03), seed=7)
    draws = [a.next() for _ in range(50)]
    assert draws == [b.next() for _ in range(50)]  # seeded: reproducible
    assert all(0.01 <= d <= 0.03 for d in draws) and len(set(draws)) > 1
    assert not Latency() and Latency(0.001)


def test_each_checkpoint_and_state_call_is_delayed() -> None:
    calls = 10

    def body(r: Run) -> dict[str, Any]:
        for i in range(calls - 1):
            r.checkpoint(step(f"s{i}", "START"))
        r.client.get_execution_state(r.arn, r.token)
        return ok()

    with LocalDurableService(skip_time=True, latency=0.02) as service:
        started = time.monotonic()
        assert run(service, "fn", Script(body))["Status"] == "SUCCEEDED"
        took = time.monotonic() - started
    assert took >= calls * 0.02 * 0.95, took


@durable_execution
def workflow(event: Any, ctx: Any) -> list[int]:
    first = ctx.step(lambda _: 1, name="one")
    ctx.wait(Duration.from_seconds(5), name="pause")
    return [first, ctx.step(lambda _: 2, name="two")]


def _shape(runner: DurableFunctionTestRunner) -> tuple[Any, list[tuple[str, Any]]]:
    result = runner.run(execution_name="same")
    assert result.execution_status is ExecutionStatus.SUCCEEDED
    events = runner.service.events(_last_arn(runner))
    return result.result_value, [(e["EventType"], e.get("Name")) for e in events]


def _last_arn(runner: DurableFunctionTestRunner) -> str:
    items = runner.service.list_durable_executions_by_function(FunctionName="test-function")
    return items["DurableExecutions"][-1]["DurableExecutionArn"]


def test_histories_are_the_same_with_latency() -> None:
    with DurableFunctionTestRunner(workflow) as plain:
        expected = _shape(plain)
    with DurableFunctionTestRunner(workflow, latency="5-15ms") as slow:
        assert _shape(slow) == expected
    assert expected[0] == [1, 2]
