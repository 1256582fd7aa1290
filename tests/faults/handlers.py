"""Durable handlers and map item functions for the fault-injection tests.

Item functions run in worker processes, which import this module by name: everything here is defined at
module level. Every item records its side effects with `tests.effects`, so a test can count how many times
each piece of work really ran.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import (
    CompletionConfig,
    Duration,
    MapConfig,
    NestingType,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
    StepSemantics,
)
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy
from tests.effects import effect

# ------------------------------------------------------------------------------------------ helpers


def spin(seconds: float) -> int:
    """Burn pure-Python CPU for `seconds` of wall time."""
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        for _ in range(1000):
            n += 1
    return n


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _first_time(marker: str) -> bool:
    """True once: creates `marker` (a file) atomically."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False
    return True


def _write(path: str, text: str) -> None:
    """Create `path` holding `text`, atomically (a reader sees no file or the whole text)."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


# ------------------------------------------------------------------------------------------ map items


def crashing_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """Step "a", then maybe SIGKILL the worker (item["crash"]: "once" or "always"), then step "b"."""
    d = item["dir"]
    _write(os.path.join(d, f"pid-{index}-{os.getpid()}"), "")
    a = ctx.step(lambda _: (effect(d, f"{index}:a"), index)[1], name="a")
    crash = item.get("crash")
    if crash == "always" or (crash == "once" and _first_time(os.path.join(d, f"crashed-{index}"))):
        kill_self()
    b = ctx.step(lambda _: (effect(d, f"{index}:b"), index * 10)[1], name="b")
    return a + b


def exiting_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """Step "a", then end the worker with `os._exit(item["exit"])` when the item says so."""
    d = item["dir"]
    a = ctx.step(lambda _: (effect(d, f"{index}:a"), index)[1], name="a")
    if item.get("exit") is not None:
        os._exit(item["exit"])
    return a


def waiting_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """Step "a", a 1 s wait (the batch suspends), then `crashing_item`'s crash and step "b" on replay."""
    d = item["dir"]
    a = ctx.step(lambda _: (effect(d, f"{index}:a"), index)[1], name="a")
    ctx.wait(Duration.from_seconds(1), name="pause")
    if item.get("crash") == "once" and _first_time(os.path.join(d, f"crashed-{index}")):
        kill_self()
    b = ctx.step(lambda _: (effect(d, f"{index}:b"), index * 10)[1], name="b")
    return a + b


def at_most_once_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """One AT_MOST_ONCE_PER_RETRY step; with item["crash"], its first attempt SIGKILLs the worker inside."""
    d = item["dir"]

    def body(step: Any) -> int:
        if item.get("crash") and _first_time(os.path.join(d, f"crashed-{index}")):
            kill_self()
        effect(d, f"{index}:{step.attempt}")
        return index

    retry = create_retry_strategy(RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(1)))
    config = StepConfig(retry_strategy=retry, step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
    return ctx.step(body, name="once", config=config)


def slow_crash_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """Burn item["seconds"] of CPU, then SIGKILL the worker: every attempt (records one effect each).
    An item with item["ok"] returns its index instead."""
    if item.get("ok"):
        return index
    spin(item["seconds"])
    effect(item["dir"], f"{index}:attempt")
    kill_self()
    return index


def dies_after_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """Step "a"; then, with item["die"], the worker SIGKILLs itself shortly after the item returned."""
    d = item["dir"]
    a = ctx.step(lambda _: (effect(d, f"{index}:a"), index)[1], name="a")
    if item.get("die") and _first_time(os.path.join(d, f"crashed-{index}")):
        threading.Timer(0.05, kill_self).start()
    return a


def nested_map_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> list[int]:
    """A map inside the item (on threads, in the worker), then `crashing_item`'s crash-once point."""
    d = item["dir"]
    inner = [{"dir": d, "tag": f"{index}.{k}"} for k in range(3)]
    result = ctx.map(inner, inner_item, name="inner").get_results()
    if item.get("crash") == "once" and _first_time(os.path.join(d, f"crashed-{index}")):
        kill_self()
    return result


def inner_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    return ctx.step(lambda _: (effect(item["dir"], item["tag"]), index)[1], name="inner-step")


def semaphore_errno() -> int | None:
    """The errno with which this process fails to make a POSIX semaphore (None: it can make one)."""
    import multiprocessing

    try:
        multiprocessing.Lock()
    except OSError as exc:
        return exc.errno
    return None


def lambda_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> dict[str, Any]:
    """`crashing_item`, after recording whether this worker can make a POSIX semaphore."""
    errno = ctx.step(lambda _: semaphore_errno(), name="probe")
    return {"errno": errno, "value": crashing_item(ctx, item, index, items)}


def fast_or_slow_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> str:
    """A slow item records its pid, burns CPU, then writes `end-<index>`. The fast one returns as soon as
    the slow items it names (`item["after"]`) are running, so they are surely mid-work when it ends."""
    d = item["dir"]
    if not item["slow"]:
        deadline = time.monotonic() + 10
        while not all(os.path.exists(os.path.join(d, f"slowpid-{i}")) for i in item["after"]):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the slow items {item['after']} did not start within 10 s")
            time.sleep(0.01)
        return ctx.step(lambda _: (effect(d, f"{index}:fast"), "fast")[1], name="fast")

    def slow(_: Any) -> str:
        _write(os.path.join(d, f"slowpid-{index}"), str(os.getpid()))
        spin(item["seconds"])
        _write(os.path.join(d, f"end-{index}"), "")
        effect(d, f"{index}:slow")
        return "slow"

    return ctx.step(slow, name="slow")


def cpu_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """One step of `item["seconds"]` of CPU; the effect is recorded when the work is done."""
    d = item["dir"]

    def work(_: Any) -> int:
        spin(item["seconds"])
        effect(d, f"{index}")
        return index * index

    return ctx.step(work, name="work")


def many_steps_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """item["steps"] steps of item["seconds"] of CPU each, recording "<index>:<step>" as each ends."""
    d, seconds = item["dir"], item["seconds"]
    total = 0
    for k in range(item["steps"]):

        def work(_: Any, k: int = k) -> int:
            spin(seconds)
            effect(d, f"{index}:{k}")
            return k

        total += ctx.step(work, name=f"s{k}")
    return total


def cpu_branch(d: str, index: int, seconds: float) -> Any:
    """A parallel branch like `cpu_item` (a module-level factory, so the branch pickles by value)."""

    def branch(ctx: DurableContext) -> int:
        return cpu_item(ctx, {"dir": d, "seconds": seconds}, index, None)

    return branch


def crashing_branch(d: str, index: int, crash: str | None) -> Any:
    def branch(ctx: DurableContext) -> int:
        return crashing_item(ctx, {"dir": d, "crash": crash}, index, None)

    return branch


# ------------------------------------------------------------------------------------------ handlers


def _completion(spec: dict[str, Any] | None) -> CompletionConfig:
    return CompletionConfig(**spec) if spec else CompletionConfig()


@durable_execution
def map_handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """event: {"func": name in this module, "items": [...], "workers": n, "completion": {...},
    "max_concurrency", "nesting": "NESTED" | "FLAT", "executor": "processes",
    "maps": how many times to run the same map (default 1)}."""
    func = globals()[event["func"]]
    config = MapConfig(
        max_concurrency=event.get("max_concurrency"),
        completion_config=_completion(event.get("completion")),
        nesting_type=NestingType[event.get("nesting", "NESTED")],
        executor=event.get("executor", "processes"),
        workers=event.get("workers"),
    )
    out = [
        ctx.map(event["items"], func, name=f"map-{k}", config=config).to_dict()
        for k in range(event.get("maps", 1))
    ]
    return out[0] if len(out) == 1 else {"maps": out}


@durable_execution
def parallel_handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """event: {"dir", "crash": [None | "once" | "always" per branch], "workers", "completion"}."""
    d = event["dir"]
    branches = [
        ParallelBranch(crashing_branch(d, i, crash), name=f"branch-{i}")
        for i, crash in enumerate(event["crash"])
    ]
    config = ParallelConfig(
        completion_config=_completion(event.get("completion"))
        if event.get("completion")
        else CompletionConfig.all_successful(),
        executor="processes",
        workers=event.get("workers"),
    )
    return ctx.parallel(branches, name="par", config=config).to_dict()


@durable_execution
def sequential_handler(event: dict[str, Any], ctx: DurableContext) -> list[int]:
    """event: {"dir", "steps": n, "seconds": s}: n steps, each sleeping s seconds, recording its effect."""
    d, seconds = event["dir"], event["seconds"]
    out = []
    for i in range(event["steps"]):

        def work(_: Any, i: int = i) -> int:
            time.sleep(seconds)
            effect(d, f"{i}")
            return i

        out.append(ctx.step(work, name=f"step-{i}"))
    return out


def double_index(ctx: DurableContext, item: Any, index: int, items: Any) -> int:
    return index * 2


@durable_execution
def unpicklable_handler(event: dict[str, Any], ctx: DurableContext) -> dict[str, Any]:
    """event: {"what": "item" | "function" | "branch", "executor"}: a batch holding a lock, which cannot be
    pickled, after one ordinary step."""
    lock = threading.Lock()
    ctx.step(lambda _: 1, name="before")
    executor = event.get("executor", "processes")

    def holds_lock(ctx: DurableContext, item: Any, index: int, items: Any) -> int:
        with lock:
            return index * 2

    what = event["what"]
    config = MapConfig(executor=executor, workers=2)
    if what == "item":
        return ctx.map([1, lock, 3], double_index, name="bad-map", config=config).to_dict()
    if what == "function":
        return ctx.map([1, 2, 3], holds_lock, name="bad-map", config=config).to_dict()

    def locked_branch(c: DurableContext) -> int:
        return holds_lock(c, None, 1, None)

    branches = [lambda c: 0, locked_branch]
    parallel_config = ParallelConfig(executor=executor, workers=2)
    return ctx.parallel(branches, name="bad-parallel", config=parallel_config).to_dict()
