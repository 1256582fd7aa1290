"""The map item the load test runs, and the side channel through which items report their work.

`run_item` is importable at module level, so the process executor can ship it to workers. Each item runs
one step named "work" (no retries) that burns pure-Python CPU or sleeps for its cost, then fails if the
workload says so; with `--workload module:function` it runs your map item function instead
(`function(ctx, item, index, items)`, item = the index; its CPU is the thread time of the whole call). Every run of an item writes a small fixed-size record file in the channel folder:

    <state> <start wall time> <end wall time> <CPU seconds> <pid>

state R while running (the CPU figure is refreshed every ~2 ms), S when it succeeded, F when it failed,
X when it stopped early (an orphaned thread unwinding). A worker process killed after the batch completed
leaves its last R record: the CPU it had burnt until then. `read_records` gathers them after a run, so the
tool knows the CPU and time spent on every item, including the ones whose result was never used.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from durable_mp import DurableContext
from durable_mp.config import StepConfig
from durable_mp.retries import RetryPresets

RECORD_SIZE = 80
REFRESH_SECONDS = 0.002
_NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


class InjectedFailure(Exception):
    """The failure the workload asked this item to raise."""


class _Record:
    """One item run's record file, rewritten in place."""

    def __init__(self, channel: str, index: int) -> None:
        name = f"{index}.{os.getpid()}.{threading.get_ident()}.{time.monotonic_ns()}"
        self.fd = os.open(os.path.join(channel, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.start = time.time()
        self.cpu = 0.0
        self.write("R", 0.0)

    def write(self, state: str, end: float) -> None:
        line = f"{state} {self.start:.6f} {end:.6f} {self.cpu:.6f} {os.getpid()}"
        os.pwrite(self.fd, line.ljust(RECORD_SIZE - 1).encode() + b"\n", 0)

    def close(self, state: str) -> None:
        self.write(state, time.time())
        os.close(self.fd)


def _burn(record: _Record, seconds: float) -> None:
    """`seconds` of this thread's CPU time in a pure-Python loop, refreshing the record as it goes."""
    t0 = time.thread_time()
    next_refresh = REFRESH_SECONDS
    x = 0
    while True:
        for i in range(2_000):
            x = (x + i * i) % 1_000_003
        used = time.thread_time() - t0
        if used >= seconds:
            break
        if used >= next_refresh:
            record.cpu = used
            record.write("R", 0.0)
            next_refresh = used + REFRESH_SECONDS
    record.cpu = time.thread_time() - t0


def _work(record: _Record, kind: str, cost: float, fail: bool, index: int) -> int:
    if kind == "cpu":
        _burn(record, cost)
    else:
        t0 = time.thread_time()
        time.sleep(cost)
        record.cpu = time.thread_time() - t0
    if fail:
        raise InjectedFailure(f"item {index}: injected failure")
    return index


def load_item_function(spec: str) -> Callable[..., Any]:
    """`module:function` -> the function (imported from the current folder too); ValueError (TypeError when
    not callable) names the problem."""
    module, sep, attr = spec.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"workload {spec!r}: expected module:function")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        fn: Any = importlib.import_module(module)
        for part in attr.split("."):
            fn = getattr(fn, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"workload {spec!r}: cannot load it ({type(exc).__name__}: {exc})") from None
    if not callable(fn):
        raise TypeError(f"workload {spec!r}: {module}:{attr} is not callable")
    return fn  # type: ignore[no-any-return]  # an attribute found by name is untyped (checked callable)


def _call_user(ctx: DurableContext, record: _Record, spec: str, fail: bool, index: int, items: Any) -> Any:
    """The user's map item function `fn(ctx, item, index, items)` with item = the index, timed."""
    fn = load_item_function(spec)
    t0 = time.thread_time()
    try:
        result = fn(ctx, index, index, items)
    finally:
        record.cpu = time.thread_time() - t0
    if fail:
        raise InjectedFailure(f"item {index}: injected failure")
    return result


def run_item(ctx: DurableContext, item: tuple[str, float, bool, str, str], index: int, items: Any) -> Any:
    """One map item: `item` is (kind, cost seconds, fails, channel folder, workload function spec).

    Kind `call` runs the user's item function (`--workload module:function`) instead of the built-in work."""
    kind, cost, fail, channel, spec = item
    record = _Record(channel, index)
    state = "X"
    try:
        if kind == "call":
            result = _call_user(ctx, record, spec, fail, index, items)
        else:
            result = ctx.step(lambda _: _work(record, kind, cost, fail, index), name="work", config=_NO_RETRY)
        state = "S"
        return result
    except Exception:
        state = "F"
        raise
    finally:
        record.close(state)


@dataclass(frozen=True)
class ItemRun:
    """What one run of one item reported."""

    index: int
    state: str
    start: float
    end: float | None
    cpu: float
    pid: int

    @property
    def finished(self) -> bool:
        return self.state != "R"


def read_records(channel: str | Path) -> list[ItemRun]:
    """Every record in the channel folder (a record being written is read as it stands)."""
    runs: list[ItemRun] = []
    for path in Path(channel).iterdir():
        text = path.read_text().split()
        if len(text) != 5:
            continue  # created but not yet written
        state, start, end, cpu, pid = text
        index = int(path.name.split(".", 1)[0])
        runs.append(
            ItemRun(index, state, float(start), float(end) if state != "R" else None, float(cpu), int(pid))
        )
    return runs
