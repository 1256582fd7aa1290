"""context.parallel in FLAT mode: each branch's single operation hangs off the parallel operation."""

from typing import Any

from durable_mp.config import NestingType, ParallelConfig
from durable_mp.context import DurableContext
from durable_mp.execution import durable_execution
from tests.compat.examples.parallel import task_1, task_2, task_3


@durable_execution
def handler(_event: Any, context: DurableContext) -> list[str]:
    return context.parallel(
        [task_1, task_2, task_3],
        name="parallel_operation",
        config=ParallelConfig(max_concurrency=3, nesting_type=NestingType.FLAT),
    ).get_results()
