"""Soak mode: one 10,000-item map, then 20 more executions of it, memory sampled all along.

After every execution (and a gc.collect) the RSS of this process and the summed RSS of the workers are
recorded. Growth is the median of the last five figures minus the median of executions 6-10: RSS climbs
for the first few executions while allocator arenas reach their working size, then plateaus (measured:
+10 MiB over executions 1-9, flat after), which is not a leak; a leak keeps climbing to the end.

Pass when:
- parent growth <= max(GROWTH_MIB, GROWTH_SHARE of the baseline), and the same for the workers' sum:
  RSS moves by a few MiB between identical runs (allocator arenas, gc timing), a leak of even 1 KiB per
  item would add ~10 MiB per execution here, 200 MiB over the soak;
- no leaked process: afterwards every child process is a worker of the shared pool (no more than its
  size), and once the pool is shut down no child process remains.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from typing import Any

import psutil

from durable_mp.loadtest.charts import line_chart
from durable_mp.loadtest.memory import MIB, MemorySampler, children_rss
from durable_mp.loadtest.policies import parse_policies
from durable_mp.loadtest.report import machine
from durable_mp.loadtest.runner import RunSettings, run_once

GROWTH_MIB = 8.0
GROWTH_SHARE = 0.05
WINDOW = 5
WARMUP = 5
REAP_SECONDS = 5.0


def _growth(values: list[float]) -> tuple[float, float]:
    """(baseline, growth) of a series of MiB figures: median of the last WINDOW minus the median of the
    WINDOW after the first WARMUP (fewer when the series is short)."""
    window = min(WINDOW, max(1, len(values) // 4))
    skip = min(WARMUP, max(0, len(values) - 2 * window))
    baseline = statistics.median(values[skip : skip + window])
    return baseline, statistics.median(values[-window:]) - baseline


def _processes_after() -> dict[str, Any]:
    import durable_mp_workers as workers

    pool = workers.shared_pool()
    pool_pids = set(pool.pids())
    children = {p.pid for p in psutil.Process().children(recursive=True)}
    strays = sorted(children - pool_pids)
    pool.shutdown(wait=True)
    deadline = time.monotonic() + REAP_SECONDS
    left = psutil.Process().children(recursive=True)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = psutil.Process().children(recursive=True)
    return {
        "children_before_shutdown": len(children),
        "pool_size": pool.size,
        "not_in_pool": strays,
        "left_after_shutdown": [p.pid for p in left],
        "ok": not strays and len(children) <= pool.size and not left,
    }


def run_soak(args: argparse.Namespace) -> int:
    from durable_mp.loadtest.cli import EXIT_FAILED, EXIT_OK, _workload

    workload, cost = _workload(args, 10_000, "cpu:0")
    policy = parse_policies(args.policy or ["all_completed"])[0]
    workers = max(args.workers)
    settings = RunSettings(workload, policy, args.executor, workers, args.max_concurrency, args.timeout)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    parent: list[float] = []
    kids: list[float] = []
    walls: list[float] = []
    proc = psutil.Process()
    t0 = time.perf_counter()
    with MemorySampler(interval=0.05, keep_samples=True) as sampler:
        for n in range(args.soak_executions + 1):
            record = run_once(settings)
            gc.collect()
            walls.append(record["wall_seconds"])
            if n > 0:
                parent.append(proc.memory_info().rss / MIB)
                kids.append(children_rss()[1] / MIB)
            print(
                f"[soak {n}/{args.soak_executions}] {workload.size} items {record['reason']} in "
                f"{record['wall_seconds']:.2f}s, parent RSS {proc.memory_info().rss / MIB:.1f} MiB",
                flush=True,
            )
    parent_base, parent_growth = _growth(parent)
    kids_base, kids_growth = _growth(kids)
    parent_limit = max(GROWTH_MIB, GROWTH_SHARE * parent_base)
    kids_limit = max(GROWTH_MIB, GROWTH_SHARE * kids_base)
    processes = _processes_after()
    passed = parent_growth <= parent_limit and kids_growth <= kids_limit and processes["ok"]
    report = {
        "schema": "durable-mp-loadtest-soak/1",
        "machine": machine(),
        "items": workload.size,
        "cost": cost,
        "policy": policy.name,
        "executor": args.executor,
        "workers": workers,
        "executions": len(walls),
        "wall_seconds": walls,
        "total_seconds": time.perf_counter() - t0,
        "parent_rss_mib": parent,
        "workers_rss_mib": kids,
        "parent": {
            "baseline_mib": parent_base,
            "growth_mib": parent_growth,
            "limit_mib": parent_limit,
            "growth_from_first_mib": parent[-1] - parent[0],
            "peak_mib": sampler.peaks.parent_peak / MIB,
        },
        "workers_total": {
            "baseline_mib": kids_base,
            "growth_mib": kids_growth,
            "limit_mib": kids_limit,
            "peak_mib": sampler.peaks.children_peak / MIB,
        },
        "processes": processes,
        "passed": passed,
    }
    (out / "soak.json").write_text(json.dumps(report, indent=1) + "\n")
    labels = [str(i + 1) for i in range(len(parent))]
    chart = line_chart("RSS after each execution", "MiB", labels, {"parent": parent, "workers (sum)": kids})
    (out / "soak.html").write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>durable-mp soak"
        f"</title></head><body><h1>Soak: {'PASS' if passed else 'FAIL'}</h1>"
        f"<pre>{json.dumps({k: report[k] for k in ('parent', 'workers_total', 'processes')}, indent=1)}"
        f"</pre>{chart}</body></html>\n"
    )
    print(
        f"parent RSS growth {parent_growth:+.1f} MiB (limit {parent_limit:.1f}), workers {kids_growth:+.1f} MiB "
        f"(limit {kids_limit:.1f}); processes: {len(processes['not_in_pool'])} stray, "
        f"{len(processes['left_after_shutdown'])} left after shutdown -> {'PASS' if passed else 'FAIL'}"
    )
    print(f"wrote {out / 'soak.json'}, {out / 'soak.html'}")
    return EXIT_OK if passed else EXIT_FAILED
