"""Cold starts side by side with the official SDK: each run in a fresh Python process, as a Lambda cold
start or one `durable-mp run` sees it.

    python -m loadtests.bench_cold [--repeat 5] [--workers N] [--only parallel100 map1000 cpu32]

A child process imports the SDK and decorates the handler (Lambda's INIT phase: durable-mp starts its
workers there, in the background), then the figure is the wall time of runner construction + run +
close, with durable-mp's bytecode compiled first (as `pip install` does, and as the official SDK's is here)
and durable-mp's defaults (automatic executor and worker count; `--workers N` sets the count, which
also keeps every item on the workers). SDKs alternate and their order flips every repeat; medians are printed with the ratio. The last
line is a bare `concurrent.futures.ProcessPoolExecutor(workers)` doing the CPU map's work in a fresh
process, pool start included (the physical limit, cold).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from loadtests.bench import workloads  # calibrates the CPU loop once; children read it from the env
from loadtests.bench.sdks import OFFICIAL, OURS, compile_bytecode

BENCHES = {
    "parallel100": ("parallel 100 trivial branches", "parallel_branches", 100),
    "map1000": ("map 1,000 trivial items", "trivial_map", 1000),
    "cpu32": ("map 32 x 0.25 s CPU", "cpu_map", 32),
}


def child(sdk_name: str, bench: str) -> None:
    """In a fresh process: import, decorate, then time runner construction + run + close."""
    from loadtests.bench.sdks import load

    sdk = load(sdk_name)
    _, builder, n = BENCHES[bench]
    handler = getattr(workloads, builder)(sdk, n)
    t0 = time.perf_counter()
    sdk.run(handler)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def bare_child(n: int, workers: int) -> None:
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(workloads.burn, [workloads.CPU_SECONDS] * n))
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def run_child(*args: str) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "loadtests.bench_cold", "--child", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1])["seconds"])


def _fmt(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.bench_cold", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=None, help="worker count (default: automatic, as users get it)"
    )
    parser.add_argument("--only", nargs="*", choices=list(BENCHES), default=list(BENCHES))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child[0] == "bare":
            bare_child(int(args.child[1]), int(args.child[2]))
        else:
            child(args.child[0], args.child[1])
        return 0
    if args.workers is not None:  # a chosen count: batches then never start items on parent threads
        os.environ["DURABLE_MP_WORKERS"] = str(args.workers)
    else:
        from durable_mp_workers import default_worker_count

        args.workers = default_worker_count()
    compile_bytecode()
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load {load[0]:.2f}; fresh process per run, median of {args.repeat}")
    print(f"{'benchmark':34} {'official':>10} {'durable-mp':>11} {'ratio':>7}   runs (durable-mp)")
    for bench in args.only:
        label, _, n = BENCHES[bench]
        figures: dict[str, list[float]] = {OFFICIAL: [], OURS: []}
        for rep in range(args.repeat):
            for sdk in (OFFICIAL, OURS) if rep % 2 == 0 else (OURS, OFFICIAL):
                figures[sdk].append(run_child(sdk, bench))
        official, ours = statistics.median(figures[OFFICIAL]), statistics.median(figures[OURS])
        runs = " ".join(f"{s:.3f}" for s in figures[OURS])
        print(
            f"{label:34} {_fmt(official):>10} {_fmt(ours):>11} {official / ours:>6.2f}x   {runs}", flush=True
        )
        if bench == "cpu32":
            bare = statistics.median(run_child("bare", str(n), str(args.workers)) for _ in range(args.repeat))
            print(
                f"{f'bare ProcessPoolExecutor({args.workers}), cold':34} {'':>10} {_fmt(bare):>11} "
                f"{'':>7}   durable-mp / bare = {ours / bare:.3f}x",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
