"""A CPU-heavy map: 16 items of about 0.25 s of pure-Python work each, run on the worker process pool.

    durable-mp run examples/cpu_map.py:handler --input '{"items": 16}'

With threads the GIL makes this serial (~4 s); on processes it scales with the cores.
"""

from __future__ import annotations

from typing import Any

from durable_mp import BatchResult, DurableContext, durable_execution
from durable_mp.config import MapConfig

ROUNDS = 950_000


def crunch(seed: int) -> int:
    """About 0.25 s of pure-Python arithmetic (a linear congruential walk)."""
    x = seed
    for _ in range(ROUNDS):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


def work(context: DurableContext, seed: int, index: int, items: list[int]) -> int:
    return context.step(lambda _: crunch(seed), name=f"crunch-{index}")


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    seeds = list(range(int(event.get("items", 16))))
    batch: BatchResult[int] = context.map(seeds, work, name="crunch", config=MapConfig(executor="processes"))
    results = batch.get_results()
    return {"items": len(results), "succeeded": batch.success_count, "checksum": sum(results) % 1_000_007}
