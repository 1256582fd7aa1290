"""The thread executor keeps its threads for the batch: a thread that ended its branch takes the next one,
so a batch of short branches does not start a thread per branch. With a thread cap below its capacity (the
process executor's boot bridge), branches started beyond it wait in a queue; those withdrawn before a thread
began them never run."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.concurrency.branch import BranchSpec, Outcome
from durable_mp.concurrency.executors import ThreadExecutor
from durable_mp.config import MapConfig
from durable_mp.state import ExecutionState
from durable_mp.state.replay import ReplayState
from durable_mp.testing import DurableFunctionTestRunner


def test_a_thread_batch_reuses_at_most_max_concurrency_threads_named_after_their_branch() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def item(ctx: DurableContext, x: int, i: int, items: Any) -> list[Any]:
            thread = threading.current_thread()
            return [i, thread.name, thread.ident]

        config = MapConfig(max_concurrency=3, executor="threads")
        return context.map(list(range(40)), item, config=config).get_results()

    before = {t.ident for t in threading.enumerate()}
    with DurableFunctionTestRunner(handler) as runner:
        seen = json.loads(runner.run({}).result)
    assert [name for _, name, _ in seen] == [f"durable-mp-branch-{i}" for i in range(40)]
    assert 1 <= len({ident for _, _, ident in seen}) <= 3  # kept and reused, never more than may run at once
    deadline = time.monotonic() + 5
    while any(t.name.startswith("durable-mp-branch") for t in threading.enumerate() if t.ident not in before):
        assert time.monotonic() < deadline, "the batch's threads did not end with it"
        time.sleep(0.01)


class _Sink:
    """A checkpointer that keeps what it is given."""

    revoked = False

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def submit(self, update: dict[str, Any], *, sync: bool = False, required: bool = False) -> None:
        self.updates.append(update)

    def flush(self) -> None:
        pass


def _spec(index: int) -> BranchSpec:
    return BranchSpec(index, f"op-{index}", None, "MapIteration", "batch", False, False)


def test_branches_beyond_the_thread_cap_queue_and_those_withdrawn_before_they_began_never_run() -> None:
    gate, ran = threading.Event(), []

    def make(index: int) -> Any:
        def branch(ctx: DurableContext) -> int:
            ran.append(index)
            gate.wait(10)
            return index

        return branch

    sink = _Sink()
    executor = ThreadExecutor(ExecutionState(ReplayState("arn"), checkpointer=sink), make, None)  # type: ignore[arg-type]
    executor.thread_cap = 1
    for i in range(4):
        executor.start(_spec(i))
    deadline = time.monotonic() + 5
    while executor.began_at(0) is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert [executor.began_at(i) for i in (1, 2, 3)] == [None] * 3  # queued behind the one thread
    assert executor.stop_queued([0, 1, 2]) == [1, 2]  # 0 began: it stays; 3 is not asked about
    gate.set()
    outcomes: list[Any] = []
    while len(outcomes) < 2:
        outcomes += executor.wait(5)
    assert sorted(o.index for o in outcomes if isinstance(o, Outcome)) == [0, 3]
    executor.close()
    assert ran == [0, 3]
    assert {u["Id"] for u in sink.updates} == {"op-0", "op-3"}  # nothing of 1 and 2 was ever checkpointed
