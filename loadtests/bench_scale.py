"""Scaling benchmarks (issue 9): item batching, fan-out over child executions, the planner's figures.

Run: python -m loadtests.bench_scale [--items 10000] [--cpu-items 10000] [--cpu-ms 10] [--skip-cpu]

1. 10,000 trivial items (no durable operation of their own), unbatched NESTED / FLAT vs ItemBatcher,
   on threads and processes: items/s, operations in the execution, history events and bytes.
   Unbatched NESTED needs 10,002 operations: it runs with the planner's limit raised
   (DURABLE_MP_MAX_OPERATIONS), to show what batching saves; Lambda would refuse it.
2. `--cpu-items` items of `--cpu-ms` ms of pure-Python CPU each: executor="invoke" (batches of 1,000 in
   child executions of the same function, whose maps run on the process pool) vs one batched map on
   processes in a single execution.
3. plan_map's figures for 1,000,000 items in each shape.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from durable_mp import DurableContext, durable_execution, plan_map
from durable_mp.config import ItemBatcher, MapConfig, NestingType
from durable_mp.testing import DurableFunctionTestRunner

_LOOPS_PER_MS = 0.0


def _calibrate() -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(1_000_000):
        x = (x + i * i) % 1_000_003
    return 1_000_000 / ((time.perf_counter() - t0) * 1000)


def trivial(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return item + 1


def burn(ctx: DurableContext, ms: float, index: int, items: Any) -> int:
    loops = float(os.environ.get("DURABLE_MP_BENCH_LOOPS_PER_MS") or 0) or _calibrate()
    x = 0
    for i in range(int(ms * loops)):
        x = (x + i * i) % 1_000_003
    return x


def _config(event: dict[str, Any]) -> MapConfig[Any]:
    batch = event.get("batch")
    return MapConfig(
        executor=event["executor"],
        nesting_type=NestingType(event.get("nesting", "NESTED")),
        item_batcher=ItemBatcher(max_items_per_batch=batch) if batch else None,
        max_concurrency=event.get("max_concurrency"),
    )


@durable_execution
def trivial_map(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    batch = context.map(list(range(event["n"])), trivial, name="trivial", config=_config(event))
    return {"ok": batch.success_count, "operations": context.operations_used()}


@durable_execution(executor="processes")
def cpu_map(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    batch = context.map([event["ms"]] * event["n"], burn, name="burn", config=_config(event))
    return {"ok": batch.success_count, "operations": context.operations_used()}


def _history(runner: DurableFunctionTestRunner, arn: str) -> tuple[int, int]:
    events, marker = [], None
    while True:
        kwargs: dict[str, Any] = {"DurableExecutionArn": arn, "MaxItems": 1000, "IncludeExecutionData": True}
        page = runner.service.get_durable_execution_history(
            **kwargs, **({"Marker": marker} if marker else {})
        )
        events.extend(page["Events"])
        marker = page.get("NextMarker")
        if not marker:
            return len(events), len(json.dumps(events, default=str))


def _run(handler: Any, event: dict[str, Any]) -> dict[str, Any]:
    with DurableFunctionTestRunner(handler=handler, execution_timeout=3_600) as runner:
        t0 = time.perf_counter()
        result = runner.run(input=event, timeout=3_600)
        seconds = time.perf_counter() - t0
        if result.status.name != "SUCCEEDED":  # e.g. a local service that enforces the 3,000 operations
            return {"refused": f"{result.status.name}: {result.error.message if result.error else ''}"[:90]}
        listed = runner.service.list_durable_executions_by_function(FunctionName="test-function")
        arns = [e["DurableExecutionArn"] for e in listed["DurableExecutions"]]
        sizes = [_history(runner, arn) for arn in arns]
        return {
            "seconds": seconds,
            "operations": result.result_value["operations"],
            "executions": len(arns),
            "events": sum(e for e, _ in sizes),
            "bytes": sum(b for _, b in sizes),
        }


def bench_trivial(n: int) -> None:
    print(f"\n1. {n:,} trivial items (the map function does no durable operation)")
    print(f"{'shape':32} {'executor':10} {'items/s':>10} {'ops':>7} {'events':>8} {'history':>10}")
    shapes: list[tuple[str, dict[str, Any]]] = [
        ("NESTED, unbatched", {}),
        ("FLAT, unbatched", {"nesting": "FLAT"}),
        ("ItemBatcher(100)", {"batch": 100}),
        ("ItemBatcher(1000)", {"batch": 1_000}),
    ]
    os.environ["DURABLE_MP_MAX_OPERATIONS"] = str(n + 10)  # let unbatched NESTED run, to compare
    try:
        for executor in ("threads", "processes"):
            for label, extra in shapes:
                r = _run(trivial_map, {"n": n, "executor": executor, **extra})
                if "refused" in r:
                    print(f"{label:32} {executor:10} {r['refused']}")
                    continue
                print(
                    f"{label:32} {executor:10} {n / r['seconds']:>10,.0f} {r['operations']:>7,} "
                    f"{r['events']:>8,} {r['bytes'] / 1e6:>8.2f} MB"
                )
    finally:
        del os.environ["DURABLE_MP_MAX_OPERATIONS"]


def bench_cpu(n: int, ms: float) -> None:
    print(f"\n2. {n:,} items x {ms:g} ms of CPU ({n * ms / 1000:,.0f} s of CPU), on {os.cpu_count()} cores")
    print(f"{'shape':44} {'seconds':>8} {'items/s':>8} {'parent ops':>10} {'executions':>10}")
    for label, event in (
        ("one execution, ItemBatcher(1000), processes", {"executor": "processes", "batch": 1_000}),
        (
            'executor="invoke", ItemBatcher(1000), 2 in flight',
            {"executor": "invoke", "batch": 1_000, "max_concurrency": 2},
        ),
    ):
        r = _run(cpu_map, {"n": n, "ms": ms, **event})
        if "refused" in r:
            print(f"{label:44} {r['refused']}")
            continue
        print(
            f"{label:44} {r['seconds']:>8.1f} {n / r['seconds']:>8,.0f} {r['operations']:>10,} {r['executions']:>10}"
        )


def bench_plans() -> None:
    print("\n3. plan_map for 1,000,000 items (32-byte items and results, one step per item)")
    print(
        f"{'shape':36} {'fits':>5} {'ops/exec':>9} {'children':>8} {'items/child':>11} {'ops/child':>9} "
        f"{'MB/exec':>8} {'MB/child':>8}"
    )
    shapes: list[tuple[str, dict[str, Any]]] = [
        ("NESTED", {}),
        ("FLAT", {"nesting_type": NestingType.FLAT}),
        ("ItemBatcher(1000)", {"item_batcher": ItemBatcher(max_items_per_batch=1_000)}),
        (
            "ItemBatcher(1000), no steps",
            {"item_batcher": ItemBatcher(max_items_per_batch=1_000), "operations_per_item": 0},
        ),
        (
            "invoke, ItemBatcher(1000)",
            {"item_batcher": ItemBatcher(max_items_per_batch=1_000), "executor": "invoke"},
        ),
        (
            "invoke, ItemBatcher(1000), FLAT",
            {
                "item_batcher": ItemBatcher(max_items_per_batch=1_000),
                "executor": "invoke",
                "nesting_type": NestingType.FLAT,
            },
        ),
    ]
    for label, kwargs in shapes:
        options = {"operations_per_item": 1, "item_bytes": 32, "result_bytes": 32, **kwargs}
        t0 = time.perf_counter()
        p = plan_map(1_000_000, **options)
        took = (time.perf_counter() - t0) * 1000
        print(
            f"{label:36} {'yes' if p.fits else 'no':>5} {p.operations_per_execution:>9,} {p.children:>8,} "
            f"{p.items_per_child:>11,} {p.operations_per_child:>9,} {p.bytes_per_execution / 1e6:>8.1f} "
            f"{p.bytes_per_child / 1e6:>8.2f}   ({took:.0f} ms to plan)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--cpu-items", type=int, default=10_000)
    parser.add_argument("--cpu-ms", type=float, default=10.0)
    parser.add_argument("--skip-cpu", action="store_true")
    args = parser.parse_args()
    os.environ["DURABLE_MP_BENCH_LOOPS_PER_MS"] = str(_calibrate())  # workers inherit one calibration
    bench_plans()
    bench_trivial(args.items)
    if not args.skip_cpu:
        bench_cpu(args.cpu_items, args.cpu_ms)


if __name__ == "__main__":
    main()
