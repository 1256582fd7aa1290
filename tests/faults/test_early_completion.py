"""Early completion stops work: once min_successful is reached, the workers of running items are killed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import Finished, Processes, RunFn, gone, pool_pids
from .handlers import map_handler

SLOW_SECONDS = 3.0


def run_early(run: RunFn, directory: Path) -> Finished:
    """Items 0-2 burn CPU for SLOW_SECONDS; item 3 succeeds as soon as they run; min_successful=1."""
    d = str(directory)
    items = [{"dir": d, "slow": True, "seconds": SLOW_SECONDS} for _ in range(3)]
    items.append({"dir": d, "slow": False, "after": [0, 1, 2]})
    return run(
        map_handler,
        {"func": "fast_or_slow_item", "items": items, "workers": 4, "completion": {"min_successful": 1}},
    )


@pytest.mark.slow
def test_min_successful_returns_at_once_and_kills_the_running_items(
    run: RunFn, tmp_path: Path, procs: Processes
) -> None:
    done = run_early(run, tmp_path)
    returned = time.time()

    assert done.status == "SUCCEEDED", done.result.error
    assert done.value["completionReason"] == "MIN_SUCCESSFUL_REACHED"
    assert [(i["index"], i["status"]) for i in done.value["all"]] == [
        (0, "STARTED"),
        (1, "STARTED"),
        (2, "STARTED"),
        (3, "SUCCEEDED"),
    ]
    assert done.value["all"][3]["result"] == "fast"
    slow_started = [(tmp_path / f"slowpid-{i}").stat().st_mtime for i in range(3)]
    assert returned < min(slow_started) + SLOW_SECONDS, "the map waited for the slow items"

    slow_pids = [int((tmp_path / f"slowpid-{i}").read_text()) for i in range(3)]
    deadline = time.monotonic() + 1.0
    while not all(gone(pid) for pid in slow_pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert all(gone(pid) for pid in slow_pids), "a slow item's worker still runs after the map returned"
    assert not set(slow_pids) & pool_pids()

    # no checkpoint of a slow item after the map's ContextSucceeded
    events = done.events
    map_done = next(
        e["EventId"] for e in events if e["EventType"] == "ContextSucceeded" and e.get("SubType") == "Map"
    )
    slow_ids = {e["Id"] for e in events if e.get("Name") in ("map-item-0", "map-item-1", "map-item-2")}
    slow_ids |= {e["Id"] for e in events if e.get("ParentId") in slow_ids}
    late = [e for e in events if e.get("Id") in slow_ids and e["EventId"] > map_done]
    assert not late, late

    time.sleep(max(0.0, max(slow_started) + SLOW_SECONDS + 0.5 - time.time()))
    assert not list(tmp_path.glob("end-*")), "a slow item finished its work after the map returned"
    assert done.effects == {"3:fast": 1}
    procs.assert_clean()  # the killed workers are reaped (no zombie) and replaced by live ones
    assert len(pool_pids()) == 4
