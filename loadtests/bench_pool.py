"""Benchmarks of the worker pool (workers/): prints the figures recorded in workers/pool.py's docstring.

    python loadtests/bench_pool.py            # everything (about a minute on 2 cores)
    python loadtests/bench_pool.py --quick    # skip the 32 x 0.25 s CPU comparison

Figures: cold start of a 2-worker pool (until both workers answered a trivial task) for our subprocess
workers and for multiprocessing spawn / forkserver (Process + Pipe, the only primitives Lambda allows);
replacing one worker; round-trip latency of a trivial task with the pool's selector loop versus an asyncio
and a uvloop loop watching the same sockets; throughput of 1,000 trivial tasks; idle worker RSS; and
32 tasks x 0.25 s of pure-Python CPU versus a bare concurrent.futures.ProcessPoolExecutor(2).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import selectors
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from durable_mp_workers import TaskDone, WorkerPool

_ITERATIONS_PER_QUARTER_SECOND = 0


def burn(iterations: int) -> int:
    """Pure-Python CPU work."""
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return total


def echo_loop(conn: Connection) -> None:
    """A multiprocessing worker: answer every message until EOF."""
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        fn, args = message
        conn.send(fn(*args))


def median_ms(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs)) * 1000


def drain(pool: WorkerPool, count: int) -> list[Any]:
    results = []
    while len(results) < count:
        for event in pool.poll(30):
            assert isinstance(event, TaskDone), event
            results.append(event.result)
    return results


def cold_start_pool() -> tuple[float, float]:
    """Cold start of a 2-worker WorkerPool, then the replacement of one worker."""
    started = time.perf_counter()
    pool = WorkerPool(2)
    pool.submit(abs, -1)
    pool.submit(abs, -2)
    drain(pool, 2)
    cold = time.perf_counter() - started
    pool.shutdown()
    return cold, respawn_pool()


def respawn_pool() -> float:
    with WorkerPool(1) as pool:
        pool.submit(abs, 1)
        drain(pool, 1)
        task_id = pool.submit(time.sleep, 10)
        started = time.perf_counter()
        pool.cancel(task_id)
        pool.submit(abs, 1)
        drain(pool, 1)
        return time.perf_counter() - started


def cold_start_multiprocessing(method: str) -> tuple[float, float]:
    """Cold start of 2 Process + Pipe workers with `method`, then the start of one more."""
    context = multiprocessing.get_context(method)

    def start() -> tuple[multiprocessing.process.BaseProcess, Connection]:
        parent_end, child_end = context.Pipe()
        process = context.Process(target=echo_loop, args=(child_end,), daemon=True)
        process.start()
        child_end.close()
        return process, parent_end

    started = time.perf_counter()
    workers = [start(), start()]
    for _, conn in workers:
        conn.send((abs, (-1,)))
    for _, conn in workers:
        conn.recv()
    cold = time.perf_counter() - started
    started = time.perf_counter()
    workers.append(start())
    workers[-1][1].send((abs, (-1,)))
    workers[-1][1].recv()
    respawn = time.perf_counter() - started
    for process, conn in workers:
        conn.close()
        process.join()
    return cold, respawn


def cold_start_fresh(method: str) -> tuple[float, float]:
    """`cold_start_*` for `method` in a fresh process: nothing started or imported by earlier runs helps."""
    script = os.path.abspath(__file__)
    done = subprocess.run(
        [sys.executable, script, "--cold", method], capture_output=True, text=True, check=True
    )
    cold, respawn = done.stdout.split()
    return float(cold), float(respawn)


def interpreter_start(flags: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *flags, "-c", "pass"], check=True)
    return time.perf_counter() - started


class LoopSelector:
    """The selector API the pool uses, served by an asyncio event loop (to compare the loops fairly)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._keys: dict[int, selectors.SelectorKey] = {}
        self._ready: list[tuple[selectors.SelectorKey, int]] = []
        self._waiter: asyncio.Future[None] | None = None

    def register(self, fd: int, events: int, data: Any = None) -> None:
        self._keys[fd] = key = selectors.SelectorKey(fd, fd, events, data)
        self._loop.add_reader(fd, self._fire, key, selectors.EVENT_READ)
        if events & selectors.EVENT_WRITE:
            self._loop.add_writer(fd, self._fire, key, selectors.EVENT_WRITE)

    def modify(self, fd: int, events: int, data: Any = None) -> None:
        self.unregister(fd)
        self.register(fd, events, data)

    def unregister(self, fd: int) -> None:
        self._keys.pop(fd)
        self._loop.remove_reader(fd)
        self._loop.remove_writer(fd)

    def close(self) -> None:
        for fd in list(self._keys):
            self.unregister(fd)

    def _fire(self, key: selectors.SelectorKey, mask: int) -> None:
        self._ready.append((key, mask))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if not self._ready and timeout != 0:
            self._waiter = self._loop.create_future()
            handle = None if timeout is None else self._loop.call_later(timeout, self._fire_timeout)
            self._loop.run_until_complete(self._waiter)
            if handle is not None:
                handle.cancel()
        else:
            self._loop.run_until_complete(asyncio.sleep(0))
        ready, self._ready = self._ready, []
        return ready

    def _fire_timeout(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


def round_trip_us(loop_name: str, count: int = 3000) -> float:
    pool = WorkerPool(2)
    loop = None
    if loop_name != "selector":
        if loop_name == "uvloop":
            import uvloop

            loop = uvloop.new_event_loop()
        else:
            loop = asyncio.new_event_loop()
        pool._selector.close()
        pool._selector = LoopSelector(loop)  # type: ignore[assignment]
    pool.start()
    for _ in range(50):
        pool.submit(abs, -1)
        drain(pool, 1)
    started = time.perf_counter()
    for _ in range(count):
        pool.submit(abs, -1)
        drain(pool, 1)
    elapsed = time.perf_counter() - started
    pool.shutdown()
    if loop is not None:
        loop.close()
    return elapsed / count * 1e6


def throughput(count: int = 1000) -> float:
    with WorkerPool(2) as pool:
        pool.submit(abs, -1)
        pool.submit(abs, -1)
        drain(pool, 2)
        started = time.perf_counter()
        for i in range(count):
            pool.submit(abs, -i)
        drain(pool, count)
        return count / (time.perf_counter() - started)


def idle_rss_mib() -> list[float]:
    import psutil

    with WorkerPool(2) as pool:
        pool.submit(abs, -1)
        pool.submit(abs, -1)
        drain(pool, 2)
        return [psutil.Process(pid).memory_info().rss / 2**20 for pid in pool.pids()]


def cpu_pool(tasks: int) -> tuple[float, float]:
    def run() -> None:
        with WorkerPool(2) as pool:
            for _ in range(tasks):
                pool.submit(burn, _ITERATIONS_PER_QUARTER_SECOND)
            drain(pool, tasks)

    return timed(run)


def cpu_executor(tasks: int) -> tuple[float, float]:
    def run() -> None:
        with ProcessPoolExecutor(2) as executor:
            list(executor.map(burn, [_ITERATIONS_PER_QUARTER_SECOND] * tasks))

    return timed(run)


def timed(run: Callable[[], None]) -> tuple[float, float]:
    """Wall-clock seconds of `run()`, and the CPU seconds its child processes used (load can't skew it)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def calibrate() -> int:
    iterations = 200_000
    while True:
        started = time.perf_counter()
        burn(iterations)
        elapsed = time.perf_counter() - started
        if elapsed > 0.05:
            return int(iterations * 0.25 / elapsed)
        iterations *= 2


def main() -> None:
    global _ITERATIONS_PER_QUARTER_SECOND
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 32 x 0.25 s CPU comparison")
    parser.add_argument("--runs", type=int, default=7, help="runs per start-up figure (median)")
    parser.add_argument("--cold", choices=("subprocess", "spawn", "forkserver"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.cold:  # one cold-start measurement, run by cold_start_fresh() in a new process
        if options.cold == "subprocess":
            print(*cold_start_pool())
        else:
            print(*cold_start_multiprocessing(options.cold))
        return
    runs = options.runs

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, medians of {runs} runs")
    print(
        f"interpreter start: plain {median_ms(runs, lambda: interpreter_start([])):.1f} ms, "
        f"-S (no site) {median_ms(runs, lambda: interpreter_start(['-S'])):.1f} ms"
    )
    figures: dict[str, list[tuple[float, float]]] = {"subprocess": [], "spawn": [], "forkserver": []}
    for _ in range(runs):  # interleaved, each run in a fresh process
        for method, pairs in figures.items():
            pairs.append(cold_start_fresh(method))
    for method, pairs in figures.items():
        print(
            f"cold start of 2 workers until both answered, {method}: "
            f"{statistics.median(f[0] for f in pairs) * 1000:.1f} ms; "
            f"then one more worker: {statistics.median(f[1] for f in pairs) * 1000:.1f} ms"
        )
    for name in ("selector", "asyncio", "uvloop"):
        print(f"round trip of a trivial task, {name} loop: {round_trip_us(name):.0f} us")
    print(f"throughput, 1,000 trivial tasks on 2 workers: {throughput():,.0f} tasks/s")
    print("idle worker RSS: " + ", ".join(f"{rss:.1f} MiB" for rss in idle_rss_mib()))
    if not options.quick:
        _ITERATIONS_PER_QUARTER_SECOND = calibrate()
        pairs = [(cpu_pool(32), cpu_executor(32)) for _ in range(3)]  # interleaved: both see the same load
        ours, theirs = min(p[0] for p in pairs), min(p[1] for p in pairs)
        print(
            f"32 tasks x 0.25 s CPU (best of 3 interleaved, pool start included): WorkerPool(2) "
            f"{ours[0]:.2f} s wall, {ours[1]:.2f} s CPU in workers; ProcessPoolExecutor(2) "
            f"{theirs[0]:.2f} s wall, {theirs[1]:.2f} s CPU in workers; "
            f"ratio {ours[0] / theirs[0]:.3f} wall, {ours[1] / theirs[1]:.3f} CPU"
        )


if __name__ == "__main__":
    main()
