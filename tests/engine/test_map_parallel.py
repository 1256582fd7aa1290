"""map and parallel on threads and on worker processes: results, ids, completion policy, nesting, replay.

Every test runs with executor="threads" and executor="processes"; `test_*_histories_identical_*` run the
same workflow on both and compare the histories event by event (timestamps and request ids left out).
Functions that cross to a worker process are defined at module level.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from durable_mp import (
    BatchResult,
    ChildContextError,
    DurableContext,
    ValidationError,
    durable_execution,
    durable_parallel_branch,
)
from durable_mp.config import (
    CompletionConfig,
    Duration,
    MapConfig,
    NestingType,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
)
from durable_mp.retries import RetryPresets
from durable_mp.serdes import SerDes, SerDesContext

from .conftest import child_id, item_id, normalize, root_id

EXECUTORS = ["threads", "processes"]
NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


@pytest.fixture(params=EXECUTORS)
def executor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def summary(result: BatchResult[Any]) -> dict[str, Any]:
    return {
        "results": result.get_results(),
        "statuses": [(item.index, item.status.value) for item in result.all],
        "reason": result.completion_reason.value,
        "errors": [(e.type, e.message) if e else None for e in result.get_errors()],
        "counts": [result.success_count, result.failure_count, result.started_count, result.total_count],
    }


def touch(path: str, text: str) -> None:
    """Record a side effect in a file (visible from worker processes too)."""
    with open(path, "a") as f:
        f.write(text + "\n")


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


# -------------------------------------------------------------------------------- item functions


def double(ctx: DurableContext, item: int, index: int, items: list[int]) -> int:
    return ctx.step(lambda _: item * 2, name="double")


def double_counted(ctx: DurableContext, item: tuple[str, int], index: int, items: Any) -> int:
    path, value = item
    return ctx.step(lambda _: touch(path, f"item{index}") or value * 2, name="double")


def fail_odd(ctx: DurableContext, item: int, index: int, items: list[int]) -> int:
    def body(_: Any) -> int:
        if item % 2:
            raise ValueError(f"odd {item}")
        return item

    return ctx.step(body, name="check", config=NO_RETRY)


def raise_odd_directly(ctx: DurableContext, item: int, index: int, items: list[int]) -> int:
    if item % 2:
        raise ValueError(f"odd {item}")
    return item


def wait_then_step(ctx: DurableContext, item: tuple[str, int], index: int, items: Any) -> int:
    path, value = item
    a = ctx.step(lambda _: touch(path, f"before{index}") or value, name="before")
    ctx.wait(Duration.from_seconds(index + 1), name="pause")
    return ctx.step(lambda _: touch(path, f"after{index}") or a + 100, name="after")


def pid_item(ctx: DurableContext, item: int, index: int, items: list[int]) -> int:
    return ctx.step(lambda _: os.getpid(), name="pid")


def name_item(item: Any, index: int) -> str:
    return f"item-{item}-{index}"


class TaggedSerDes(SerDes[Any]):
    """Wraps values in a tag so the test can see which serdes wrote a payload (a BatchResult as its dict)."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        import json

        if isinstance(value, BatchResult):
            return json.dumps({"batch": value.to_dict()})
        return json.dumps({"tag": value})

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        import json

        decoded = json.loads(data)
        return BatchResult.from_dict(decoded["batch"]) if "batch" in decoded else decoded["tag"]


def branch_a(ctx: DurableContext) -> str:
    return ctx.step(lambda _: "A", name="a")


def branch_b(ctx: DurableContext) -> str:
    return ctx.step(lambda _: "B", name="b")


def branch_fail(ctx: DurableContext) -> str:
    raise RuntimeError("branch broke")


@durable_parallel_branch(name="decorated")
def decorated_branch(ctx: DurableContext, x: int) -> int:
    return ctx.step(lambda _: x + 1, name="inc")


def map_handler(inputs: Any, func: Any, **config: Any) -> Any:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return summary(context.map(inputs, func, name="m", config=MapConfig(**config)))

    return handler


# -------------------------------------------------------------------------------- map basics


def test_map_results_in_index_order_and_ids(run: Any, executor: str) -> None:
    r = run(map_handler([1, 2, 3, 4], double, executor=executor))
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["results"] == [2, 4, 6, 8]
    assert r.value["reason"] == "ALL_COMPLETED"
    assert r.value["counts"] == [4, 0, 0, 4]
    m = root_id(1)
    assert [e["EventType"] for e in r.of(m)] == ["ContextStarted", "ContextSucceeded"]
    assert r.of(m)[0]["SubType"] == "Map" and r.of(m)[0]["Name"] == "m"
    for i in range(4):
        events = r.of(item_id(m, i))
        assert [e["EventType"] for e in events] == ["ContextStarted", "ContextSucceeded"]
        assert events[0]["SubType"] == "MapIteration" and events[0]["Name"] == f"map-item-{i}"
        assert events[0]["ParentId"] == m
        step = r.of(child_id(item_id(m, i), 1))
        assert [e["EventType"] for e in step] == ["StepStarted", "StepSucceeded"]
        assert step[0]["ParentId"] == item_id(m, i) and step[0]["Name"] == "double"
    assert r.invocations() == 1


def test_map_processes_run_items_in_worker_processes(run: Any) -> None:
    r = run(map_handler([1, 2, 3], pid_item, executor="processes"))
    assert r.status == "SUCCEEDED"
    assert os.getpid() not in r.value["results"]


def test_map_item_namer(run: Any, executor: str) -> None:
    r = run(map_handler(["a", "b"], double, executor=executor, item_namer=name_item))
    assert r.value["results"] == ["aa", "bb"]
    m = root_id(1)
    assert [r.of(item_id(m, i))[0]["Name"] for i in range(2)] == ["item-a-0", "item-b-1"]


def test_map_empty_inputs(run: Any, executor: str) -> None:
    r = run(map_handler([], double, executor=executor))
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value == {
        "results": [],
        "statuses": [],
        "reason": "ALL_COMPLETED",
        "errors": [],
        "counts": [0, 0, 0, 0],
    }
    assert [e["EventType"] for e in r.of(root_id(1))] == ["ContextStarted", "ContextSucceeded"]


def test_parallel_empty_branches(run: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return summary(context.parallel([], config=ParallelConfig(executor=executor)))

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["reason"] == "ALL_COMPLETED" and r.value["counts"] == [0, 0, 0, 0]


def test_map_item_serdes_and_batch_serdes(run: Any, executor: str) -> None:
    r = run(map_handler([1, 2], double, executor=executor, item_serdes=TaggedSerDes(), serdes=TaggedSerDes()))
    assert r.value["results"] == [2, 4]
    m = root_id(1)
    item_payload = r.of(item_id(m, 0))[-1]["ContextSucceededDetails"]["Result"]["Payload"]
    assert item_payload == '{"tag": 2}'
    batch_payload = r.of(m)[-1]["ContextSucceededDetails"]["Result"]["Payload"]
    assert batch_payload.startswith('{"batch": {"all": [')


def test_map_validation_happens_before_any_checkpoint(run: Any, executor: str) -> None:
    errors: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        for make in (
            lambda: context.map(
                [1, 2],
                double,
                config=MapConfig(executor=executor, completion_config=CompletionConfig(min_successful=3)),
            ),
            lambda: context.map("abc", double, config=MapConfig(executor=executor)),  # type: ignore[arg-type]
            lambda: context.map([1], "not callable", config=MapConfig(executor=executor)),
        ):  # type: ignore[arg-type]
            try:
                make()
            except ValidationError as exc:
                errors.append(str(exc))
        return context.step(lambda _: "next", name="next")

    r = run(handler)
    assert r.value == "next"
    assert len(errors) == 3
    assert "min_successful" in errors[0] and "sequence" in errors[1] and "callable" in errors[2]
    assert r.of(root_id(1))[0]["Name"] == "next"


@pytest.mark.parametrize("bad", [0, -1])
def test_max_concurrency_below_one_is_refused(bad: int) -> None:
    with pytest.raises(ValidationError, match="max_concurrency"):
        MapConfig(max_concurrency=bad)
    with pytest.raises(ValidationError, match="max_concurrency"):
        ParallelConfig(max_concurrency=bad)


# -------------------------------------------------------------------------------- concurrency


def _max_in_flight(events: list[dict[str, Any]], sub_type: str) -> int:
    in_flight = peak = 0
    for e in events:
        if e.get("SubType") != sub_type:
            continue
        if e["EventType"] == "ContextStarted":
            in_flight += 1
            peak = max(peak, in_flight)
        elif e["EventType"] in ("ContextSucceeded", "ContextFailed"):
            in_flight -= 1
    return peak


def test_map_max_concurrency_one_runs_items_in_index_order(run: Any, executor: str) -> None:
    r = run(map_handler(list(range(5)), double, executor=executor, max_concurrency=1))
    assert r.value["results"] == [0, 2, 4, 6, 8]
    m = root_id(1)
    starts = [
        e["Id"] for e in r.events if e["EventType"] == "ContextStarted" and e.get("SubType") == "MapIteration"
    ]
    assert starts == [item_id(m, i) for i in range(5)]
    assert _max_in_flight(r.events, "MapIteration") == 1


def test_map_max_concurrency_bounds_items_in_flight(run: Any, executor: str) -> None:
    r = run(map_handler(list(range(6)), double, executor=executor, max_concurrency=2))
    assert r.value["results"] == [0, 2, 4, 6, 8, 10]
    assert _max_in_flight(r.events, "MapIteration") <= 2


# -------------------------------------------------------------------------------- completion


def test_map_default_fails_fast_and_leaves_unstarted_items_out(run: Any, executor: str) -> None:
    r = run(map_handler([2, 3, 4, 6], fail_odd, executor=executor, max_concurrency=1))
    assert r.status == "SUCCEEDED", r.result.error  # the map operation itself succeeds
    v = r.value
    assert v["reason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert v["statuses"] == [[0, "SUCCEEDED"], [1, "FAILED"]]
    assert v["errors"] == [["aws_durable_execution_sdk_python.exceptions.StepError", "odd 3"]]
    m = root_id(1)
    assert r.of(item_id(m, 2)) == [] and r.of(item_id(m, 3)) == []
    assert r.of(item_id(m, 1))[-1]["EventType"] == "ContextFailed"


def test_map_error_raised_directly_in_item_is_recorded_with_its_type(run: Any, executor: str) -> None:
    r = run(map_handler([1], raise_odd_directly, executor=executor))
    assert r.value["errors"] == [["ValueError", "odd 1"]]


def test_map_all_completed_runs_everything_despite_failures(run: Any, executor: str) -> None:
    r = run(
        map_handler(
            [1, 2, 3, 4], fail_odd, executor=executor, completion_config=CompletionConfig.all_completed()
        )
    )
    v = r.value
    assert v["reason"] == "ALL_COMPLETED"
    assert v["results"] == [2, 4]
    assert v["counts"] == [2, 2, 0, 4]
    assert [s for _, s in v["statuses"]] == ["FAILED", "SUCCEEDED", "FAILED", "SUCCEEDED"]


def test_map_tolerated_failure_count_exceeded(run: Any, executor: str) -> None:
    r = run(
        map_handler(
            [1, 3, 2, 4, 6],
            fail_odd,
            executor=executor,
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_count=1),
        )
    )
    v = r.value
    assert v["reason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert v["statuses"] == [[0, "FAILED"], [1, "FAILED"]]


def test_map_tolerated_failure_percentage_counts_all_items(run: Any, executor: str) -> None:
    # 1 failure of 4 items = 25% <= 30%: tolerated; a second one (50%) exceeds it
    r = run(
        map_handler(
            [2, 1, 4, 3, 6],
            fail_odd,
            executor=executor,
            max_concurrency=1,
            completion_config=CompletionConfig(tolerated_failure_percentage=30),
        )
    )
    v = r.value
    assert v["reason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert len(v["statuses"]) == 4


def test_map_min_successful_reached_leaves_the_rest_out(run: Any, executor: str) -> None:
    r = run(
        map_handler(
            [2, 4, 6, 8],
            fail_odd,
            executor=executor,
            max_concurrency=1,
            completion_config=CompletionConfig(min_successful=2),
        )
    )
    v = r.value
    assert v["reason"] == "MIN_SUCCESSFUL_REACHED"
    assert v["statuses"] == [[0, "SUCCEEDED"], [1, "SUCCEEDED"]]
    assert r.of(item_id(root_id(1), 2)) == []


def test_map_min_successful_reached_by_last_item_is_all_completed(run: Any, executor: str) -> None:
    r = run(
        map_handler(
            [1, 2, 4],
            fail_odd,
            executor=executor,
            max_concurrency=1,
            completion_config=CompletionConfig(min_successful=2, tolerated_failure_count=1),
        )
    )
    assert r.value["reason"] == "ALL_COMPLETED"
    assert r.value["results"] == [2, 4]


def test_throw_if_error_raises_child_context_error(run: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        result = context.map(
            [1, 2],
            fail_odd,
            config=MapConfig(executor=executor, completion_config=CompletionConfig.all_completed()),
        )
        try:
            result.throw_if_error()
        except ChildContextError as exc:
            return {"type": exc.error_type, "message": exc.message, "status": result.status.value}

    r = run(handler)
    assert r.value == {
        "type": "aws_durable_execution_sdk_python.exceptions.StepError",
        "message": "odd 1",
        "status": "FAILED",
    }


# -------------------------------------------------------------------------------- nesting


def test_flat_nesting_writes_no_item_contexts_and_keeps_ids(run: Any, executor: str) -> None:
    flat = run(map_handler([1, 2, 3], double, executor=executor, nesting_type=NestingType.FLAT))
    nested = run(map_handler([1, 2, 3], double, executor=executor))
    assert flat.value == nested.value
    m = root_id(1)
    assert not any(e.get("SubType") == "MapIteration" for e in flat.events)
    for i in range(3):
        step = flat.of(child_id(item_id(m, i), 1))
        assert [e["EventType"] for e in step] == ["StepStarted", "StepSucceeded"]
        assert step[0]["ParentId"] == m
        assert nested.of(child_id(item_id(m, i), 1))[0]["ParentId"] == item_id(m, i)


def test_flat_nesting_failure_and_replay(run: Any, executor: str, tmp_path: Path) -> None:
    log = tmp_path / "log"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        items = [(str(log), i) for i in range(3)]
        result = context.map(
            items,
            wait_then_step,
            name="m",
            config=MapConfig(executor=executor, nesting_type=NestingType.FLAT),
        )
        return summary(result)

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["results"] == [100, 101, 102]
    assert sorted(lines(log)) == sorted([f"before{i}" for i in range(3)] + [f"after{i}" for i in range(3)])


# -------------------------------------------------------------------------------- suspension and replay


def test_suspension_inside_items_suspends_the_map_and_resumes_without_rerunning_steps(
    run: Any, executor: str, tmp_path: Path
) -> None:
    log = tmp_path / "log"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        items = [(str(log), i * 10) for i in range(3)]
        return summary(context.map(items, wait_then_step, name="m", config=MapConfig(executor=executor)))

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["results"] == [100, 110, 120]
    assert sorted(lines(log)) == sorted([f"before{i}" for i in range(3)] + [f"after{i}" for i in range(3)])
    assert r.invocations() >= 2
    m = root_id(1)
    assert [e["EventType"] for e in r.of(m)] == ["ContextStarted", "ContextSucceeded"]
    for i in range(3):
        it = item_id(m, i)
        assert [e["EventType"] for e in r.of(it)] == ["ContextStarted", "ContextSucceeded"]
        assert [e["EventType"] for e in r.of(child_id(it, 2))] == ["WaitStarted", "WaitSucceeded"]


def test_suspension_with_max_concurrency_keeps_slot(run: Any, executor: str, tmp_path: Path) -> None:
    log = tmp_path / "log"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        items = [(str(log), i) for i in range(3)]
        return summary(
            context.map(
                items, wait_then_step, name="m", config=MapConfig(executor=executor, max_concurrency=1)
            )
        )

    r = run(handler)
    assert r.value["results"] == [100, 101, 102]
    assert lines(log) == ["before0", "after0", "before1", "after1", "before2", "after2"]
    assert _max_in_flight(r.events, "MapIteration") == 1


def test_completed_map_is_not_run_again_on_replay(run: Any, executor: str, tmp_path: Path) -> None:
    log = tmp_path / "log"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        result = context.map(
            [(str(log), i) for i in range(3)], double_counted, name="m", config=MapConfig(executor=executor)
        )
        context.wait(Duration.from_seconds(1), name="w")
        return result.get_results()

    r = run(handler)
    assert r.value == [0, 2, 4]
    assert sorted(lines(log)) == ["item0", "item1", "item2"]
    assert r.types().count("ContextStarted") == 4


def test_map_in_child_context_and_steps_after(run: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(ctx: DurableContext) -> Any:
            return ctx.map(
                [5, 6], double, name="inner-map", config=MapConfig(executor=executor)
            ).get_results()

        v = context.run_in_child_context(body, name="c")
        return v + [context.step(lambda _: "tail", name="tail")]

    r = run(handler)
    assert r.value == [10, 12, "tail"]
    c = root_id(1)
    m = child_id(c, 1)
    assert r.of(m)[0]["ParentId"] == c and r.of(m)[0]["SubType"] == "Map"
    assert r.of(item_id(m, 1))[0]["ParentId"] == m
    assert r.of(root_id(2))[0]["Name"] == "tail"


# -------------------------------------------------------------------------------- parallel


def test_parallel_branches_named_and_results(run: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        result = context.parallel(
            [branch_a, ParallelBranch(branch_b, "bee"), decorated_branch(41)],
            name="p",
            config=ParallelConfig(executor=executor),
        )
        return summary(result)

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["results"] == ["A", "B", 42]
    p = root_id(1)
    assert r.of(p)[0]["SubType"] == "Parallel" and r.of(p)[0]["Name"] == "p"
    names = [r.of(item_id(p, i))[0]["Name"] for i in range(3)]
    assert names == ["parallel-branch-0", "bee", "decorated"]
    assert all(r.of(item_id(p, i))[0]["SubType"] == "ParallelBranch" for i in range(3))
    assert r.of(child_id(item_id(p, 2), 1))[0]["Name"] == "inc"


def test_parallel_default_all_successful_stops_at_first_failure(run: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return summary(
            context.parallel(
                [branch_a, branch_fail, branch_b], config=ParallelConfig(executor=executor, max_concurrency=1)
            )
        )

    r = run(handler)
    v = r.value
    assert v["reason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert v["statuses"] == [[0, "SUCCEEDED"], [1, "FAILED"]]
    assert v["errors"] == [["RuntimeError", "branch broke"]]


def test_parallel_first_successful(run: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return summary(
            context.parallel(
                [branch_fail, branch_a, branch_b],
                config=ParallelConfig(
                    executor=executor,
                    max_concurrency=1,
                    completion_config=CompletionConfig.first_successful(),
                ),
            )
        )

    r = run(handler)
    v = r.value
    assert v["reason"] == "MIN_SUCCESSFUL_REACHED"
    assert v["statuses"] == [[0, "FAILED"], [1, "SUCCEEDED"]]


def test_parallel_refuses_non_callable_branch(run: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.parallel([branch_a, 3], config=ParallelConfig(executor=executor))  # type: ignore[list-item]
        except ValidationError as exc:
            return str(exc)

    r = run(handler)
    assert "branch 1" in r.value
    assert r.of(root_id(1)) == []


# -------------------------------------------------------------------------------- threads == processes


def _workflow(executor: str, log: str, max_concurrency: int | None) -> Any:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        a = context.map(
            [(log, i) for i in range(3)],
            wait_then_step,
            name="m",
            config=MapConfig(executor=executor, max_concurrency=max_concurrency),
        )
        b = context.map(
            [1, 2, 3, 4],
            fail_odd,
            name="f",
            config=MapConfig(
                executor=executor,
                max_concurrency=max_concurrency,
                completion_config=CompletionConfig.all_completed(),
            ),
        )
        c = context.parallel(
            [branch_a, branch_b],
            name="p",
            config=ParallelConfig(executor=executor, max_concurrency=max_concurrency),
        )
        d = context.map(
            [1, 2],
            double,
            name="flat",
            config=MapConfig(
                executor=executor, max_concurrency=max_concurrency, nesting_type=NestingType.FLAT
            ),
        )
        return [summary(x) for x in (a, b, c, d)]

    return handler


def _by_operation(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Events grouped by operation, without EventId (concurrent items interleave differently each run)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        out.setdefault(e.get("Id", e["EventType"]), []).append({k: v for k, v in e.items() if k != "EventId"})
    return out


def test_threads_and_processes_histories_identical_event_by_event(run: Any, tmp_path: Path) -> None:
    runs = {ex: run(_workflow(ex, str(tmp_path / ex), 1)) for ex in EXECUTORS}
    assert runs["threads"].status == runs["processes"].status == "SUCCEEDED"
    assert runs["threads"].value == runs["processes"].value
    threads, processes = (normalize(runs[ex].events) for ex in EXECUTORS)
    assert len(threads) == len(processes)
    for i, (t, p) in enumerate(zip(threads, processes, strict=True)):
        assert t == p, f"event {i} differs"


def test_threads_and_processes_histories_same_per_operation_when_concurrent(run: Any, tmp_path: Path) -> None:
    runs = {ex: run(_workflow(ex, str(tmp_path / ex), None)) for ex in EXECUTORS}
    assert runs["threads"].value == runs["processes"].value
    threads, processes = (_by_operation(normalize(runs[ex].events)) for ex in EXECUTORS)
    assert threads.keys() == processes.keys()
    for op_id in threads:
        if op_id != "InvocationCompleted":
            assert threads[op_id] == processes[op_id], op_id


# -------------------------------------------------------------------------------- harder cases


def quick(ctx: DurableContext) -> str:
    return ctx.step(lambda _: "quick", name="q")


def slow_wait(ctx: DurableContext) -> str:
    ctx.wait(Duration.from_seconds(60), name="long")
    return ctx.step(lambda _: "slow", name="s")


def test_items_running_at_completion_are_reported_started(run: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        result = context.parallel(
            [slow_wait, quick],
            name="p",
            config=ParallelConfig(executor=executor, completion_config=CompletionConfig.first_successful()),
        )
        context.wait(Duration.from_seconds(1), name="after")
        return summary(result)

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    v = r.value
    assert v["reason"] == "MIN_SUCCESSFUL_REACHED"
    assert v["statuses"] == [[0, "STARTED"], [1, "SUCCEEDED"]]
    assert v["results"] == ["quick"]
    assert v["counts"] == [1, 0, 1, 2]


def test_failure_in_earlier_invocation_counts_on_resume(run: Any, executor: str, tmp_path: Path) -> None:
    log = tmp_path / "log"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        result = context.map(
            [(str(log), 1), (str(log), 2)],
            fail_then_wait,
            name="m",
            config=MapConfig(
                executor=executor, completion_config=CompletionConfig(tolerated_failure_count=1)
            ),
        )
        return summary(result)

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    v = r.value
    assert v["reason"] == "ALL_COMPLETED"
    assert v["statuses"] == [[0, "FAILED"], [1, "SUCCEEDED"]]
    assert lines(log).count("fail0") == 1


def fail_then_wait(ctx: DurableContext, item: tuple[str, int], index: int, items: Any) -> int:
    path, value = item
    if index == 0:
        return ctx.step(
            lambda _: touch(path, "fail0") or (_ for _ in ()).throw(ValueError("first")),
            name="f",
            config=NO_RETRY,
        )
    ctx.wait(Duration.from_seconds(5), name="w")
    return value


def flaky_step_item(ctx: DurableContext, item: tuple[str, int], index: int, items: Any) -> int:
    path, value = item

    def body(sc: Any) -> int:
        touch(path, f"attempt{index}-{sc.attempt}")
        if sc.attempt < 2:
            raise RuntimeError("transient")
        return value

    return ctx.step(
        body, name="flaky", config=StepConfig(retry_strategy=RetryPresets.fixed(Duration.from_seconds(2)))
    )


def test_step_retries_inside_items(run: Any, executor: str, tmp_path: Path) -> None:
    log = tmp_path / "log"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return summary(
            context.map(
                [(str(log), 7), (str(log), 8)], flaky_step_item, name="m", config=MapConfig(executor=executor)
            )
        )

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["results"] == [7, 8]
    assert sorted(lines(log)) == ["attempt0-1", "attempt0-2", "attempt1-1", "attempt1-2"]


def callback_item(ctx: DurableContext, item: str, index: int, items: Any) -> str:
    return str(ctx.wait_for_callback(lambda cid, c: None, name=f"cb-{item}"))


def test_callbacks_inside_items(runner_factory: Any, executor: str) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.map(
            ["x", "y"], callback_item, name="m", config=MapConfig(executor=executor)
        ).get_results()

    runner = runner_factory(handler)
    arn = runner.run_async()
    x = runner.wait_for_callback(arn, name="cb-x create callback id")
    y = runner.wait_for_callback(arn, name="cb-y create callback id")
    runner.send_callback_success(y, "Y")
    runner.send_callback_success(x, "X")
    result = runner.wait_for_result(arn, timeout=20)
    assert result.error is None
    assert result.result_value == ["X", "Y"]


def big_item(ctx: DurableContext, item: tuple[str, int], index: int, items: Any) -> str:
    path, size = item
    return ctx.step(lambda _: touch(path, f"big{index}") or "z" * size, name="big")


def test_big_item_and_batch_results_replay_children(run: Any, executor: str, tmp_path: Path) -> None:
    log = tmp_path / "log"
    seen: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        result = context.map(
            [(str(log), 200_000), (str(log), 200_000)],
            big_item,
            name="m",
            config=MapConfig(executor=executor),
        )
        total = sum(len(x) for x in result.get_results())
        seen.append(total)
        context.wait(Duration.from_seconds(1), name="after")
        return total

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value == 400_000
    assert seen == [400_000, 400_000]
    assert sorted(lines(log)) == ["big0", "big1"]
    m = root_id(1)
    assert r.op(m)["ContextDetails"].get("ReplayChildren") is True


def nested_map_item(ctx: DurableContext, item: int, index: int, items: Any) -> list[int]:
    return ctx.map([item, item + 1], double, name="inner", config=MapConfig(executor="threads")).get_results()


def nested_process_map_item(ctx: DurableContext, item: int, index: int, items: Any) -> list[int]:
    return ctx.map(
        [item, item + 1], double, name="inner", config=MapConfig(executor="processes")
    ).get_results()


def test_nested_map_inside_items(run: Any, executor: str) -> None:
    r = run(map_handler([1, 10], nested_map_item, executor=executor))
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["results"] == [[2, 4], [20, 22]]
    m = root_id(1)
    inner = child_id(item_id(m, 1), 1)
    assert r.of(inner)[0]["SubType"] == "Map" and r.of(inner)[0]["ParentId"] == item_id(m, 1)
    assert r.of(child_id(item_id(inner, 1), 1))[0]["Name"] == "double"


def test_custom_completion_decision(run: Any, executor: str) -> None:
    from durable_mp.config import CompletionOutcome, complete_batch, continue_batch

    def two_done(status: Any) -> Any:
        if status.failure_count:
            return complete_batch(CompletionOutcome.FAILED)
        return complete_batch() if status.success_count >= 2 else continue_batch()

    ok = run(
        map_handler(
            [2, 4, 6],
            fail_odd,
            executor=executor,
            max_concurrency=1,
            completion_config=CompletionConfig(should_complete=two_done),
        )
    )
    assert ok.value["reason"] == "CUSTOM_COMPLETION_SUCCEEDED"
    assert len(ok.value["statuses"]) == 2
    bad = run(
        map_handler(
            [2, 3, 6],
            fail_odd,
            executor=executor,
            max_concurrency=1,
            completion_config=CompletionConfig(should_complete=two_done),
        )
    )
    assert bad.value["reason"] == "CUSTOM_COMPLETION_FAILED"


def test_unpicklable_item_function_is_refused_with_a_clear_error(run: Any) -> None:
    import threading

    lock = threading.Lock()

    def uses_lock(ctx: DurableContext, item: int, index: int, items: Any) -> int:
        with lock:
            return item

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.map([1], uses_lock, config=MapConfig(executor="processes"))
        except Exception as exc:  # noqa: BLE001 - the test reads the error
            return {"type": type(exc).__name__, "message": str(exc)}

    r = run(handler)
    assert "map function" in r.value["message"] and "threads" in r.value["message"]
    assert r.ops() == []


_NESTED_PROCESS_MAPS = """
import sys
from tests.engine.test_map_parallel import map_handler, nested_process_map_item
from durable_mp.testing import DurableFunctionTestRunner

with DurableFunctionTestRunner(map_handler([1, 10], nested_process_map_item, executor="threads")) as runner:
    try:
        result = runner.run(timeout=60)
    except TimeoutError:
        print("HANG")
        sys.exit(3)
    print(result.result)
"""


def test_process_maps_inside_concurrent_thread_branches() -> None:
    """Two thread branches each running a map on the (shared) worker pool at the same time.

    Runs in a subprocess: a hang leaves threads polling the shared pool that would break later tests.
    """
    import json
    import subprocess
    import sys

    root = str(Path(__file__).resolve().parents[2])
    proc = subprocess.run(
        [sys.executable, "-c", _NESTED_PROCESS_MAPS],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1])["results"] == [[2, 4], [20, 22]]


def at_most_once_item(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    from durable_mp.config import StepSemantics

    return ctx.step(
        lambda _: item * 3,
        name="once",
        config=StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY),
    )


def test_at_most_once_steps_inside_items(run: Any, executor: str) -> None:
    r = run(map_handler([1, 2], at_most_once_item, executor=executor))
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["results"] == [3, 6]


def crash_once_item(ctx: DurableContext, item: tuple[str, int], index: int, items: Any) -> int:
    path, value = item
    first = ctx.step(lambda _: value, name="first")
    if index == 1 and not Path(path + ".crashed").exists():
        Path(path + ".crashed").touch()
        os._exit(17)
    return ctx.step(lambda _: touch(path, f"second{index}") or first + 1, name="second")


def test_worker_crash_reruns_the_item_on_a_fresh_worker(run: Any, tmp_path: Path) -> None:
    log = str(tmp_path / "log")

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return summary(
            context.map(
                [(log, 1), (log, 2)], crash_once_item, name="m", config=MapConfig(executor="processes")
            )
        )

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["results"] == [2, 3]
    it = item_id(root_id(1), 1)
    # the "first" step was checkpointed before the crash and is not run again
    assert [e["EventType"] for e in r.of(child_id(it, 1))] == ["StepStarted", "StepSucceeded"]


def always_crash_item(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    if index == 0:
        os._exit(9)
    return item


def test_worker_crashing_every_time_fails_the_item_with_worker_crashed(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return summary(
            context.map(
                [1, 2],
                always_crash_item,
                name="m",
                config=MapConfig(executor="processes", completion_config=CompletionConfig.all_completed()),
            )
        )

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value["statuses"] == [[0, "FAILED"], [1, "SUCCEEDED"]]
    assert r.value["errors"][0][0] == "durable_mp.exceptions.WorkerCrashed"
    assert "exit code 9" in r.value["errors"][0][1] or "9" in r.value["errors"][0][1]


def renaming_item(ctx: DurableContext, item: tuple[str, int], index: int, items: Any) -> int:
    path, value = item
    marker = Path(path)
    name = "renamed" if marker.exists() else "original"
    ctx.step(lambda _: value, name=name)
    marker.touch()
    ctx.wait(Duration.from_seconds(1))
    return value


def test_non_determinism_inside_an_item_fails_the_execution(run: Any, executor: str, tmp_path: Path) -> None:
    marker = str(tmp_path / "marker")

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return summary(
            context.map([(marker, 1)], renaming_item, name="m", config=MapConfig(executor=executor))
        )

    r = run(handler)
    assert r.status == "FAILED"
    assert r.result.error is not None
    assert r.result.error.type == "aws_durable_execution_sdk_python.exceptions.NonDeterministicExecutionError"


def test_flat_failed_items_replay_to_the_same_batch_result(run: Any, executor: str) -> None:
    seen: list[Any] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        result = context.map(
            [1, 2, 3],
            fail_odd,
            name="m",
            config=MapConfig(
                executor=executor,
                nesting_type=NestingType.FLAT,
                completion_config=CompletionConfig.all_completed(),
            ),
        )
        seen.append(summary(result))
        context.wait(Duration.from_seconds(1), name="after")
        return summary(result)

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert seen[0] == seen[1]
    assert r.value["statuses"] == [[0, "FAILED"], [1, "SUCCEEDED"], [2, "FAILED"]]
    assert r.types().count("StepStarted") == 3
