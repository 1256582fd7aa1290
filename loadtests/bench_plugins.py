"""What forwarding costs: the 1,000-item trivial map (one step per item) with items that log one INFO
record each to a root handler the parent configured, and with a plugin registered (a no-op one, and one
that records every hook), next to the plain map.

Run: python -m loadtests.bench_plugins [--repeat 5] [--executor processes]
Prints the median seconds of each variant and how many log records and hooks the parent received.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig
from durable_mp.plugin import DurableInstrumentationPlugin, InvocationStartInfo
from loadtests.bench_map import make_trivial_map, timed


class _Counting(DurableInstrumentationPlugin):
    def __init__(self, counts: list[int]) -> None:
        self.counts = counts

    def _count(self, info: Any) -> None:
        self.counts[0] += 1

    on_operation_start = on_operation_end = on_user_function_start = on_user_function_end = _count


class _Factory:
    def __init__(self, counting: bool) -> None:
        self.counting, self.counts = counting, [0]

    def create_plugin(self, info: InvocationStartInfo) -> DurableInstrumentationPlugin:
        return _Counting(self.counts) if self.counting else DurableInstrumentationPlugin()


def logging_item(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    ctx.logger.info("item %s", index)
    return ctx.step(lambda _: item + 1, name="inc")


def make_logging_map(n: int, executor: str, factory: _Factory | None) -> Any:
    @durable_execution(plugins=[factory] if factory is not None else None)
    def handler(event: Any, context: DurableContext) -> int:
        config: MapConfig[Any] = MapConfig(executor=executor)
        return len(context.map(list(range(n)), logging_item, name="logging", config=config).get_results())

    return handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--executor", default="processes", choices=["processes", "threads"])
    args = parser.parse_args()
    stream = io.StringIO()
    root = logging.getLogger()
    root.addHandler(logging.StreamHandler(stream))
    root.setLevel(logging.INFO)
    counting = _Factory(counting=True)
    variants: list[tuple[str, Any]] = [
        ("plain (no logging, no plugin)", make_trivial_map(1000, args.executor)),
        ("each item logs one INFO record", make_logging_map(1000, args.executor, None)),
        ("logs + a no-op plugin", make_logging_map(1000, args.executor, _Factory(counting=False))),
        ("logs + a plugin counting hooks", make_logging_map(1000, args.executor, counting)),
    ]
    timed(make_trivial_map(4, args.executor))  # warm the pool once
    times: dict[str, list[float]] = {name: [] for name, _ in variants}
    for _ in range(args.repeat):  # alternate the variants, so load on the machine hits them alike
        for name, handler in variants:
            times[name].append(timed(handler))
    print(f"map 1,000 trivial items ({args.executor}), median of {args.repeat}")
    for name, _ in variants:
        print(f"  {name:<34} {statistics.median(times[name]):.3f}s")
    records = stream.getvalue().count("item ")
    print(f"log records received by the parent: {records} (expected {3 * 1000 * args.repeat})")
    print(f"hooks received by the counting plugin per run: {counting.counts[0] // args.repeat}")


if __name__ == "__main__":
    main()
