"""Fan-out over child executions (executor="invoke") on the local service."""

from __future__ import annotations

import pytest

from durable_mp.testing import DurableFunctionTestRunner

from . import handlers
from .conftest import executions, history, operation_ids


def _check(runner: DurableFunctionTestRunner, result: object, n: int, children: int) -> None:
    assert result.status.name == "SUCCEEDED", result.error  # type: ignore[attr-defined]
    value = result.result_value  # type: ignore[attr-defined]
    assert value["results"] == [2 * i for i in range(n)] and value["total"] == n
    arns = [e["DurableExecutionArn"] for e in executions(runner.service)]
    assert len(arns) == 1 + children
    for arn in arns:
        assert len(operation_ids(runner.service, arn)) <= 3_000
    parent = operation_ids(runner.service, result.execution_arn)  # type: ignore[attr-defined]
    assert len(parent) == 1 + 1 + children  # EXECUTION, the map, one CHAINED_INVOKE per batch


def test_invoke_5000_items_one_step_each() -> None:
    with DurableFunctionTestRunner(handler=handlers.fanout) as runner:
        result = runner.run(
            input={"n": 5_000, "batch": 1_000, "executor": "invoke", "steps": True, "max_concurrency": 3},
            timeout=60,
        )
        _check(runner, result, 5_000, 5)
        for e in executions(runner.service)[1:]:
            assert len(operation_ids(runner.service, e["DurableExecutionArn"])) == 1 + 1 + 2 * 1_000


@pytest.mark.slow
def test_invoke_50000_items() -> None:
    with DurableFunctionTestRunner(handler=handlers.fanout) as runner:
        result = runner.run(
            input={"n": 50_000, "batch": 1_000, "executor": "invoke", "steps": True, "max_concurrency": 4},
            timeout=120,
        )
        _check(runner, result, 50_000, 50)


def test_failed_items_fail_in_their_children_not_the_parent() -> None:
    with DurableFunctionTestRunner(handler=handlers.fanout_failures) as runner:
        result = runner.run(
            input={
                "n": 30,
                "batch": 10,
                "executor": "invoke",
                "completion": {"tolerated_failure_percentage": 100},
            },
            timeout=30,
        )
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value["failed"] == list(range(1, 30, 2))
        assert result.result_value["results"] == list(range(0, 30, 2))


def test_completion_policy_stops_launching_children() -> None:
    with DurableFunctionTestRunner(handler=handlers.fanout_failures) as runner:
        result = runner.run(
            input={"n": 100, "batch": 10, "executor": "invoke", "max_concurrency": 2}, timeout=30
        )
        value = result.result_value
        assert value["reason"] == "FAILURE_TOLERANCE_EXCEEDED"
        assert len(executions(runner.service)) <= 1 + 2  # the first two children only
        assert value["failed"][0] in (1, 11)  # whichever child reported first decided


def test_unreferenceable_function_and_non_json_items_are_refused_before_any_checkpoint() -> None:
    with DurableFunctionTestRunner(handler=handlers.fanout_closure) as runner:
        result = runner.run(input={}, timeout=30)
        assert result.status.name == "FAILED"
        assert "cannot be referenced" in result.error.message and "lambda" in result.error.message
        assert not [
            e for e in history(runner.service, result.execution_arn) if e["EventType"].startswith("Context")
        ]
    with DurableFunctionTestRunner(handler=handlers.fanout_not_json) as runner:
        result = runner.run(input={}, timeout=30)
        assert result.status.name == "FAILED" and "sends items as JSON" in result.error.message


def test_a_child_killed_mid_run_is_reinvoked_and_nothing_completed_runs_twice(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCALE_EFFECTS", str(tmp_path))
    with DurableFunctionTestRunner(handler=handlers.fanout_crash, max_invocation_retries=3) as runner:
        result = runner.run(input={"n": 30, "batch": 10, "crash_at": 15}, timeout=60)
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value == [2 * i for i in range(30)]
        runs = handlers.effects(str(tmp_path))
        assert sorted(runs) == list(range(30))  # item 15's step was cut before it succeeded: it ran once
        child = [e["DurableExecutionArn"] for e in executions(runner.service)][2]
        ended = [e for e in history(runner.service, child) if e["EventType"] == "InvocationCompleted"]
        assert any(e["InvocationCompletedDetails"].get("Error") for e in ended)  # the crashed invocation


def test_durable_mp_run_fans_out_to_the_same_function(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    import json
    from pathlib import Path

    from durable_mp.cli import main

    example = str(Path(__file__).parents[2] / "examples" / "fanout_map.py")
    store = str(Path(str(tmp_path)) / "store.db")
    code = main(["run", f"{example}:handler", "--input", '{"items": 300, "batch": 100}', "--store", store])
    out = capsys.readouterr().out
    assert code == 0, out
    result = json.loads(out)  # stdout holds only the result
    assert result == {"items": 300, "checksum": sum(i * i for i in range(300)) % 1_000_007, "operations": 5}


def test_function_name_names_another_function() -> None:
    with DurableFunctionTestRunner(handler=handlers.fanout_named) as runner:
        runner.register_durable_function("batch-worker", handlers.fanout)
        result = runner.run(input={"n": 25, "function": "batch-worker"}, timeout=30)
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value == [2 * i for i in range(25)]
        assert len(executions(runner.service, "batch-worker")) == 3
        assert len(executions(runner.service)) == 1


def test_a_child_that_timed_out_fails_its_items() -> None:
    from durable_mp.concurrency.branch import BranchSpec, recorded_outcome
    from durable_mp.state import ExecutionState
    from durable_mp.state.replay import ReplayState
    from durable_mp.wire import CHAINED_INVOKE, Operation

    op = Operation("c1", CHAINED_INVOKE, "TIMED_OUT", "m", "map-batch-0", "ChainedInvoke")
    state = ExecutionState(replay=ReplayState("arn", [op]), checkpointer=None)  # type: ignore[arg-type]
    spec = BranchSpec(0, "c1", "map-batch-0", "ChainedInvoke", "m", False, True, range(3), CHAINED_INVOKE)
    outcome = recorded_outcome(state, spec)
    assert outcome is not None and outcome.status == "FAILED"
    assert "TIMED_OUT" in outcome.error["ErrorMessage"]  # type: ignore[index]
