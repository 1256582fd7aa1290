"""How workers start: forked from the template, or one interpreter each (`WorkerPool(start_method=...)`).

    python -m loadtests.bench_worker_start [--repeat 5] [--workers 2]

Each run is a fresh Python process (a cold start): a pool whose workers preload durable-mp's worker side,
timed until every worker answered a trivial task (and the CPU its processes used by then); then the
replacement of a killed worker, timed until the
new one answered. The methods alternate; medians are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import psutil

METHODS = ("template", "subprocess")


def child(method: str, workers: int) -> None:
    import durable_mp_workers as w

    w.preload("durable_mp.concurrency.worker_entry")
    started = time.perf_counter()
    pool = w.WorkerPool(workers, start_method=method)
    for i in range(workers):
        pool.submit(abs, -i)
    _drain(pool, workers)
    cold = time.perf_counter() - started
    cpu = sum(sum(p.cpu_times()[:2]) for p in psutil.Process().children(recursive=True))
    pool.size = 1  # one worker: the replacement must serve the next task
    _drain(pool, 0)
    task = pool.submit(time.sleep, 10)
    started = time.perf_counter()
    pool.cancel(task)  # SIGKILL: replaced at once
    pool.submit(abs, 1)
    _drain(pool, 1)
    replace = time.perf_counter() - started
    pool.shutdown(wait=False)
    print(json.dumps({"cold": cold, "cpu": cpu, "replace": replace}))


def _drain(pool: object, count: int) -> None:
    done = 0
    while done < count:
        done += len(pool.poll(30))  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.bench_worker_start")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.workers)
        return 0
    from loadtests.bench.sdks import compile_bytecode

    compile_bytecode()  # as an installed package has: workers import bytecode, not sources
    figures: dict[str, list[dict[str, float]]] = {m: [] for m in METHODS}
    for rep in range(args.repeat):
        for method in METHODS if rep % 2 == 0 else METHODS[::-1]:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "loadtests.bench_worker_start",
                    "--child",
                    method,
                    "--workers",
                    str(args.workers),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            figures[method].append(json.loads(out.strip().splitlines()[-1]))
    print(
        f"{args.workers} workers preloading the worker side; fresh process per run, median of {args.repeat}"
    )
    for method, runs in figures.items():
        cold = statistics.median(r["cold"] for r in runs) * 1000
        replace = statistics.median(r["replace"] for r in runs) * 1000
        cpu = statistics.median(r["cpu"] for r in runs) * 1000
        print(
            f"{method:10}  all ready {cold:6.1f} ms, {cpu:5.0f} ms of CPU   a replacement ready {replace:6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
