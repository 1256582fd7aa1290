"""A map too big for one execution: thousands of items, one step each, fanned out to child executions.

    durable-mp run examples/fanout_map.py:handler --input '{"items": 5000}'

Unbatched, 5,000 items would need 10,002 operations; one execution holds 3,000. With
`executor="invoke"` each batch of 1,000 items runs in a child execution of this same function (its own
3,000 operations: 2,002 used), and the parent holds 1 + 1 + 5 operations. See docs/scaling.md.
"""

from __future__ import annotations

from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import ItemBatcher, MapConfig


def square(context: DurableContext, item: int, index: int, items: list[int]) -> int:
    return context.step(lambda _: item * item, name="square")


@durable_execution(executor="threads")
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    items = list(range(int(event.get("items", 20_000))))
    config = MapConfig(
        executor="invoke",
        item_batcher=ItemBatcher(max_items_per_batch=int(event.get("batch", 1_000))),
        max_concurrency=4,
    )
    batch = context.map(items, square, name="squares", config=config)
    return {
        "items": batch.success_count,
        "checksum": sum(batch.get_results()) % 1_000_007,
        "operations": context.operations_used(),
    }
