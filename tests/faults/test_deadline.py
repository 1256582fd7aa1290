"""The TerminationManager yields before the invocation deadline: no invocation is cut off (issue 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Processes, RunFn
from .handlers import map_handler, sequential_handler


@pytest.mark.slow
def test_cpu_map_longer_than_an_invocation_finishes_over_several(
        run: RunFn, tmp_path: Path, procs: Processes) -> None:
    items = [{"dir": str(tmp_path), "seconds": 0.5} for _ in range(20)]
    done = run(map_handler, {"func": "cpu_item", "items": items, "workers": 2}, invocation_timeout=3,
               timeout=90)

    assert done.status == "SUCCEEDED", done.result.error
    assert [(i["status"], i["result"]) for i in done.value["all"]] == [
        ("SUCCEEDED", i * i) for i in range(20)]
    assert done.invocations() >= 3, "20 x 0.5 s on 2 workers cannot fit in one 3 s invocation"
    assert done.invocation_errors() == [], "an invocation was cut off instead of yielding"
    assert done.ran_twice() == []
    assert sorted(done.effects) == sorted(str(i) for i in range(20))
    procs.assert_clean()


@pytest.mark.slow
def test_sequential_steps_longer_than_an_invocation_finish_over_several(
        run: RunFn, tmp_path: Path, procs: Processes) -> None:
    done = run(sequential_handler, {"dir": str(tmp_path), "steps": 15, "seconds": 0.2},
               invocation_timeout=1.5, timeout=60)

    assert done.status == "SUCCEEDED", done.result.error
    assert done.value == list(range(15))
    assert done.invocations() >= 3
    assert done.invocation_errors() == []
    assert done.effects == {str(i): 1 for i in range(15)}
    procs.assert_clean()


@pytest.mark.slow
def test_item_longer_than_an_invocation_keeps_its_checkpointed_steps(
        run: RunFn, tmp_path: Path, procs: Processes) -> None:
    """Each item needs 4.5 s of 30 steps; the yield kills it mid-way, and the next invocation replays the
    steps it checkpointed instead of running them again."""
    items = [{"dir": str(tmp_path), "steps": 30, "seconds": 0.15} for _ in range(2)]
    done = run(map_handler, {"func": "many_steps_item", "items": items, "workers": 2}, invocation_timeout=3,
               timeout=90)

    assert done.status == "SUCCEEDED", done.result.error
    assert [i["result"] for i in done.value["all"]] == [sum(range(30))] * 2
    assert done.invocations() >= 2
    assert done.invocation_errors() == []
    assert set(done.effects) == {f"{i}:{k}" for i in range(2) for k in range(30)}
    assert done.ran_twice() == []
    procs.assert_clean()
