"""An unpicklable function or item on executor="processes" fails before anything is checkpointed."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Processes, RunFn
from .handlers import unpicklable_handler

CASES = [  # what holds the lock, and how the error must name it
    ("item", "map item 1 (<unlocked _thread.lock"),
    ("function", "the map function 'unpicklable_handler.<locals>.holds_lock'"),
    ("branch", "parallel branch 1 ('unpicklable_handler.<locals>.locked_branch')"),
]


@pytest.mark.parametrize(("what", "culprit"), CASES)
def test_unpicklable_batch_fails_before_it_starts(
    run: RunFn, what: str, culprit: str, procs: Processes
) -> None:
    done = run(unpicklable_handler, {"what": what})

    assert done.status == "FAILED"
    error = done.result.error
    assert error.type.rsplit(".", 1)[-1] == "TaskPicklingError", error
    message = error.message
    assert culprit in message, message
    assert "cannot pickle '_thread.lock' object" in message, message
    assert 'executor="threads"' in message, message
    types = [e["EventType"] for e in done.events]
    assert "ContextStarted" not in types, types  # neither the batch nor any item was checkpointed
    assert types.count("StepSucceeded") == 1  # the step before the batch
    procs.assert_clean()


@pytest.mark.parametrize(("what", "culprit"), CASES)
def test_the_suggested_threads_executor_runs_it(run: RunFn, what: str, culprit: str, tmp_path: Path) -> None:
    done = run(unpicklable_handler, {"what": what, "executor": "threads"})

    assert done.status == "SUCCEEDED", done.result.error
    assert [i["result"] for i in done.value["all"]] == ([0, 2] if what == "branch" else [0, 2, 4])
