"""Step timeouts: a CPU-bound step in a worker process is killed at its timeout and retried on a fresh
worker; on threads, inline and in the root context the attempt still ends on time (the body is left
running in a daemon thread, its result discarded)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from durable_mp import DurableContext, StepError, durable_execution
from durable_mp.config import Duration, JitterStrategy, MapConfig, ParallelConfig, StepConfig
from durable_mp.exceptions import StepTimeoutError, ValidationError
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy
from durable_mp.termination import TerminationManager, TerminationYield

RETRY_ONCE = create_retry_strategy(
    RetryStrategyConfig(
        max_attempts=2, initial_delay=Duration.from_seconds(1), jitter_strategy=JitterStrategy.NONE
    )
)
NO_RETRY = create_retry_strategy(RetryStrategyConfig(max_attempts=1))


def spin(seconds: float) -> int:
    """Pure-Python CPU work for `seconds`."""
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        n += 1
    return n


def slow_then_fast(log: str) -> Any:
    """A step body: attempt 1 burns CPU for 4 s (past the 1 s timeout), attempt 2 returns at once."""

    def body(step: Any) -> str:
        with open(log, "a") as f:
            f.write(f"{step.attempt} {os.getpid()}\n")
        if step.attempt == 1:
            spin(4)
            return "late"
        return "on time"

    return body


def attempts(log: str) -> list[tuple[int, int]]:
    return [(int(a), int(p)) for a, p in (line.split() for line in Path(log).read_text().splitlines())]


@pytest.mark.slow
def test_step_in_a_worker_is_killed_at_its_timeout_and_retried_on_a_fresh_worker(
    run: Any, tmp_path: Path
) -> None:
    log = str(tmp_path / "attempts.txt")

    def item(ctx: DurableContext, x: int, i: int, items: Any) -> str:
        return ctx.step(
            slow_then_fast(log),
            name="crunch",
            config=StepConfig(retry_strategy=RETRY_ONCE, timeout=Duration(1)),
        )

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.map([0], item, name="m", config=MapConfig(executor="processes")).get_results()

    r = run(handler, timeout=30)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value == ["on time"]
    (a1, pid1), (a2, pid2) = attempts(log)
    assert (a1, a2) == (1, 2)
    assert pid1 != pid2 and pid1 != os.getpid() and pid2 != os.getpid()
    deadline = time.monotonic() + 5
    while psutil.pid_exists(pid1) and time.monotonic() < deadline:  # reaped by the pool's reaper thread
        time.sleep(0.05)
    assert not psutil.pid_exists(pid1), "the timed-out attempt's worker still exists"
    time.sleep(3)  # past the end of the killed attempt's 4 s of work: it would have checkpointed by now
    history = r.runner.get_execution_history(r.arn)["Events"]
    crunch = [e for e in history if e.get("Name") == "crunch"]
    assert [e["EventType"] for e in crunch] == ["StepStarted", "StepFailed", "StepStarted", "StepSucceeded"]
    retried = crunch[1]["StepFailedDetails"]
    assert retried["Error"]["Payload"]["ErrorType"] == "durable_mp.exceptions.StepTimeoutError"
    assert retried["RetryDetails"] == {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 1}
    assert crunch[3]["StepSucceededDetails"]["Result"]["Payload"] == '"on time"'
    assert len(history) == len(r.events), "something was recorded after the execution ended"


def test_timeout_with_no_retry_fails_the_step_with_step_timeout_error_on_processes(run: Any) -> None:
    def item(ctx: DurableContext, x: int, i: int, items: Any) -> str:
        try:
            ctx.step(
                lambda _: spin(10),
                name="crunch",
                config=StepConfig(retry_strategy=NO_RETRY, timeout=Duration(1)),
            )
        except StepError as e:
            return e.error_type
        return "no timeout"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.map([0], item, config=MapConfig(executor="processes")).get_results()

    started = time.monotonic()
    r = run(handler, timeout=30)
    assert r.value == ["durable_mp.exceptions.StepTimeoutError"]
    assert time.monotonic() - started < 8, "not stopped at its timeout (the body runs 10 s)"


@pytest.mark.parametrize("where", ["root", "inline", "threads"])
def test_timeout_in_the_handlers_process_ends_the_attempt_on_time(run: Any, where: str) -> None:
    calls: list[int] = []

    def body(step: Any) -> str:
        calls.append(step.attempt)
        if step.attempt == 1:
            time.sleep(3)
            return "late"
        return "on time"

    config = StepConfig(retry_strategy=RETRY_ONCE, timeout=Duration(1))

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        if where == "root":
            return context.step(body, name="s", config=config)
        return context.map(
            [0], lambda ctx, *_: ctx.step(body, name="s", config=config), config=MapConfig(executor=where)
        ).get_results()[0]

    r = run(handler, timeout=30)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value == "on time"
    assert calls == [1, 2]
    retried = [e for e in r.events if e.get("Name") == "s" and "StepTimeoutError" in str(e)]
    assert retried


def test_timeout_that_is_not_reached_changes_nothing_and_errors_pass_through(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        ok = context.step(lambda _: 7, name="ok", config=StepConfig(timeout=Duration(5)))
        try:
            context.step(
                lambda _: int("x"),
                name="bad",
                config=StepConfig(retry_strategy=NO_RETRY, timeout=Duration(5)),
            )
        except StepError as e:
            return [ok, e.error_type]
        return [ok]

    r = run(handler)
    assert r.value == [7, "ValueError"]


def test_step_timeout_error_is_a_retriable_timeout_error() -> None:
    e = StepTimeoutError("x")
    assert isinstance(e, TimeoutError) and e.retriable


@pytest.mark.parametrize("bad", [0, 1.5, Duration(0)])
def test_bad_timeout_is_rejected_naming_the_field(bad: Any) -> None:
    with pytest.raises(ValidationError, match="StepConfig.timeout"):
        StepConfig(timeout=bad)


class _Lambda:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def get_remaining_time_in_millis(self) -> int:
        return self.ms


def test_termination_judges_a_timed_step_by_the_shorter_of_its_timeout_and_the_longest_step() -> None:
    def manager(longest: float) -> TerminationManager:
        tm = TerminationManager(_Lambda(20_000), safety_margin=2)  # 18 s to the yield point
        tm.observe(longest)
        return tm

    with pytest.raises(TerminationYield):
        manager(30).before_operation()  # a step took 30 s: an untimed one cannot start
    manager(30).before_timed_step(5)  # but one that cannot run longer than 5 s fits
    with pytest.raises(TerminationYield):
        manager(30).before_timed_step(25)  # 25 s would not end before the yield point
    manager(1).before_timed_step(60)  # a long timeout, but the steps seen so far are short


def test_step_in_a_thread_branch_inside_a_worker_is_stopped_by_killing_the_worker(
    run: Any, tmp_path: Path
) -> None:
    log = str(tmp_path / "attempts.txt")

    def inner(ctx: DurableContext, x: int, i: int, items: Any) -> str:
        config = StepConfig(retry_strategy=RETRY_ONCE, timeout=Duration(1))
        return ctx.step(slow_then_fast(log), name="crunch", config=config)

    def outer(ctx: DurableContext, x: int, i: int, items: Any) -> Any:
        return ctx.map([0], inner, name="inner").get_results()  # on threads inside the worker

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.parallel(
            [lambda ctx: outer(ctx, 0, 0, [0])], config=ParallelConfig(executor="processes")
        ).get_results()

    r = run(handler, timeout=30)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value == [["on time"]]
    (_, pid1), (_, pid2) = attempts(log)
    assert pid1 != pid2
