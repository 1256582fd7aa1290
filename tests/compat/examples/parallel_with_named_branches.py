"""context.parallel with ParallelBranch names, the branches written as lambdas (as in the official one)."""

from typing import Any

from durable_mp.config import ParallelBranch, ParallelConfig
from durable_mp.context import DurableContext
from durable_mp.execution import durable_execution


@durable_execution
def handler(_event: Any, context: DurableContext) -> list[str]:
    return context.parallel(
        functions=[
            ParallelBranch(
                func=lambda ctx: ctx.step(lambda _: "user-data-loaded", name="load_user"),
                name="fetch-user-data",
            ),
            ParallelBranch(
                func=lambda ctx: ctx.step(lambda _: "orders-loaded", name="load_orders"),
                name="fetch-order-history",
            ),
            ParallelBranch(
                func=lambda ctx: ctx.step(lambda _: "prefs-loaded", name="load_prefs"),
                name="fetch-preferences",
            ),
        ],
        name="load_all_data",
        config=ParallelConfig(max_concurrency=3),
    ).get_results()
