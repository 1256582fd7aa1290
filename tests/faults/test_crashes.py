"""A worker SIGKILLed mid-item: the item reruns on a fresh worker, or fails with WorkerCrashed (issue 4)."""

from __future__ import annotations

import collections
import json
import os
import signal
from pathlib import Path
from typing import Any

import psutil

from durable_mp.concurrency.coordinator import DEFAULT_MAX_CRASHES
from tests.effects import effects

from .conftest import Processes, RunFn, pool_pids
from .handlers import map_handler, parallel_handler


def attempt_pids(directory: Path, index: int) -> list[int]:
    """The pids of the workers that started item `index` (one `pid-<index>-<pid>` file per attempt)."""
    return [int(name.rsplit("-", 1)[1]) for name in os.listdir(directory) if name.startswith(f"pid-{index}-")]


def crash_items(directory: Path, crashes: dict[int, str], n: int) -> list[dict[str, Any]]:
    return [{"dir": str(directory), "crash": crashes.get(i)} for i in range(n)]


def test_sigkill_once_reruns_the_item_on_a_fresh_worker_and_the_pool_heals(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    items = crash_items(tmp_path, {1: "once"}, 4)
    done = run(map_handler, {"func": "crashing_item", "items": items, "workers": 2})

    assert done.status == "SUCCEEDED", done.result.error
    assert done.value["completionReason"] == "ALL_COMPLETED"
    assert [(i["status"], i["result"]) for i in done.value["all"]] == [
        ("SUCCEEDED", 0),
        ("SUCCEEDED", 11),
        ("SUCCEEDED", 22),
        ("SUCCEEDED", 33),
    ]
    # every step ran exactly once: the rerun of item 1 replayed step "a", checkpointed before the kill
    assert done.effects == {f"{i}:{s}": 1 for i in range(4) for s in "ab"}
    pids = attempt_pids(tmp_path, 1)
    assert len(set(pids)) == 2, "item 1 ran twice, the second time on a fresh worker"
    assert len([pid for pid in pids if not psutil.pid_exists(pid)]) == 1, "the killed worker is gone"
    warm = pool_pids()
    assert len(warm) == 2, "the dead worker is replaced at once"

    later = tmp_path / "later"
    later.mkdir()
    again = run(map_handler, {"func": "crashing_item", "items": crash_items(later, {}, 4), "workers": 2})
    assert again.status == "SUCCEEDED"
    assert [i["result"] for i in again.value["all"]] == [0, 11, 22, 33]
    used = {pid for i in range(4) for pid in attempt_pids(later, i)}
    assert used <= warm and pool_pids() == warm, "the next execution runs on the same warm workers"
    procs.assert_clean()


def test_sigkill_every_time_fails_only_that_item_with_worker_crashed(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    done = run(
        map_handler,
        {
            "func": "crashing_item",
            "items": crash_items(tmp_path, {1: "always"}, 3),
            "workers": 2,
            "completion": {"tolerated_failure_count": 1},
        },
    )

    assert done.status == "SUCCEEDED", done.result.error
    value = done.value
    assert value["completionReason"] == "ALL_COMPLETED"
    assert [(i["status"], i["result"]) for i in value["all"]] == [
        ("SUCCEEDED", 0),
        ("FAILED", None),
        ("SUCCEEDED", 22),
    ]
    error = value["all"][1]["error"]
    assert error["ErrorType"].rsplit(".", 1)[-1] == "WorkerCrashed"
    assert "item 1" in error["ErrorMessage"] and "SIGKILL" in error["ErrorMessage"]
    assert json.loads(error["ErrorData"]) == {"index": 1, "signal": "SIGKILL", "exitcode": -9}
    assert len(attempt_pids(tmp_path, 1)) == DEFAULT_MAX_CRASHES
    assert done.effects == {"0:a": 1, "0:b": 1, "1:a": 1, "2:a": 1, "2:b": 1}
    failed = [e for e in done.events if e["EventType"] == "ContextFailed" and e.get("Name") == "map-item-1"]
    assert len(failed) == 1
    assert len(pool_pids()) == 2
    procs.assert_clean()


def test_sigkill_every_time_with_fail_fast_ends_the_batch(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    done = run(
        map_handler, {"func": "crashing_item", "items": crash_items(tmp_path, {0: "always"}, 3), "workers": 1}
    )

    assert done.status == "SUCCEEDED", done.result.error
    assert done.value["completionReason"] == "FAILURE_TOLERANCE_EXCEEDED"
    first = done.value["all"][0]
    assert first["status"] == "FAILED" and "SIGKILL" in first["error"]["ErrorMessage"]
    assert len(attempt_pids(tmp_path, 0)) == DEFAULT_MAX_CRASHES
    procs.assert_clean()


def test_parallel_branch_killed_once_reruns(run: RunFn, tmp_path: Path, procs: Processes) -> None:
    done = run(parallel_handler, {"dir": str(tmp_path), "crash": [None, "once", None], "workers": 2})

    assert done.status == "SUCCEEDED", done.result.error
    assert [(i["status"], i["result"]) for i in done.value["all"]] == [
        ("SUCCEEDED", 0),
        ("SUCCEEDED", 11),
        ("SUCCEEDED", 22),
    ]
    assert done.effects == {f"{i}:{s}": 1 for i in range(3) for s in "ab"}
    assert len(attempt_pids(tmp_path, 1)) == 2
    procs.assert_clean()


def test_worker_exiting_with_a_code_fails_the_item_naming_the_code(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    items = [{"dir": str(tmp_path), "exit": 3 if i == 1 else None} for i in range(3)]
    done = run(
        map_handler,
        {"func": "exiting_item", "items": items, "workers": 2, "completion": {"tolerated_failure_count": 1}},
    )

    assert done.status == "SUCCEEDED", done.result.error
    assert [i["status"] for i in done.value["all"]] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    error = done.value["all"][1]["error"]
    assert "item 1" in error["ErrorMessage"] and "exit code 3" in error["ErrorMessage"], error
    assert json.loads(error["ErrorData"]) == {"index": 1, "signal": None, "exitcode": 3}
    assert done.effects == {"0:a": 1, "1:a": 1, "2:a": 1}
    procs.assert_clean()


def test_crash_while_replaying_after_a_wait(run: RunFn, tmp_path: Path, procs: Processes) -> None:
    """Items suspend on a wait; in the next invocation item 1's worker dies mid-replay, and it reruns."""
    items = crash_items(tmp_path, {1: "once"}, 3)
    done = run(map_handler, {"func": "waiting_item", "items": items, "workers": 2})

    assert done.status == "SUCCEEDED", done.result.error
    assert [i["result"] for i in done.value["all"]] == [0, 11, 22]
    assert done.invocations() >= 2
    assert (tmp_path / "crashed-1").exists()
    assert done.effects == {f"{i}:{s}": 1 for i in range(3) for s in "ab"}
    procs.assert_clean()


def test_at_most_once_step_interrupted_by_a_crash_goes_through_its_retry(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    items = [{"dir": str(tmp_path), "crash": i == 1} for i in range(3)]
    done = run(map_handler, {"func": "at_most_once_item", "items": items, "workers": 2})

    assert done.status == "SUCCEEDED", done.result.error
    assert [i["result"] for i in done.value["all"]] == [0, 1, 2]
    assert done.effects == {"0:1": 1, "1:2": 1, "2:1": 1}  # item 1's step succeeded on attempt 2, once
    interrupted = [
        e for e in done.events if e["EventType"] == "StepFailed" and e.get("Name") != "durable-mp:interrupted"
    ]
    assert len(interrupted) == 1
    error = interrupted[0]["StepFailedDetails"]["Error"]["Payload"]
    assert error["ErrorType"].rsplit(".", 1)[-1] == "StepInterruptedError"
    procs.assert_clean()


def test_warm_workers_killed_while_idle_are_replaced(run: RunFn, tmp_path: Path, procs: Processes) -> None:
    first = tmp_path / "first"
    first.mkdir()
    done = run(map_handler, {"func": "crashing_item", "items": crash_items(first, {}, 3), "workers": 2})
    assert done.status == "SUCCEEDED"
    idle = sorted(pool_pids())
    assert len(idle) == 2
    for pid in idle:
        os.kill(pid, signal.SIGKILL)

    later = tmp_path / "later"
    later.mkdir()
    again = run(map_handler, {"func": "crashing_item", "items": crash_items(later, {}, 3), "workers": 2})
    assert again.status == "SUCCEEDED", again.result.error
    assert [i["result"] for i in again.value["all"]] == [0, 11, 22]
    assert collections.Counter(effects(str(later))) == {f"{i}:{s}": 1 for i in range(3) for s in "ab"}
    used = {pid for i in range(3) for pid in attempt_pids(later, i)}
    assert not used & set(idle) and len(pool_pids()) == 2
    procs.assert_clean()


def test_flat_item_killed_once_replays_its_steps(run: RunFn, tmp_path: Path, procs: Processes) -> None:
    """FLAT items write no CONTEXT: the rerun must still find item 1's step "a" (ParentId = the map)."""
    items = crash_items(tmp_path, {1: "once"}, 3)
    done = run(map_handler, {"func": "crashing_item", "items": items, "workers": 2, "nesting": "FLAT"})

    assert done.status == "SUCCEEDED", done.result.error
    assert [i["result"] for i in done.value["all"]] == [0, 11, 22]
    assert len(attempt_pids(tmp_path, 1)) == 2
    assert done.effects == {f"{i}:{s}": 1 for i in range(3) for s in "ab"}
    assert not [e for e in done.events if e.get("SubType") == "MapIteration"]
    procs.assert_clean()


def test_nested_map_inside_a_killed_item_is_replayed(run: RunFn, tmp_path: Path, procs: Processes) -> None:
    """Item 1 runs an inner map (threads, in its worker), then its worker dies: the rerun replays the
    inner map's items instead of running them again."""
    items = crash_items(tmp_path, {1: "once"}, 2)
    done = run(map_handler, {"func": "nested_map_item", "items": items, "workers": 2})

    assert done.status == "SUCCEEDED", done.result.error
    assert [i["result"] for i in done.value["all"]] == [[0, 1, 2], [0, 1, 2]]
    assert (tmp_path / "crashed-1").exists()
    assert done.effects == {f"{i}.{k}": 1 for i in range(2) for k in range(3)}
    procs.assert_clean()


def test_worker_dying_after_its_item_returned_loses_nothing(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    """Item 0's worker SIGKILLs itself 50 ms after the item returned, while idle or running another item."""
    items = [{"dir": str(tmp_path), "die": i == 0} for i in range(6)]
    done = run(map_handler, {"func": "dies_after_item", "items": items, "workers": 2})

    assert done.status == "SUCCEEDED", done.result.error
    assert [i["result"] for i in done.value["all"]] == list(range(6))
    assert done.ran_twice() == []
    assert set(done.effects) == {f"{i}:a" for i in range(6)}
    later = tmp_path / "later"
    later.mkdir()
    again = run(map_handler, {"func": "dies_after_item", "items": [{"dir": str(later)}] * 4, "workers": 2})
    assert [i["result"] for i in again.value["all"]] == list(range(4))
    assert len(pool_pids()) == 2
    procs.assert_clean()
