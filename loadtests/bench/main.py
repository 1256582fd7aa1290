"""Run every benchmark under both SDKs, alternating, and print medians side by side with their ratio.

    python -m loadtests.bench [--repeat 5] [--workers 2] [--only NAME ...]

Per repeat, each benchmark runs once under each SDK; the SDK order flips every repeat, so neither always
runs first after the other's garbage. Each SDK runs each benchmark once unmeasured first (durable-mp's
worker pool starts there, as in a warm Lambda environment). Figures are end-to-end wall times of
`runner.run` on a fresh runner, except the replay (time inside the handler during the replaying
invocation) and the memory figure (peak RSS of this process during the run minus RSS before it, sampled
every 5 ms; durable-mp's workers are separate processes and not included). The last line is a bare
`concurrent.futures.ProcessPoolExecutor(workers)` doing the CPU map's work: the physical limit.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from durable_mp.loadtest.memory import MIB, MemorySampler
from loadtests.bench import workloads
from loadtests.bench.sdks import OFFICIAL, OURS, Sdk, available, compile_bytecode


@dataclass(frozen=True)
class Bench:
    name: str
    label: str
    build: workloads.Builder
    n: int
    unit: str = "s"  # "s": seconds (wall), "replay": seconds in handler, "mib": peak memory growth


BENCHES = (
    Bench("cpu8", "map 8 x 0.25 s CPU", workloads.cpu_map, 8),
    Bench("cpu32", "map 32 x 0.25 s CPU", workloads.cpu_map, 32),
    Bench("steps", "1,000 sequential steps", workloads.sequential_steps, 1000),
    Bench("map1000", "map 1,000 trivial items", workloads.trivial_map, 1000),
    Bench("parallel100", "parallel 100 branches", workloads.parallel_branches, 100),
    Bench("empty", "empty invocation", workloads.empty, 0),
    Bench("replay", "replay 1,000 steps (in handler)", workloads.replay_steps, 1000, "replay"),
    Bench("memory", "peak memory growth, 1,000-item map", workloads.trivial_map, 1000, "mib"),
)


def measure(sdk: Sdk, bench: Bench) -> float:
    """One measured run of `bench` under `sdk` (seconds, or MiB for the memory benchmark)."""
    handler = bench.build(sdk, bench.n)
    gc.collect()
    if bench.unit == "mib":
        with MemorySampler(interval=0.005) as sampler:
            sdk.run(handler)
        return (sampler.peaks.parent_peak - sampler.peaks.parent_start) / MIB
    if bench.unit == "replay":
        workloads.REPLAY_SECONDS.clear()
        sdk.run(handler)
        if len(workloads.REPLAY_SECONDS) != 2:
            raise RuntimeError(
                f"{sdk.name}: expected 2 invocations for the replay, saw {len(workloads.REPLAY_SECONDS)}"
            )
        return workloads.REPLAY_SECONDS[1]
    t0 = time.perf_counter()
    sdk.run(handler)
    return time.perf_counter() - t0


def bare_pool(n: int, workers: int) -> float:
    """The CPU map's work on a warm ProcessPoolExecutor: the physical limit of `workers` cores."""
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(workloads.burn, [0.01] * workers))
        t0 = time.perf_counter()
        list(pool.map(workloads.burn, [workloads.CPU_SECONDS] * n))
        return time.perf_counter() - t0


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "mib":
        return f"{value:.1f} MiB"
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.1f} ms"


def run_all(
    sdks: list[Sdk], benches: list[Bench], repeat: int, say: Callable[[str], None]
) -> dict[str, dict[str, list[float]]]:
    """{bench name: {sdk name: [figures]}}, alternating SDKs, flipping the order every repeat."""
    figures: dict[str, dict[str, list[float]]] = {b.name: {s.name: [] for s in sdks} for b in benches}
    for bench in benches:
        for sdk in sdks:
            measure(sdk, bench)  # warm-up, unmeasured
    for rep in range(repeat):
        order = sdks if rep % 2 == 0 else sdks[::-1]
        for bench in benches:
            for sdk in order:
                figures[bench.name][sdk.name].append(measure(sdk, bench))
        say(f"repeat {rep + 1}/{repeat} done")
    return figures


def table(
    figures: dict[str, dict[str, list[float]]], benches: list[Bench], bare: dict[int, float], workers: int
) -> str:
    lines = [f"{'benchmark':38} {'official':>12} {'durable-mp':>12} {'official / durable-mp':>22}", "-" * 87]
    for b in benches:
        med = {
            name: statistics.median(values) if values else None for name, values in figures[b.name].items()
        }
        ours, official = med.get(OURS), med.get(OFFICIAL)
        ratio = f"{official / ours:.1f}x" if ours and official and b.unit != "mib" else "-"
        if b.unit == "mib" and ours is not None and official is not None:
            ratio = (
                f"{official - ours:+.1f} MiB more" if official >= ours else f"{ours - official:.1f} MiB less"
            )
        lines.append(f"{b.label:38} {_fmt(official, b.unit):>12} {_fmt(ours, b.unit):>12} {ratio:>22}")
    for n, seconds in sorted(bare.items()):
        lines.append(
            f"{f'bare ProcessPoolExecutor({workers}), {n} x 0.25 s':38} {'':>12} {_fmt(seconds, 's'):>12} "
            f"{'(physical limit)':>22}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=5, help="measured runs per benchmark and SDK (default 5)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="durable-mp workers and bare pool size (default 2)"
    )
    parser.add_argument("--only", action="append", choices=[b.name for b in BENCHES], help="run only these")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.workers < 1:
        parser.error("--repeat and --workers must be at least 1")
    os.environ["DURABLE_MP_WORKERS"] = str(args.workers)
    compile_bytecode()  # as installed packages have (the official SDK's is compiled by pip)
    sdks, missing = available()
    for reason in missing:
        print(f"not measured: {reason} (install the `bench` extra)")
    benches = [b for b in BENCHES if not args.only or b.name in args.only]
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; median of {args.repeat}, workers={args.workers}",
        flush=True,
    )
    figures = run_all(sdks, benches, args.repeat, lambda text: print(text, flush=True))
    cpu_ns = sorted({b.n for b in benches if b.build is workloads.cpu_map})
    bare = {n: statistics.median(bare_pool(n, args.workers) for _ in range(args.repeat)) for n in cpu_ns}
    print(table(figures, benches, bare, args.workers))
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0
