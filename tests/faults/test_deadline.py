"""The TerminationManager yields before the invocation deadline: no invocation is cut off (issue 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from durable_mp.concurrency.coordinator import DEFAULT_MAX_CRASHES
from durable_mp.testing import DurableFunctionTestResult, DurableFunctionTestRunner, ExecutionStatus
from tests.effects import effects

from .conftest import Processes, RunFn, wait_for_invocation_threads
from .handlers import map_handler, sequential_handler


def result_within(
    runner: DurableFunctionTestRunner, arn: str, timeout: float
) -> DurableFunctionTestResult | None:
    """The result if the execution ends within `timeout` s; else None, after stopping it and waiting
    for its invocation to end (so it leaves nothing running behind)."""
    try:
        return runner.wait_for_result(arn, timeout=timeout)
    except TimeoutError:
        runner.service.stop_durable_execution(DurableExecutionArn=arn)
        wait_for_invocation_threads()
        return None


@pytest.mark.slow
def test_cpu_map_longer_than_an_invocation_finishes_over_several(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    items = [{"dir": str(tmp_path), "seconds": 0.5} for _ in range(20)]
    done = run(
        map_handler, {"func": "cpu_item", "items": items, "workers": 2}, invocation_timeout=3, timeout=90
    )

    assert done.status == "SUCCEEDED", done.result.error
    assert [(i["status"], i["result"]) for i in done.value["all"]] == [
        ("SUCCEEDED", i * i) for i in range(20)
    ]
    # 5 s of work on 2 workers cannot fit in one 3 s invocation (2.8 s after the 0.2 s margin floor)
    assert done.invocations() >= 2, "20 x 0.5 s on 2 workers cannot fit in one 3 s invocation"
    assert done.invocation_errors() == [], "an invocation was cut off instead of yielding"
    assert done.ran_twice() == []
    assert sorted(done.effects) == sorted(str(i) for i in range(20))
    procs.assert_clean()


@pytest.mark.slow
def test_sequential_steps_longer_than_an_invocation_finish_over_several(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    done = run(
        sequential_handler,
        {"dir": str(tmp_path), "steps": 15, "seconds": 0.2},
        invocation_timeout=1.5,
        timeout=60,
    )

    assert done.status == "SUCCEEDED", done.result.error
    assert done.value == list(range(15))
    assert done.invocations() >= 3
    assert done.invocation_errors() == []
    assert done.effects == {str(i): 1 for i in range(15)}
    procs.assert_clean()


@pytest.mark.slow
def test_item_longer_than_an_invocation_keeps_its_checkpointed_steps(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    """Each item needs 4.5 s of 30 steps; the yield kills it mid-way, and the next invocation replays the
    steps it checkpointed instead of running them again."""
    items = [{"dir": str(tmp_path), "steps": 30, "seconds": 0.15} for _ in range(2)]
    done = run(
        map_handler,
        {"func": "many_steps_item", "items": items, "workers": 2},
        invocation_timeout=3,
        timeout=90,
    )

    assert done.status == "SUCCEEDED", done.result.error
    assert [i["result"] for i in done.value["all"]] == [sum(range(30))] * 2
    assert done.invocations() >= 2
    assert done.invocation_errors() == []
    assert set(done.effects) == {f"{i}:{k}" for i in range(2) for k in range(30)}
    assert done.ran_twice() == []
    procs.assert_clean()


@pytest.mark.slow
def test_item_that_can_never_fit_in_an_invocation_does_not_loop_forever(tmp_path: Path) -> None:
    """One 1.5 s step; each invocation has 1 s (it yields a measured margin before). It can never finish, so the item must
    fail with an error within a few invocations, as Lambda's own retry limit would end it without the
    yield (Sandbox.Timedout, retried a bounded number of times) - not run on until its execution timeout."""
    items = [{"dir": str(tmp_path), "seconds": 1.5}]
    with DurableFunctionTestRunner(map_handler, skip_time=True, invocation_timeout=1) as runner:
        arn = runner.run_async(
            input={"func": "cpu_item", "items": items, "workers": 1}, execution_timeout=120
        )
        result = result_within(runner, arn, 15)
        invocations = sum(
            e["EventType"] == "InvocationCompleted" for e in runner.get_execution_history(arn)["Events"]
        )
    assert result is not None, f"still running after 15 s and {invocations} invocations"
    # at most 2 stops it is blamed for and 5 it is not, then the one that fails it; a loaded machine may
    # add an invocation cut off before it could yield (the service retries it)
    assert invocations <= 12
    # the interrupted attempts were counted durably; after the limit the item fails with a clear reason
    (item,) = result.result_value["all"]
    assert item["status"] == "FAILED"
    message = item["error"]["ErrorMessage"]
    if "cannot fit in one invocation" in message:  # it began early: 3 stops are its own fault
        assert "stopped at the invocation deadline 3 times without checkpointing any progress" in message
        assert "an invocation allows" in message and "needs more than" in message
    else:  # on a loaded machine its fresh worker may start too late every time: 6 stops not its fault
        assert "stopped at the invocation deadline 6 times without checkpointing any progress" in message
        assert "never got a whole invocation" in message


@pytest.mark.slow
def test_slowly_crashing_item_fails_after_max_crashes_across_invocations(tmp_path: Path) -> None:
    """Every attempt burns 0.4 s then SIGKILLs its worker; an invocation of 1.5 s yields at 1 s, so it
    sees at most two crashes. After DEFAULT_MAX_CRASHES crashes in all, the item must fail."""
    items = [{"dir": str(tmp_path), "seconds": 0.4}, {"dir": str(tmp_path), "seconds": 0.0, "ok": True}]
    with DurableFunctionTestRunner(map_handler, skip_time=True, invocation_timeout=1.5) as runner:
        arn = runner.run_async(
            input={
                "func": "slow_crash_item",
                "items": items,
                "workers": 2,
                "completion": {"tolerated_failure_count": 1},
            },
            execution_timeout=120,
        )
        result = result_within(runner, arn, 6)
    assert result is not None, "still running after 6 s"
    assert result.execution_status is ExecutionStatus.SUCCEEDED, result.error
    value = result.result_value["all"]
    assert [i["status"] for i in value] == ["FAILED", "SUCCEEDED"]
    assert value[0]["error"]["ErrorType"].rsplit(".", 1)[-1] == "WorkerCrashed"
    assert f"died {DEFAULT_MAX_CRASHES} times" in value[0]["error"]["ErrorMessage"]
    assert effects(str(tmp_path)).count("0:attempt") == DEFAULT_MAX_CRASHES
